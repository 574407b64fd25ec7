import os
import sys
import tempfile
import textwrap

import pytest

import pinlab.sandbox
from pinlab import Sandbox, toy_index
from pinlab.conflicts import parse_conflict
from pinlab.sandbox import SandboxFailed
from pinlab.toys import _build_into, find_toy, load_toy
from pinlab.workdir import leftovers


def test_the_interpreter_is_where_this_platform_puts_it(toys_index):
    with Sandbox(toys_index) as sandbox:
        expected_folder = "Scripts" if os.name == "nt" else "bin"
        assert sandbox.python.parent.name == expected_folder
        assert sandbox.python.is_relative_to(sandbox.path)


def test_pip_installs_from_the_local_index_and_reports_what_is_installed(toys_index):
    with Sandbox(toys_index) as sandbox:
        result = sandbox.pip("install toyhost-export==0.3a2 toyhost==1.0a28")
        assert result.ok, result.output
        assert result.command == ("pip", "install", "toyhost-export==0.3a2", "toyhost==1.0a28")
        assert result.installed == {"toyhost": "1.0a28", "toyhost-export": "0.3a2"}
        assert "Looking in links: <index>" in result.output
        assert str(sandbox.path) not in result.output and str(toys_index.path) not in result.output


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_the_pinned_plugin_conflicts_and_installs_nothing(toys_index, installer):
    with Sandbox(toys_index) as sandbox:
        command = "install toyhost-export==0.3a1 toyhost-charts"
        result = sandbox.pip(command) if installer == "pip" else sandbox.uv("pip " + command)
        assert result.returncode == 1
        assert result.installed == {}
        conflict = parse_conflict(result.output)
        assert conflict is not None and conflict.contested == ("toyhost",)


