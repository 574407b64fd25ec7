import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pinlab import toys
from pinlab.toys import STAGING_PREFIX, ToyError, build_wheel, compare, content_hash, find_toy, find_toys, load_toy
from pinlab.workdir import in_use, leftovers

EXPECTED = [
    "toyhost==1.0a27", "toyhost==1.0a28", "toyhost==2.0",
    "toyhost-charts==0.1", "toyhost-export==0.3a1", "toyhost-export==0.3a2",
]


def test_the_toy_universe_mirrors_the_story():
    keys = [toy.key for toy in find_toys()]
    assert set(EXPECTED) <= set(keys)
    assert find_toy("toyhost-export==0.3a1").dependencies == ("toyhost==1.0a27",)
    assert find_toy("toyhost-export==0.3a2").dependencies == ("toyhost>=1.0a27",)
    assert find_toy("toyhost-charts==0.1").dependencies == ("toyhost>=1.0a28",)


def test_the_fix_is_one_character():
    changed = [line for line in compare("toyhost-export==0.3a1", "toyhost-export==0.3a2").splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == [
        '-version = "0.3a1"', '+version = "0.3a2"',
        '-dependencies = ["toyhost==1.0a27"]', '+dependencies = ["toyhost>=1.0a27"]',
    ]


def test_a_built_wheel_carries_the_pin_in_its_metadata():
    wheel = build_wheel(find_toy("toyhost-export==0.3a1"))
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("toyhost_export-0.3a1.dist-info/METADATA").decode()
    assert "Requires-Dist: toyhost==1.0a27" in metadata.splitlines()


@pytest.fixture
def private_examples(tmp_path, monkeypatch):
    """A copy of examples/ and an empty wheel cache, so that edits touch nothing shared."""
    examples = tmp_path / "examples"
    shutil.copytree(toys.examples_dir() / "toys", examples / "toys")
    monkeypatch.setenv("PINLAB_CACHE", str(tmp_path / "cache"))
    built = []
    real_build = toys._build_into

    def counting_build(toy, out):
        built.append(toy.key)
        return real_build(toy, out)

    monkeypatch.setattr(toys, "_build_into", counting_build)
    return examples, built


def test_wheels_are_cached_by_content_and_an_edit_rebuilds_only_that_toy(private_examples):
    examples, built = private_examples
    plugin = next(t for t in find_toys(examples) if t.key == "toyhost-export==0.3a1")
    host = next(t for t in find_toys(examples) if t.key == "toyhost==1.0a27")
    first_plugin, first_host = build_wheel(plugin), build_wheel(host)
    assert built == ["toyhost-export==0.3a1", "toyhost==1.0a27"]

    assert build_wheel(plugin) == first_plugin and build_wheel(host) == first_host
    assert len(built) == 2, "an unchanged toy must come from the cache"

    pyproject = plugin.source / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("toyhost==1.0a27", "toyhost>=1.0a27"))
    edited = load_toy(plugin.source)
    assert build_wheel(edited) != first_plugin
    assert build_wheel(host) == first_host
    assert built == ["toyhost-export==0.3a1", "toyhost==1.0a27", "toyhost-export==0.3a1"]


def test_build_leftovers_do_not_change_the_content_hash(private_examples):
    examples, _ = private_examples
    source = examples / "toys" / "toyhost-1.0a27"
    before = content_hash(source)
    (source / "src" / "toyhost" / "__pycache__").mkdir()
    (source / "src" / "toyhost" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert content_hash(source) == before


def test_invalid_toml_is_one_line_naming_the_file(private_examples):
    examples, _ = private_examples
    pyproject = examples / "toys" / "toyhost-1.0a27" / "pyproject.toml"
    pyproject.write_text('[project]\nname = "toyhost"\nversion = 1.0a27\n')
    with pytest.raises(ToyError) as caught:
        load_toy(pyproject.parent)
    message = str(caught.value)
    assert message.startswith(f"{pyproject}: invalid TOML: ")
    assert "\n" not in message


def test_an_invalid_requirement_is_quoted(private_examples):
    examples, _ = private_examples
    pyproject = examples / "toys" / "toyhost-export-0.3a1" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("toyhost==1.0a27", "toyhost=>1.0a27"))
    with pytest.raises(ToyError, match=r"invalid requirement 'toyhost=>1.0a27'"):
        load_toy(pyproject.parent)


def test_a_toy_its_backend_refuses_is_one_line_quoting_the_backends_reason(private_examples):
    examples, built = private_examples
    pyproject = examples / "toys" / "toyhost-1.0a27" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('packages = ["src/toyhost"]', "packages = 5"))
    with pytest.raises(ToyError) as caught:
        build_wheel(load_toy(pyproject.parent))
    # hatchling's own words, not build's "Backend subprocess exited when trying to invoke build_wheel"
    assert str(caught.value) == (f"{pyproject}: the wheel did not build: TypeError: "
                                 "Field `tool.hatch.build.targets.wheel.packages` must be an array of strings")
    assert built == ["toyhost==1.0a27"]
    assert not list((examples.parent / "cache").rglob("*.whl")), "a failed build left a wheel in the cache"


def test_a_missing_toy_is_named():
    with pytest.raises(ToyError, match=r"no toy release 'toyhost==9.9'"):
        find_toy("toyhost==9.9")


# -- the wheel cache on real machines -----------------------------------------------------------

@pytest.mark.skipif(os.name == "nt", reason="kill -9 of a process group is POSIX; on Windows the orphaned build "
                    "backend would keep its files open")
