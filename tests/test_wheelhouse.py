"""The USB stick: a wheelhouse built by the session's own code, installed with no index reachable.

The full wheelhouse (every locked dependency of pinlab's `lab` extra and the `jupyter` group, from PyPI) is built
and proven by `nox -s wheelhouse`, which CI runs; here the same functions build a small one from a
local folder of toy wheels, so the suite stays offline. A toy project stands in for pinlab.
"""

import hashlib
import re
import zipfile
from pathlib import Path

import pytest

from pinlab import Sandbox, toy_index
from pinlab.index import LocalIndex
from pinlab.toys import build_wheel, examples_dir, find_toy
from pinlab.wheelhouse import (Target, WheelhouseError, build, locked_requirements, parse_requirements,
                               verify)

ROOT = Path(__file__).resolve().parents[1]


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def source():
    """What PyPI is to the real session: here, a local folder with two toy releases."""
    with toy_index("toyhost==1.0a28", "toyhost-export==0.3a1") as index:
        yield index


def _requirements(source) -> str:
    host, plugin = (next(w for w in source.wheels() if w.name.startswith(name)) for name in ("toyhost-", "toyhost_"))
    # As uv export writes them: continuation lines, and one requirement whose marker never holds.
    return (f"toyhost==1.0a28 \\\n    --hash={_sha256(host)}\n"
            f"toyhost-export==0.3a1 ; sys_platform == 'emscripten' \\\n    --hash={_sha256(plugin)}\n")