@pytest.mark.parametrize("key", ["toyhost==1.0a27", "toyhost-export==0.3a2", "toyhost-charts==0.1"])
def test_each_toy_passes_its_own_tests(toys_index, key):
    toy = find_toy(key)
    with Sandbox(toys_index) as sandbox:
        assert sandbox.uv(f"pip install {key}").ok
        result = sandbox.test(toy)
        assert result.ok, result.output
        assert "OK" in result.output.splitlines()


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """Every setting a user's machine might have that would change what an installer does."""
    # A decoy release that must never be seen: if any setting below were honoured, pip would
    # pick toyhost 9.0 from here or fail on the constraint.
    decoy_src = tmp_path / "decoy"
    (decoy_src / "src" / "toyhost").mkdir(parents=True)
    (decoy_src / "src" / "toyhost" / "__init__.py").write_text("")
    (decoy_src / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        [project]
        name = "toyhost"
        version = "9.0"
        [tool.hatch.build.targets.wheel]
        packages = ["src/toyhost"]
        """))
    decoys = tmp_path / "decoys"
    _build_into(load_toy(decoy_src), decoys)
    constraint = tmp_path / "constraints.txt"
    constraint.write_text("toyhost==1.0a27\n")
    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text(f"[global]\nfind-links = {decoys}\nno-index = false\nconstraint = {constraint}\n")
    (tmp_path / "xdg" / "pip").mkdir(parents=True)
    (tmp_path / "xdg" / "pip" / "pip.conf").write_text(pip_conf.read_text())
    shadow = tmp_path / "shadow"  # a PYTHONPATH that would shadow the installed host
    (shadow / "toyhost").mkdir(parents=True)
    (shadow / "toyhost" / "__init__.py").write_text("raise ImportError('shadowed by PYTHONPATH')\n")
    other_venv = tmp_path / "other-venv"
    # A user's virtualenv.ini that would let every package of the base Python into a sandbox.
    (tmp_path / "xdg-config" / "virtualenv").mkdir(parents=True)
    (tmp_path / "xdg-config" / "virtualenv" / "virtualenv.ini").write_text(
        "[virtualenv]\nsystem_site_packages = true\n")
    settings = {
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_EXTRA_INDEX_URL": "http://127.0.0.1:9/extra",
        "PIP_FIND_LINKS": str(decoys),
        "PIP_CONSTRAINT": str(constraint),
        "PIP_REQUIRE_VIRTUALENV": "1",
        "PIP_CONFIG_FILE": str(pip_conf),
        "XDG_CONFIG_DIRS": str(tmp_path / "xdg"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1",
        "HATCH_BUILD_HOOKS_ONLY": "1",  # hatchling would build nothing but hooks: every toy fails
        "HATCH_BUILD_CLEAN": "1",
        "UV_INDEX_URL": "http://127.0.0.1:9/simple",
        "UV_CONSTRAINT": str(constraint),
        "UV_FIND_LINKS": str(decoys),
        "PYTHONPATH": str(shadow),
        "VIRTUAL_ENV": str(other_venv),
        "COLUMNS": "40",  # a narrow terminal: uv would wrap its explanation
        "FORCE_COLOR": "1",  # as a Jupyter kernel sets it
        "PATH": str(other_venv / ("Scripts" if os.name == "nt" else "bin")) + os.pathsep + os.environ["PATH"],
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


def _story(index):
    """The chapter-one story, as results that must not depend on the caller's settings."""
    outcomes = []
    with Sandbox(index) as sandbox:
        outcomes.append(sandbox.pip("install toyhost-export==0.3a1 toyhost-charts"))
        outcomes.append(sandbox.pip("install toyhost-export==0.3a2 toyhost-charts"))
        outcomes.append(sandbox.test(find_toy("toyhost-export==0.3a2")))
    with Sandbox(index) as sandbox:
        outcomes.append(sandbox.uv("pip install toyhost-export==0.3a1 toyhost-charts"))
        outcomes.append(sandbox.uv("pip install toyhost-export==0.3a2 toyhost-charts"))
    return [(o.command, o.returncode, o.output, o.installed) for o in outcomes]


def test_a_hostile_environment_changes_nothing(hostile, tmp_path):
    # A toy built now, under the hostile settings, not taken from the wheel cache.
    built = tmp_path / "built-under-hostile-settings"
    _build_into(find_toy("toyhost==1.0a28"), built)
    assert [wheel.name for wheel in built.glob("*.whl")] == ["toyhost-1.0a28-py3-none-any.whl"]
    with toy_index("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export", "toyhost-charts") as index:
        with_hostile = _story(index)
        for name in hostile:
            os.environ.pop(name)  # restored by monkeypatch afterwards
        os.environ["PATH"] = hostile["PATH"].split(os.pathsep, 1)[1]
        clean = _story(index)
    assert with_hostile == clean
    assert clean[1][3] == {"toyhost": "1.0a28", "toyhost-charts": "0.1", "toyhost-export": "0.3a2"}
    assert clean[4][3] == clean[1][3]


def test_an_interrupt_while_creating_leaves_nothing(toys_index, monkeypatch):
    started = []

    def interrupted(target):
        target.mkdir(parents=True)
        started.append(target.parent)  # the sandbox's own folder, with its venv half made
        raise KeyboardInterrupt

    monkeypatch.setattr(pinlab.sandbox, "_create_venv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Sandbox(toys_index)
    # Its own folder only: other workers' sandboxes come and go in the same temp folder meanwhile.
    (folder,) = started
    assert folder.name.startswith("pinlab-sandbox-")
    assert not folder.exists()
    assert folder.name not in [left.name for left in leftovers()]  # leftovers() names it through any link


def test_an_exception_inside_with_removes_the_sandbox(toys_index):
    with pytest.raises(ValueError):
        with Sandbox(toys_index) as sandbox:
            raise ValueError("a failing cell")
    assert not sandbox.path.exists()


def test_a_sandbox_left_open_is_removed_when_the_interpreter_exits(tmp_path):
    import subprocess

    code = "from pinlab import Sandbox, toy_index; s = Sandbox(toy_index('toyhost==1.0a27')); print(s.path)"
    env = {**os.environ, "TMPDIR": str(tmp_path), "TEMP": str(tmp_path), "TMP": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip()
    assert leftovers(tmp_path) == []


def test_a_fresh_sandbox_holds_nothing_but_its_seed_whatever_virtualenv_ini_says(hostile, toys_index):
    with Sandbox(toys_index) as sandbox:
        assert sandbox.installed() == {}


def test_installed_is_what_the_sandboxs_interpreter_lists_even_from_a_folder_a_pth_file_adds(toys_index, tmp_path):
    # installed() reads the interpreter's search path, not the interpreter's listing: an install
    # that adds a .pth file (an editable one does) adds a folder, and a second copy there is not the one imported.
    with Sandbox(toys_index) as sandbox:
        assert sandbox.uv("pip install toyhost==1.0a27").installed == {"toyhost": "1.0a27"}
        elsewhere = tmp_path / "elsewhere"
        for name, version in (("toyhost-extra", "2.0"), ("toyhost", "9.0")):
            info = elsewhere / f"{name.replace('-', '_')}-{version}.dist-info"
            info.mkdir(parents=True)
            (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
        (elsewhere / "broken-0.1.dist-info").mkdir()  # no Name: skipped by both, with no warning
        (elsewhere / "broken-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\n", encoding="utf-8")
        (sandbox.site_packages / "elsewhere.pth").write_text(f"{elsewhere}\n", encoding="utf-8")
        listed = {dist.key: dist.version for dist in sandbox.environment().distributions
                  if dist.key not in pinlab.sandbox.SEED_PACKAGES}
        assert sandbox.installed() == listed == {"toyhost": "1.0a27", "toyhost-extra": "2.0"}


def test_a_sandbox_alike_an_earlier_one_searches_its_own_folders_not_the_earlier_ones(toys_index):
    # The search path is asked of one sandbox's interpreter and re-used for the next one alike (the
    # same pyvenv.cfg and .pth files), with its own folder put in: a folder that a .pth line names
    # relative to site-packages is each sandbox's own, and is still searched after the first is gone.
    def with_extra(sandbox: Sandbox, version: str) -> None:
        info = sandbox.site_packages / "extra" / f"toyhost_extra-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: toyhost-extra\nVersion: {version}\n",
                                       encoding="utf-8")
        (sandbox.site_packages / "extra.pth").write_text("extra\n", encoding="utf-8")

    with Sandbox(toys_index) as first:
        with_extra(first, "1.0")
        assert first.installed() == {"toyhost-extra": "1.0"}
    with Sandbox(toys_index) as second:
        with_extra(second, "2.0")
        listed = {dist.key: dist.version for dist in second.environment().distributions
                  if dist.key not in pinlab.sandbox.SEED_PACKAGES}
        assert second.installed() == listed == {"toyhost-extra": "2.0"}


def test_the_seed_is_linked_from_virtualenvs_app_data_and_removing_a_sandbox_keeps_the_original(toys_index):
    # Linked, pip's modules are compiled once for every sandbox instead of at each one's first pip run.
    from virtualenv.info import fs_supports_symlink

    if not fs_supports_symlink():
        pytest.skip("this file system has no links: virtualenv copies the seed")
    with Sandbox(toys_index) as sandbox:
        pip = sandbox.site_packages / "pip"
        assert pip.is_symlink()
        original = pip.resolve()
        assert sandbox.pip("install toyhost==1.0a27").ok
    assert not sandbox.path.exists()
    assert (original / "__init__.py").is_file()  # removing the sandbox removed the link, not what it points to
    with Sandbox(toys_index) as again:
        assert again.pip("--version").ok


# A Windows profile folder named after its user ("José Kit") puts a space in TEMP; pip splits
# a list of find-links at whitespace, uv at commas.
ODD_FOLDER = "José Kit, 2"


def test_sandboxes_work_in_a_temp_folder_with_a_space_a_comma_and_accents(tmp_path, monkeypatch):
    odd = tmp_path / ODD_FOLDER
    odd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    with toy_index("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export", "toyhost-charts") as index:
        assert index.path.parent == odd
        with Sandbox(index) as sandbox:
            by_pip = sandbox.pip("install toyhost-export==0.3a2 toyhost-charts")
            assert by_pip.ok, by_pip.output
            assert "Looking in links: <index>" in by_pip.output and ODD_FOLDER not in by_pip.output
        with Sandbox(index) as sandbox:
            by_uv = sandbox.uv("pip install toyhost-export==0.3a2 toyhost-charts")
            assert by_uv.ok, by_uv.output
    assert by_pip.installed == by_uv.installed == {"toyhost": "1.0a28", "toyhost-charts": "0.1",
                                                   "toyhost-export": "0.3a2"}


def test_a_path_with_a_space_is_passed_whole_as_an_argument_of_its_own(toys_index, tmp_path):
    folder = tmp_path / ODD_FOLDER
    folder.mkdir()
    requirements = folder / "requirements.txt"
    requirements.write_text("toyhost-export==0.3a2\n", encoding="utf-8")
    with Sandbox(toys_index) as sandbox:
        sandbox.add_placeholder(folder, "<app>")
        result = sandbox.pip("install -r", requirements)
        assert result.ok, result.output
        assert result.command == ("pip", "install", "-r", "<app>/requirements.txt")
        assert result.installed["toyhost-export"] == "0.3a2"


@pytest.mark.parametrize("line", [
    "install -r /srv/José Kit/requirements.txt",
    "install -r C:\\Users\\José Kit\\requirements.txt",
    "install --requirement=/srv/app/requirements.txt",
    "install 'toyhost>=1.0a27'",
])
def test_a_path_or_a_quote_inside_one_string_is_refused_not_split_wrongly(toys_index, line):
    with Sandbox(toys_index) as sandbox:
        with pytest.raises(ValueError) as raised:
            sandbox.pip(line)
    assert str(raised.value) == (
        f"cannot split {line!r} safely: pass a path or a quoted value as an argument of its own, "
        "e.g. sandbox.pip('install -r', path)"
    )


def test_a_command_that_hangs_is_stopped_at_the_time_limit_and_says_so(toys_index):
    with Sandbox(toys_index) as sandbox:
        sandbox.time_limit = 1  # small, so that the test waits little; the print comes long before it
        result = sandbox.python_run("-c", "print('waiting for a server that never answers', flush=True); "
                                          "import time; time.sleep(120)")
    assert not result.ok and result.returncode == pinlab.sandbox.STOPPED
    assert result.output == ("waiting for a server that never answers\n"
                             "[pinlab stopped it: it had not finished after 1 s]")
    assert str(result).endswith("[pinlab stopped it: it had not finished after 1 s]\n[exit status 137]")


def test_every_command_has_a_time_limit_by_default(toys_index):
    from pinlab.process import TIME_LIMIT

    with Sandbox(toys_index) as sandbox:
        assert sandbox.time_limit == TIME_LIMIT == 600


def test_a_temp_folder_behind_a_link_makes_working_sandboxes_that_name_no_machine_path(tmp_path, linked_temp_folder):
    # Every Mac: TMPDIR lies under /var, a link to /private/var, and virtualenv resolves it.
    real, link = linked_temp_folder
    with toy_index("toyhost==1.0a28", "toyhost-export", "toyhost-charts") as index:
        with Sandbox(index) as sandbox:
            by_pip = sandbox.pip("install toyhost-export==0.3a2 toyhost-charts")
            # The sandbox named through the link (as a caller's own path may) and by its real path.
            both = sandbox.python_run("-c", "import sys; print(sys.prefix); print(sys.argv[1])",
                                      sandbox.unresolved_path / "venv")
        with Sandbox(index) as sandbox:
            by_uv = sandbox.uv("pip install toyhost-export==0.3a2 toyhost-charts")
    assert by_pip.ok and by_uv.ok, (by_pip, by_uv)
    assert by_pip.installed == by_uv.installed == {"toyhost": "1.0a28", "toyhost-charts": "0.1",
                                                   "toyhost-export": "0.3a2"}
    assert "Looking in links: <index>" in by_pip.output
    assert str(both) == ("$ python -c 'import sys; print(sys.prefix); print(sys.argv[1])' <sandbox>/venv\n"
                         "<sandbox>/venv\n<sandbox>/venv\n[exit status 0]")
    for done in (by_pip, by_uv, both):
        assert str(tmp_path) not in str(done) and str(tmp_path.resolve()) not in str(done)
    assert os.listdir(real) == []


def test_a_temp_folder_holding_the_path_separator_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    odd = tmp_path / f"co{os.pathsep}lon"
    odd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    with toy_index() as index:
        with pytest.raises(SandboxFailed) as caught:
            Sandbox(index)
    assert str(caught.value) == (f"the temp folder {odd} holds {os.pathsep!r}, the path separator, which "
                                 "virtualenv refuses: set TMPDIR (Windows: TEMP) to a folder without it")
    assert capsys.readouterr() == ("", "")  # no argparse usage text
    assert os.listdir(odd) == []


def test_virtualenv_refusing_its_arguments_never_raises_systemexit(toys_index, monkeypatch):
    def refusing(args, **kwargs):
        raise SystemExit(2)  # what argparse does for any argument virtualenv refuses

    import virtualenv

    monkeypatch.setattr(virtualenv, "cli_run", refusing)
    with pytest.raises(SandboxFailed, match=r"^virtualenv refused to make .*venv \(exit status 2\)$"):
        Sandbox(toys_index)


_STALLING_BACKEND = '''
import pathlib, time

def get_requires_for_build_wheel(config_settings=None):
    pathlib.Path(__file__).with_name("building").write_text("pip is building")
    time.sleep(60)  # until pinlab kills it
    return []
'''


@pytest.mark.skipif(os.name == "nt", reason="Ctrl-C is sent as a POSIX signal to the main thread")
def test_an_interrupted_pip_install_leaves_no_pip_folder_in_the_temp_folder(toys_index, tmp_path, monkeypatch):
    import signal
    import threading
    import time

    temp = tmp_path / "temp"
    temp.mkdir()
    for name in ("TMPDIR", "TEMP", "TMP"):  # what pip would have used, as its parent's temp folder
        monkeypatch.setenv(name, str(temp))
    monkeypatch.setattr(tempfile, "tempdir", None)
    project = tmp_path / "stall"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "stall"\nversion = "1.0"\n\n'
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n', encoding="utf-8")
    (project / "backend.py").write_text(_STALLING_BACKEND, encoding="utf-8")

    def interrupt_once_pip_builds() -> None:  # Ctrl-C, as a notebook's interrupt button sends it
        for _ in range(600):
            if (project / "building").exists():
                break
            time.sleep(0.05)
        # A real signal (interrupt_main would not wake the main thread waiting for pip).
        signal.pthread_kill(waiting, signal.SIGINT)

    waiting = threading.get_ident()  # this thread, which waits for pip
    with Sandbox(toys_index) as sandbox:
        threading.Thread(target=interrupt_once_pip_builds, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            sandbox.pip("install --no-deps", project)
        assert (project / "building").exists()  # pip was interrupted half-way, not before it started
        # pip was killed before it could clean up; what it left lies in the sandbox's temp folder.
        assert any(entry.name.startswith("pip-") for entry in (sandbox.path / "tmp").iterdir())
        assert [entry.name for entry in temp.iterdir()] == [sandbox.path.name]
    assert list(temp.iterdir()) == []