def test_a_build_killed_half_way_leaves_a_staging_folder_that_the_next_start_sweeps(private_examples, tmp_path):
    """kill -9 during a toy build (a kernel killed while a chapter builds its toys)."""
    examples, _ = private_examples
    wheels = tmp_path / "cache" / "wheels"
    code = ("import sys; from pinlab.toys import build_wheel, find_toy; "
            "build_wheel(find_toy('toyhost==1.0a27', examples=__import__('pathlib').Path(sys.argv[1])))")
    env = {**os.environ, "PINLAB_CACHE": str(tmp_path / "cache")}
    # A session of its own, so that kill -9 reaches the build backend's process too.
    child = subprocess.Popen([sys.executable, "-c", code, str(examples)], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not leftovers(wheels, prefix=STAGING_PREFIX):
            assert child.poll() is None, "the build ended before it could be killed"
            assert time.monotonic() < deadline, "no staging folder appeared"
            time.sleep(0.005)
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    (staging,) = leftovers(wheels, prefix=STAGING_PREFIX)
    assert staging.name.startswith(".building-toyhost-1.0a27-")
    # The lock goes when the last process holding it is gone: a build backend caught between
    # fork and exec holds it too, for the few milliseconds it takes the kernel to end it.
    deadline = time.monotonic() + 10
    while in_use(staging):
        assert time.monotonic() < deadline, "the killed build's lock is still held"
        time.sleep(0.01)

    wheel = build_wheel(find_toy("toyhost-export==0.3a2", examples=examples))  # the next start, another toy
    assert wheel.parent.parent == wheels
    assert not staging.exists()
    assert [path.name for path in wheels.iterdir() if path.name.startswith(".")] == []


@pytest.fixture
def forget_cache_choices():
    """Undo what wheel_cache() decided during the test, and close the temporary caches it made."""
    decided, made = dict(toys._wheel_folders), list(toys._temporary_caches)
    yield
    for cache in toys._temporary_caches[len(made):]:
        cache.close()
    toys._temporary_caches[:] = made
    toys._wheel_folders.clear()
    toys._wheel_folders.update(decided)


def _unwritable_folder(tmp_path: Path) -> tuple[Path, Callable[[], object], str]:
    """A real folder this process cannot write in: mode 0o500, or for root an immutable one."""
    folder = tmp_path / "home" / ".cache"
    folder.mkdir(parents=True)
    folder.chmod(0o500)
    try:
        (folder / "probe").touch()
    except PermissionError:
        return folder, lambda: folder.chmod(0o700), "Permission denied"
    # Root writes through any mode bits (a root-owned ~/.cache stops only other users).
    (folder / "probe").unlink()
    folder.chmod(0o700)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
        pytest.skip("running as root, and chattr +i (the only thing that stops root writing) is not available")
    return folder, lambda: subprocess.run(["chattr", "-i", str(folder)], check=True), "Operation not permitted"


@pytest.mark.parametrize("case", ["read-only folder", "path under a file"])
def test_an_unwritable_cache_falls_back_to_a_temporary_one_with_one_note(case, tmp_path, monkeypatch, caplog,
                                                                         forget_cache_choices):
    from pinlab import toy_index

    if case == "read-only folder":
        cache, undo, reason = _unwritable_folder(tmp_path)
    else:
        (tmp_path / "a-file").write_text("")
        cache, undo, reason = tmp_path / "a-file" / "cache", lambda: None, "Not a directory"
    monkeypatch.setenv("PINLAB_CACHE", str(cache))
    try:
        with caplog.at_level(logging.WARNING, logger="pinlab"):
            with toy_index("toyhost==1.0a27") as index:
                assert index.releases() == ["toyhost 1.0a27"]
            with toy_index("toyhost==1.0a28") as index:
                assert index.releases() == ["toyhost 1.0a28"]
    finally:
        undo()
    assert [record.getMessage() for record in caplog.records] == [
        f"pinlab: the toy wheel cache {cache / 'wheels'} cannot be written ({reason}); using a temporary cache "
        "for this session, so the toys are rebuilt each time. Make that folder yours again (after `sudo pip`: "
        "sudo chown -R $USER ~/.cache) or set PINLAB_CACHE to a folder you can write."]
    temporary = toys.wheel_cache()
    assert temporary.name.startswith("pinlab-cache-") and sorted(p.name for p in temporary.glob("*/*.whl")) == [
        "toyhost-1.0a27-py3-none-any.whl", "toyhost-1.0a28-py3-none-any.whl"]
    assert not (cache / "wheels").exists()


def test_pinlab_cache_expands_a_tilde_to_the_home_folder(tmp_path, monkeypatch):
    """A quoted PINLAB_CACHE='~/pinlab-cache' reaches the kit unexpanded: before, the kit made a
    folder named ~ in the working directory."""
    from pinlab.toys import cache_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))  # where Windows' expanduser looks
    monkeypatch.setenv("PINLAB_CACHE", "~/pinlab-cache")
    assert cache_dir() == tmp_path / "pinlab-cache"


@pytest.mark.parametrize("value", ["relpc", "./cache", "book/../cache"])
def test_a_relative_pinlab_cache_is_refused_naming_the_variable(value, tmp_path, monkeypatch):
    from pinlab.toys import CacheSettingError, cache_dir, wheel_cache

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINLAB_CACHE", value)
    message = (f"PINLAB_CACHE={value} is a relative path: the doctor (in the kit's folder) and the notebooks (in "
               "book/) would each use a different cache; set PINLAB_CACHE to an absolute path, or unset it")
    with pytest.raises(CacheSettingError) as caught:
        cache_dir()
    assert str(caught.value) == message
    with pytest.raises(CacheSettingError):
        wheel_cache()
    assert list(tmp_path.iterdir()) == []
