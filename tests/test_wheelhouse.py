"""The USB stick: a wheelhouse built by the session's own code, installed with no index reachable.

The full wheelhouse (every locked dependency of pinlab's `lab` extra and the `jupyter` group, from PyPI) is built
and proven by `nox -s wheelhouse`, which CI runs; here the same functions build a small one from a
local folder of toy wheels, so the suite stays offline. A toy project stands in for pinlab.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from filelock import FileLock

from pinlab import Sandbox, toy_index
from pinlab.index import LocalIndex
from pinlab.toys import find_toy
from pinlab.wheelhouse import (
    INSTALL_ARGS,
    FreshVenvs,
    Lock,
    Target,
    TargetError,
    WheelhouseError,
    build,
    check_targets,
    find_interpreters,
    install_txt,
    locked_requirements,
    main,
    parse_requirements,
    plan,
    prove,
    verify,
)

ROOT = Path(__file__).resolve().parents[1]
MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"
INSTALL_LINE = f".venv/bin/python {' '.join(INSTALL_ARGS)}"


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def source():
    """What PyPI is to the real session: here, a local folder with two toy releases."""
    with toy_index("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export==0.3a1") as index:
        yield index


@pytest.fixture(scope="module")
def venvs(run_shared_folder):
    """One ``python -m venv`` per interpreter for the whole run, xdist workers included (2-5 s
    each: ensurepip installs pip), copied for each proof; every install into a copy is the
    participant's own command, for real."""
    shared = run_shared_folder / "fresh venvs"
    shared.mkdir(exist_ok=True)
    with FreshVenvs(shared) as made:
        yield made


@pytest.fixture(scope="module")
def workshop_lock() -> tuple:
    """The lock's requirements for the workshop (``uv export``), read by several tests; a tuple, so none can change it."""
    return tuple(parse_requirements(locked_requirements(ROOT, ["jupyter"], ["lab"])))


def _wheel(source, name: str) -> Path:
    return next(wheel for wheel in source.wheels() if wheel.name.startswith(name))


def _requirements(source) -> str:
    host, plugin = _wheel(source, "toyhost-1.0a28-"), _wheel(source, "toyhost_export-")
    # As uv export writes them: continuation lines, and one requirement whose marker never holds.
    return (f"toyhost==1.0a28 \\\n    --hash={_sha256(host)}\n"
            f"toyhost-export==0.3a1 ; sys_platform == 'emscripten' \\\n    --hash={_sha256(plugin)}\n")


def _files_of(folder: Path) -> dict[str, tuple[int, int]]:
    return {path.name: (path.stat().st_size, path.stat().st_mtime_ns) for path in sorted(folder.iterdir())}