@pytest.fixture
def hostile_network(monkeypatch):
    """A global index setting and a proxy, both dead: nothing may need them."""
    for name, value in {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "HTTPS_PROXY": "http://127.0.0.1:9",
                        "HTTP_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}.items():
        monkeypatch.setenv(name, value)


def test_a_wheelhouse_installs_with_no_index_reachable(tmp_path, source, hostile_network):
    dest = tmp_path / "wheelhouse"
    charts = find_toy("toyhost-charts==0.1").source  # stands in for pinlab: built from source, pinned by hash
    wheels = build(dest, _requirements(source), charts, find_links=source.path)

    assert [wheel.name for wheel in wheels] == ["toyhost-1.0a28-py3-none-any.whl", "toyhost_charts-0.1-py3-none-any.whl"]
    charts_wheel, host_wheel = dest / wheels[1].name, dest / wheels[0].name
    assert (dest / "requirements.txt").read_text().splitlines() == [
        f"toyhost-charts==0.1 --hash={_sha256(charts_wheel)}",
        f"toyhost==1.0a28 --hash={_sha256(host_wheel)}",
        f"toyhost-export==0.3a1 ; sys_platform == 'emscripten' --hash={_sha256(source.wheels()[1])}",
    ]
    proof = verify(dest)
    assert proof.installed == {"toyhost": "1.0a28", "toyhost-charts": "0.1"}
    assert str(proof) == ("2 packages installed from the wheelhouse alone (pip --no-index), "
                          "every file checked against its hash")


def test_a_swapped_wheel_is_refused(tmp_path, source):
    dest = tmp_path / "wheelhouse"
    build(dest, _requirements(source), None, find_links=source.path)
    swapped = dest / "toyhost-1.0a28-py3-none-any.whl"
    with zipfile.ZipFile(swapped, "a") as archive:  # someone adds a file to the wheel on the stick
        archive.writestr("toyhost/extra.py", "print('not from the lock')\n")
    with pytest.raises(WheelhouseError) as caught:
        verify(dest)
    assert str(caught.value) == ("installing from the wheelhouse failed: toyhost==1.0a28: the wheel does not "
                                 "match its hash in requirements.txt; someone may have changed it")


def test_a_requirement_missing_from_the_source_names_the_target_and_the_requirement(tmp_path, source):
    with pytest.raises(WheelhouseError) as caught:
        build(tmp_path / "wheelhouse", "toyhost==2.0 --hash=sha256:00\n", None, find_links=source.path)
    assert str(caught.value) == ("pip download for this / Python of this machine: "
                                 "ERROR: No matching distribution found for toyhost==2.0")


def test_the_lock_gives_every_requirement_of_the_workshop_groups_with_hashes():
    lines = parse_requirements(locked_requirements(ROOT, ["jupyter"], ["lab"]))
    names = {line.requirement.name for line in lines}
    assert {"jupyterlab", "nbval", "pytest", "pip-audit", "virtualenv", "hatchling", "uv"} <= names
    assert "pinlab" not in names  # built from source and added by build()
    assert all(line.hashes and str(line.requirement.specifier).startswith("==") for line in lines)


def test_without_the_lab_extra_the_lock_gives_only_what_the_commands_need():
    """A stick made without --extra=lab could not run the chapters: the kit's tools are the extra's."""
    lines = parse_requirements(locked_requirements(ROOT, []))
    assert {line.requirement.name for line in lines} == {"dependency-groups", "packaging", "tomli"}
    assert [str(line.requirement.marker) for line in lines if line.requirement.name == "tomli"] == [
        'python_full_version < "3.11"']


def test_pinlab_goes_on_the_stick_with_its_extra_pinned_by_hash(tmp_path):
    """pinlab[lab]==...: installing the stick, pip checks that every wheel of the extra is on it."""
    dest = tmp_path / "wheelhouse"
    build(dest, "", ROOT, find_links=tmp_path, extras=["lab"])
    (wheel,) = dest.glob("pinlab-*.whl")
    assert (dest / "requirements.txt").read_text().splitlines() == [f"pinlab[lab]==0.1.0 --hash={_sha256(wheel)}"]


@pytest.mark.parametrize(("target", "wanted", "unwanted"), [
    (Target("windows-amd64", "3.10"), {"colorama", "pywinpty", "tomli"}, {"pexpect", "appnope"}),
    (Target("macos-arm64", "3.13"), {"appnope", "pexpect"}, {"colorama", "pywinpty", "exceptiongroup"}),
    (Target("linux-x86_64", "3.12"), {"pexpect"}, {"colorama", "appnope", "pywinpty"}),
])
def test_markers_are_evaluated_for_each_kind_of_laptop(target, wanted, unwanted):
    lines = parse_requirements(locked_requirements(ROOT, ["jupyter"], ["lab"]))
    chosen = {line.requirement.name for line in lines if any(line.applies(env) for env in target.environments())}
    assert wanted <= chosen and not unwanted & chosen


def test_a_minor_version_target_keeps_both_sides_of_a_patch_level_split():
    lines = parse_requirements(locked_requirements(ROOT, ["jupyter"], ["lab"]))
    soupsieve = [str(line.requirement.specifier) for line in lines if line.requirement.name == "soupsieve"
                 and any(line.applies(env) for env in Target("linux-x86_64", "3.11").environments())]
    assert len(soupsieve) == 2  # one release below Python 3.11.5, another from 3.11.5 on


def test_on_a_python_too_old_pip_says_so(tmp_path):
    """The instructor guide's "a Python that is too old": what pip prints when asked for pinlab."""
    dest = tmp_path / "wheelhouse"
    build(dest, "", ROOT, find_links=tmp_path)
    with LocalIndex() as empty, Sandbox(empty) as sandbox:
        sandbox.add_placeholder(dest, "<wheelhouse>")
        result = sandbox.pip("install", "--dry-run", "--ignore-installed", "--python-version=3.9",
                             "--only-binary=:all:", f"--find-links={dest}", "pinlab")
    assert result.returncode == 1
    assert result.output.splitlines()[-1] == "ERROR: Package 'pinlab' requires a different Python: 3.9.0 not in '>=3.10'"


def test_the_download_keeps_a_proxy_and_drops_every_pip_setting(monkeypatch):
    """An instructor behind a corporate proxy builds the wheelhouse with HTTPS_PROXY set: it is
    passed to pip; a global PIP_INDEX_URL or pip.conf is not."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    with LocalIndex() as empty, Sandbox(empty) as sandbox:
        env = sandbox._pip_env(offline=False)
    assert env["HTTPS_PROXY"] == "http://proxy.example:3128"
    assert env["PIP_CONFIG_FILE"] == __import__("os").devnull
    assert not {"PIP_INDEX_URL", "PIP_NO_INDEX", "PIP_FIND_LINKS"} & set(env)