def _made_once_per_run(shared: Path, name: str, make) -> Path:
    """``shared/name/wheelhouse``, filled by *make* in the first worker of the run to ask (under a
    file lock; the others wait for it): a stick that tests only read is built once per run."""
    dest, done = shared / name / "wheelhouse", shared / f"{name}.done"
    with FileLock(shared / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(dest.parent, ignore_errors=True)  # what a failed attempt left
            make(dest)
            done.write_text("built\n", encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def _room_stick(run_shared_folder, source):
    targets = [Target.here(), Target("windows-amd64", "3.12")]
    dest = _made_once_per_run(run_shared_folder, "room stick", lambda dest: build(
        dest, _requirements(source), None, targets, find_links=source.path))
    return dest, targets, sorted(dest.glob("*.whl"))  # what build() returned


@pytest.fixture
def room_stick(_room_stick):
    """The stick of `_requirements` for this machine and Windows' 3.12, built once per run (every
    xdist worker's module reads the same) and shared by the tests that only read it: (its folder,
    its targets, its wheels). A test that changes a file in it fails here; such a test copies it first."""
    dest = _room_stick[0]
    before = _files_of(dest)
    yield _room_stick
    assert _files_of(dest) == before, "the test changed the shared stick: it must copy it first"


@pytest.fixture(scope="module")
def _pinlab_stick(run_shared_folder):
    return _made_once_per_run(run_shared_folder, "pinlab stick", lambda dest: build(
        dest, "", ROOT, find_links=dest.parent, extras=["lab"]))


@pytest.fixture
def pinlab_stick(_pinlab_stick):
    """A stick holding pinlab alone, built from this checkout with its `lab` extra, once per run
    and shared by the tests that only read it (guarded as `room_stick`)."""
    before = _files_of(_pinlab_stick)
    yield _pinlab_stick
    assert _files_of(_pinlab_stick) == before, "the test changed the shared stick: it must copy it first"


@pytest.fixture
def hostile_network(monkeypatch):
    """A global index setting and a proxy, both dead: nothing may need them."""
    for name, value in {"PIP_INDEX_URL": "http://127.0.0.1:9/simple", "HTTPS_PROXY": "http://127.0.0.1:9",
                        "HTTP_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}.items():
        monkeypatch.setenv(name, value)


def test_a_wheelhouse_installs_with_no_index_reachable(tmp_path, source, venvs, hostile_network):
    dest = tmp_path / "wheelhouse"
    charts = find_toy("toyhost-charts==0.1").source  # stands in for pinlab: built from source, pinned by hash
    wheels = build(dest, _requirements(source), charts, find_links=source.path)

    assert [wheel.name for wheel in wheels] == ["toyhost-1.0a28-py3-none-any.whl", "toyhost_charts-0.1-py3-none-any.whl"]
    charts_wheel, host_wheel = dest / wheels[1].name, dest / wheels[0].name
    assert (dest / "requirements.txt").read_text().splitlines() == [
        f"toyhost-charts==0.1 --hash={_sha256(charts_wheel)}",
        f"toyhost==1.0a28 --hash={_sha256(host_wheel)}",
        f"toyhost-export==0.3a1 ; sys_platform == 'emscripten' --hash={_sha256(_wheel(source, 'toyhost_export-'))}",
    ]
    proof = verify(dest, venvs=venvs)
    assert proof.installed == {"toyhost": "1.0a28", "toyhost-charts": "0.1"}
    assert str(proof) == (f"Python {proof.interpreter.version} ({sys.executable}): 2 packages installed from the "
                          "wheelhouse alone (pip --isolated --no-index), every file checked against its hash")


def test_a_swapped_wheel_is_refused(tmp_path, room_stick, venvs):
    dest = tmp_path / "wheelhouse"
    shutil.copytree(room_stick[0], dest)
    swapped = dest / "toyhost-1.0a28-py3-none-any.whl"
    with zipfile.ZipFile(swapped, "a") as archive:  # someone adds a file to the wheel on the stick
        archive.writestr("toyhost/extra.py", "print('not from the lock')\n")
    with pytest.raises(WheelhouseError) as caught:
        verify(dest, venvs=venvs)
    assert str(caught.value) == (f"Python {sys.version.split()[0]} ({sys.executable}): installing from the "
                                 "wheelhouse failed: toyhost==1.0a28: the wheel does not match its hash in "
                                 "requirements.txt; someone may have changed it")


def test_a_requirement_missing_from_the_source_names_the_target_and_the_requirement(tmp_path, source):
    with pytest.raises(WheelhouseError) as caught:
        build(tmp_path / "wheelhouse", "toyhost==2.0 --hash=sha256:00\n", None, find_links=source.path)
    assert str(caught.value) == (f"pip download for this / Python {MINOR}.0: "
                                 "No matching distribution found for toyhost==2.0")


def test_the_lock_gives_every_requirement_of_the_workshop_groups_with_hashes(workshop_lock):
    lines = workshop_lock
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


def test_pinlab_goes_on_the_stick_with_its_extra_pinned_by_hash(pinlab_stick):
    """pinlab[lab]==...: installing the stick, pip checks that every wheel of the extra is on it."""
    dest = pinlab_stick
    (wheel,) = dest.glob("pinlab-*.whl")
    assert (dest / "requirements.txt").read_text().splitlines() == [f"pinlab[lab]==0.1.0 --hash={_sha256(wheel)}"]


@pytest.mark.parametrize(("target", "wanted", "unwanted"), [
    (Target("windows-amd64", "3.10"), {"colorama", "pywinpty", "tomli"}, {"pexpect", "appnope"}),
    (Target("macos-arm64", "3.13"), {"appnope", "pexpect"}, {"colorama", "pywinpty", "exceptiongroup"}),
    (Target("linux-x86_64", "3.12"), {"pexpect"}, {"colorama", "appnope", "pywinpty"}),
])
def test_markers_are_evaluated_for_each_kind_of_laptop(workshop_lock, target, wanted, unwanted):
    chosen = {line.requirement.name for download in plan(workshop_lock, target) for line in download.lines}
    assert wanted <= chosen and not unwanted & chosen


def test_a_minor_version_target_keeps_both_sides_of_a_patch_level_split(workshop_lock):
    """soupsieve 2.10 below Python 3.11.5, 4.1.3 from 3.11.5 on: Debian 12's 3.11.2 needs the first."""
    downloads = plan(workshop_lock, Target("linux-x86_64", "3.11"))
    assert [(d.patches, [line.version for line in d.lines if line.requirement.name == "soupsieve"])
            for d in downloads] == [(range(0, 5), ["2.10"]), (range(5, 41), ["4.1.3"])]


def test_a_stick_for_one_minor_version_installs_on_each_of_its_patch_releases(tmp_path, source, venvs):
    """The default stick serves every patch release of this Python: one pip download per side of a
    marker's split (one download with both pins would be ResolutionImpossible), each side installed
    by a real interpreter of that side where this machine has one (Debian 12's python3 is 3.11.2)."""
    split = f"{MINOR}.5"
    requirements = (f"toyhost==1.0a27 ; python_full_version < '{split}' --hash={_sha256(_wheel(source, 'toyhost-1.0a27'))}\n"
                    f"toyhost==1.0a28 ; python_full_version >= '{split}' --hash={_sha256(_wheel(source, 'toyhost-1.0a28'))}\n")
    dest = tmp_path / "wheelhouse"
    wheels = build(dest, requirements, None, find_links=source.path)
    assert [wheel.name for wheel in wheels] == ["toyhost-1.0a27-py3-none-any.whl", "toyhost-1.0a28-py3-none-any.whl"]

    interpreters = find_interpreters([Target.here()], [f"/usr/bin/python{MINOR}", "/usr/bin/python3"])
    below = [i for i in interpreters if int(i.version.split(".")[2]) < 5]
    above = [i for i in interpreters if int(i.version.split(".")[2]) >= 5]
    for interpreter, expected in [*((i, "1.0a27") for i in below), *((i, "1.0a28") for i in above)]:
        assert verify(dest, python=interpreter.path, venvs=venvs).installed == {"toyhost": expected}
    if not (below and above):
        pytest.skip(f"installed on {', '.join(map(str, interpreters))} only: no Python {MINOR} on the other side "
                    f"of {split} here")


def test_a_fresh_venv_is_a_working_copy_of_what_python_m_venv_made_and_keeps_its_installs_to_itself(
        tmp_path, source, venvs, run_shared_folder):
    """The copies verify() installs into: this Python's ensurepip pip, living in the copy, which
    pip installs into; the next copy is as fresh as the first."""
    import ensurepip

    first, second = tmp_path / "first venv", tmp_path / "second venv"
    assert venvs.make(sys.executable, first).ok
    python = next(p for p in (first / "Scripts" / "python.exe", first / "bin" / "python") if p.exists())
    done = subprocess.run([str(python), "-m", "pip", "install", "--isolated", "--no-index", "--find-links",
                           str(source.path), "toyhost==1.0a28"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert venvs.make(sys.executable, second).ok
    ask = ("import importlib.metadata as m, json, sys, pip; "
           "print(json.dumps([sys.prefix, pip.__version__, [d.metadata['Name'] for d in m.distributions()]]))")
    seen = {}
    for venv in (first, second):
        python = next(p for p in (venv / "Scripts" / "python.exe", venv / "bin" / "python") if p.exists())
        answer = subprocess.run([str(python), "-I", "-c", ask], capture_output=True, text=True, check=True)
        prefix, pip_version, names = json.loads(answer.stdout)
        assert Path(prefix).samefile(venv) and pip_version == ensurepip.version()
        seen[venv.name] = "toyhost" in names
    assert seen == {"first venv": True, "second venv": False}

    # Another process's FreshVenvs on the same shared folder (another xdist worker's) copies the
    # same original: its files are those of the second copy, not those of a python -m venv of its own.
    third = tmp_path / "third venv"
    with FreshVenvs(run_shared_folder / "fresh venvs") as other:
        assert other.make(sys.executable, third) == venvs.make(sys.executable, tmp_path / "fourth venv")
    pyvenv = [venv / "pyvenv.cfg" for venv in (second, third)]
    assert pyvenv[0].read_text() == pyvenv[1].read_text() and pyvenv[0].samefile(pyvenv[1])


def test_a_failed_python_m_venv_is_answered_as_it_failed_and_kept_for_no_one(tmp_path):
    """A shared folder's python -m venv that fails (here: an interpreter that cannot start) is
    returned as it failed, and the next process sharing the folder tries again: nothing is kept."""
    python = os.path.join(os.path.dirname(sys.executable), ".", os.path.basename(sys.executable))  # a name of its own
    env = {**os.environ, "PYTHONHOME": str(tmp_path / "no such home")}
    shared = tmp_path / "shared"
    shared.mkdir()
    for attempt in ("first venv", "second venv"):
        with FreshVenvs(shared) as venvs:
            made = venvs.make(python, tmp_path / attempt, env)
        assert made.returncode == 1 and "Fatal Python error" in made.output, made
        assert made.command == (python, "-m", "venv", os.path.join("<venv-folder>", "venv"))
        assert not (tmp_path / attempt).exists()
    assert [path.suffix for path in shared.iterdir()] == [".lock"]


@pytest.mark.parametrize("minors", [("3.10", "3.13")])
def test_one_stick_installs_on_several_pythons_each_proven_by_its_own_interpreter(tmp_path, source, venvs, minors):
    """--python 3.10 --python 3.13: each Python's markers get their own download, and the proof
    runs the participant's command with python3.10 and python3.13 themselves."""
    targets = [Target.here(minor) for minor in minors]
    here = {interpreter.minor for interpreter in find_interpreters(targets)}  # asked before building
    missing = [minor for minor in minors if minor not in here]
    if missing:
        pytest.skip(f"no python{' nor python'.join(missing)} on PATH (with pyenv: PYENV_VERSION=3.11.7:3.10.13:3.13.0)")
    requirements = (f"toyhost==1.0a27 ; python_version < '3.11' --hash={_sha256(_wheel(source, 'toyhost-1.0a27'))}\n"
                    f"toyhost==1.0a28 ; python_version >= '3.11' --hash={_sha256(_wheel(source, 'toyhost-1.0a28'))}\n")
    dest = tmp_path / "wheelhouse"
    build(dest, requirements, None, targets, find_links=source.path)
    proofs, unproven = prove(dest, targets, venvs=venvs)
    found = {proof.interpreter.minor: proof.installed for proof in proofs}
    assert found == {"3.10": {"toyhost": "1.0a27"}, "3.13": {"toyhost": "1.0a28"}}
    assert unproven == []


def test_a_mixed_room_is_proven_only_where_this_machine_can_run_it(room_stick, venvs):
    """Windows wheels are downloaded but not installed on a Linux builder; INSTALL.txt says which
    targets were built and which were proven."""
    dest, targets, wheels = room_stick
    assert targets == [Target.here(), Target("windows-amd64", "3.12")]
    proofs, unproven = prove(dest, targets, venvs=venvs)
    versions = [proof.interpreter.version for proof in proofs]  # this one, and another 3.11 found on PATH
    assert versions[0] == sys.version.split()[0] and {v.rsplit(".", 1)[0] for v in versions} == {MINOR}
    assert unproven == [Target("windows-amd64", "3.12")]
    text = install_txt(len(wheels), targets, proofs, unproven)
    assert "  - Windows 64-bit (x86_64), CPython 3.12 (any 3.12.x)\n" in text
    assert (f"  - Python {versions[-1]}\n  - not windows-amd64 / Python 3.12: no such interpreter on that machine\n"
            in text)
    assert f"    {INSTALL_LINE}\n" in text


def test_an_intel_mac_is_refused_before_anything_is_downloaded(tmp_path, capsys):
    """The lock has no macOS x86_64 wheel of argon2-cffi-bindings (pip-audit needs it): say so at once."""
    dest = tmp_path / "wheelhouse"
    with pytest.raises(SystemExit) as exited:
        main(["--project", str(ROOT), "--dest", str(dest), "--extra=lab", "--group=jupyter",
              "--platform", "macos-x86_64", "--platform", "windows-amd64", "--python", "3.12"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == ("python -m pinlab.wheelhouse: cannot serve macos-x86_64 / Python 3.12: "
                                       "uv.lock has no wheel for it of argon2-cffi-bindings 26.2.0\n")
    assert not dest.exists()


def test_an_interpreter_to_prove_with_that_is_none_of_the_targets_is_refused(tmp_path, capsys):
    other = "3.10" if MINOR != "3.10" else "3.12"
    dest = tmp_path / "wheelhouse"
    with pytest.raises(SystemExit) as exited:
        main(["--project", str(ROOT), "--dest", str(dest), "--python", other, "--prove-with", sys.executable])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (f"python -m pinlab.wheelhouse: --prove-with {sys.executable!r}: Python "
                                       f"{sys.version.split()[0]} is none of the laptops this machine can stand "
                                       f"for ({other})\n")
    assert not dest.exists()


def test_every_laptop_the_lock_serves_passes_the_check_and_a_python_it_does_not_support_is_named(workshop_lock):
    lines = workshop_lock
    lock = Lock.read(ROOT)
    check_targets(lines, [Target(p, v) for p in ("linux-x86_64", "macos-arm64", "windows-amd64")
                          for v in ("3.10", "3.11", "3.12", "3.13")], lock)
    with pytest.raises(TargetError) as caught:
        check_targets(lines, [Target.here("3.9")], lock)
    assert str(caught.value) == "cannot serve this / Python 3.9: the kit needs Python >=3.10"


@pytest.fixture
def hostile_pip_settings(tmp_path, monkeypatch):
    """A participant's laptop: PIP_CONSTRAINT set and a user pip.conf holding a constraint, both
    naming files that do not exist (as left behind by another course), on every OS's user path."""
    home = tmp_path / "home"
    conf = "[global]\nconstraint = /nowhere/constraints-from-pip-conf.txt\n"
    for where in (home / ".config" / "pip" / "pip.conf", home / ".pip" / "pip.conf",
                  home / "Library" / "Application Support" / "pip" / "pip.conf",
                  home / "AppData" / "Roaming" / "pip" / "pip.ini"):
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(conf, encoding="utf-8")
    for name, value in {"HOME": str(home), "USERPROFILE": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                        "APPDATA": str(home / "AppData" / "Roaming"),
                        "PIP_CONSTRAINT": "/nowhere/constraints-from-env.txt"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PIP_CONFIG_FILE", raising=False)  # pip reads the user's file only without it


def test_the_participants_command_ignores_pip_constraint_and_the_users_pip_conf(tmp_path, room_stick, venvs,
                                                                                 hostile_pip_settings):
    dest = room_stick[0]
    assert verify(dest, venvs=venvs).installed == {"toyhost": "1.0a28"}

    # The same command without --isolated, as the stick wrote it before: stopped by the constraint.
    venv = tmp_path / "plain venv"
    assert venvs.make(sys.executable, venv).ok  # what python -m venv makes, as the test made before
    python = next(p for p in (venv / "Scripts" / "python.exe", venv / "bin" / "python") if p.exists())
    plain = [arg for arg in INSTALL_ARGS if arg != "--isolated"]
    done = subprocess.run([str(python), *plain], cwd=dest.parent, capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("ERROR: Could not open requirements file: ")


def test_the_guide_and_install_txt_give_the_command_the_proof_runs():
    """offline.md, setup.md and INSTALL.txt show exactly the command verify() runs."""
    for page in ("offline.md", "setup.md"):
        text = (ROOT / "book" / "workshop" / page).read_text(encoding="utf-8")
        assert f"$ {INSTALL_LINE}\n" in text, page
        assert "--find-links wheelhouse -r" not in text.replace(INSTALL_LINE, ""), page  # no other spelling left
    assert f"    {INSTALL_LINE}\n" in install_txt(1, [Target.here()], [], [])


def test_on_a_python_too_old_pip_says_so(pinlab_stick):
    """The instructor guide's "a Python that is too old": what pip prints when asked for pinlab."""
    dest = pinlab_stick
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
        env = sandbox.pip_env(offline=False)
    assert env["HTTPS_PROXY"] == "http://proxy.example:3128"
    assert env["PIP_CONFIG_FILE"] == __import__("os").devnull
    assert not {"PIP_INDEX_URL", "PIP_NO_INDEX", "PIP_FIND_LINKS"} & set(env)
