"""``pinlab doctor`` on a healthy machine, on a hostile one that is still healthy, and on broken ones."""

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import pinlab.sandbox
from pinlab import doctor
from pinlab.toys import cache_dir, examples_dir

STEPS = ["python", "tmpdir", "build", "sandbox", "clean", "pip", "uv", "audit", "paths", "kernel"]
SUMMARY = r"pinlab doctor: {verdict} · Python {python} · (Linux|Darwin|Windows)-\w+ · \d+\.\d s"


def _lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_a_healthy_machine_passes_every_step_and_exits_0():
    """Run as a participant runs it, ``python -m pinlab doctor`` (the ``pinlab`` command): one whole
    doctor run (seconds) proves the command, and every step's line."""
    from pinlab.process import clean_env, run

    # Its standard output: what the kernel it starts prints on standard error (a debugger's
    # warning, with the lowest ipykernel) is not the doctor's to word.
    done = run([sys.executable, "-m", "pinlab", "doctor"], shown_as=["pinlab", "doctor"], env=clean_env(),
               merge_output=False)
    assert done.command == ("pinlab", "doctor")
    assert done.returncode == 0, done.output
    lines = done.output.splitlines()
    assert [line.split()[1] for line in lines[1:-2]] == STEPS
    assert all(line.startswith("✔ ") for line in lines[1:-2]), lines
    assert re.fullmatch(r"✔ python  Python \d+\.\d+\.\d+ \(3\.10 or newer needed\) at .+  \(\d+\.\d s\)", lines[1])
    wheels = re.escape(str(cache_dir() / "wheels"))
    assert re.fullmatch(rf"✔ build   \d+ toy wheels built with the real backend \(or found in the cache {wheels}\)  "
                        r"\(\d+\.\d s\)", lines[3])
    assert lines[5].startswith("✔ clean   a fresh sandbox holds only pip, as virtualenv seeds it  (")
    assert re.fullmatch(r"✔ audit   pip-audit \d\S* found TOYSEC-2026-1 in toyhost 1\.0a27, asking the local "
                        r"advisory service  \(\d+\.\d s\)", lines[8])
    assert re.fullmatch(r"✔ kernel  a python3 kernel started and imported pinlab, at .+ \(jupyter_client \S+; "
                        r"(JupyterLab \S+|no JupyterLab here)\)  \(\d+\.\d s\)", lines[10])
    assert re.fullmatch(r"Ready: every step passed in \d+\.\d s\.", lines[-2])
    python = re.escape(".".join(map(str, sys.version_info[:3])))
    assert re.fullmatch(SUMMARY.format(verdict="READY", python=python), lines[-1])
    assert lines[-1].startswith("pinlab doctor: READY · Python ")


def test_python_m_pinlab_doctor_is_the_doctor():
    """The module's own entry point, ``python -m pinlab.doctor``, runs the same :func:`doctor.main`
    (whose whole run the test above proves): its answer to an argument is main's, and exit 2."""
    from pinlab.process import clean_env, run

    done = run([sys.executable, "-m", "pinlab.doctor", "--fast"], env=clean_env(), merge_output=False)
    assert (done.returncode, done.output) == (2, "pinlab doctor: unexpected argument '--fast' (it takes none)\n")


def test_a_python_too_old_is_one_line_and_exit_1(capsys):
    assert doctor.main([], python_version=(3, 9, 18)) == 1
    lines = _lines(capsys)
    assert lines[1].startswith("✘ python  Python 3.9.18 is too old: pinlab needs 3.10 or newer; install a newer "
                               "Python (python.org, or `uv python install 3.12`) and make the kit's environment with it  (")
    assert [line[0] for line in lines[1:-2]] == ["✘"] + ["✔"] * (len(STEPS) - 1)
    assert re.fullmatch(r"1 problem found in \d+\.\d s: fix the lines marked ✘ and run the doctor again\.", lines[-2])
    assert re.fullmatch(SUMMARY.format(verdict=r"NOT READY \(python\)", python=r"3\.9\.18"), lines[-1])


def test_broken_toys_are_named_and_the_steps_that_need_them_are_not_tried(tmp_path):
    examples = tmp_path / "examples"
    shutil.copytree(examples_dir() / "toys", examples / "toys")
    broken = examples / "toys" / "toyhost-charts-0.1" / "pyproject.toml"
    broken.write_text(broken.read_text().replace('"toyhost>=1.0a28"', '"toyhost>=1.0a28'))
    steps = {step.name: step for step in doctor.diagnose(examples=examples)}
    assert steps["build"].ok is False
    assert steps["build"].detail == (f"{broken}: invalid TOML: Illegal character '\\n' (at line 10, column 34); "
                                     "run the doctor from the pinlab folder, with its examples/ unchanged")
    assert [(steps[name].ok, steps[name].detail) for name in ("sandbox", "clean", "pip", "uv", "audit", "paths")] == [
        (None, "not tried: the build step failed"),
        (None, "not tried: the sandbox step failed"),
        (None, "not tried: the sandbox step failed"),
        (None, "not tried: the sandbox step failed"),
        (None, "not tried: the sandbox step failed"),
        (None, "not tried: the sandbox step failed"),
    ]


def test_an_unexpected_argument_is_one_line_and_exit_2(capsys):
    assert doctor.main(["--fast"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "pinlab doctor: unexpected argument '--fast' (it takes none)\n"
    assert captured.out == ""


def test_pinlab_doctor_with_an_argument_is_a_usage_error_in_one_line():
    from pinlab.cli import run_pinlab

    done = run_pinlab("doctor", "--fast")
    assert done.returncode == 2
    assert done.output == "pinlab: error: unrecognized arguments: --fast (see pinlab --help)\n"


# -- what issue 15 found on real machines ---------------------------------------------------------

def _unwritable_folder(tmp_path: Path, request) -> Path:
    """A real folder this process cannot write in: mode 0o500, or for root an immutable one."""
    folder = tmp_path / "unwritable"
    folder.mkdir()
    folder.chmod(0o500)
    request.addfinalizer(lambda: folder.chmod(0o700))
    if not os.access(folder, os.W_OK):
        return folder
    # Root writes through any mode bits: only an immutable folder stops it.
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
        pytest.skip("running as root, and chattr +i (the only thing that stops root writing) is not available")
    request.addfinalizer(lambda: subprocess.run(["chattr", "-i", str(folder)], check=True))
    return folder


@pytest.mark.parametrize("case", ["read-only folder", "path under a file"])
def test_a_tmpdir_that_cannot_be_written_is_a_problem_naming_it(case, tmp_path, monkeypatch, request):
    if case == "read-only folder":
        bad = _unwritable_folder(tmp_path, request)
    else:
        (tmp_path / "a-file").write_text("")
        bad = tmp_path / "a-file" / "tmp"
    monkeypatch.setenv("TMPDIR", str(bad))
    with pytest.raises(doctor._Problem) as caught:
        doctor.temp_folder(None)
    assert str(caught.value) == (
        f"TMPDIR={bad} is not a folder this user can write: Python quietly puts the kit's folders in "
        f"{tempfile.gettempdir()} instead; set TMPDIR to a folder of yours, or unset it")


def test_a_tmpdir_too_long_for_windows_paths_is_a_problem_with_its_fix(tmp_path, monkeypatch):
    """What a Windows laptop without long paths would see with a deep TEMP (e.g. a synced profile)."""
    deep = tmp_path / ("d" * max(1, 261 - doctor.SANDBOX_DEPTH - len(str(tmp_path))))
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    with pytest.raises(doctor._Problem) as caught:
        doctor.temp_folder(260)
    assert str(caught.value) == (
        f"the temp folder {deep} is {len(str(deep))} characters long: a sandbox's files lie up to 150 characters "
        "below it, over this machine's limit of 259: set TEMP and TMP to a short folder such as C:\\tmp, or "
        "enable long paths (Windows: LongPathsEnabled)")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    if len(str(tmp_path)) + doctor.SANDBOX_DEPTH < 260:
        assert doctor.temp_folder(260) == (f"{tmp_path}: writable, {len(str(tmp_path))} characters long: room "
                                            "for a sandbox's files (150 characters below it, limit 259)")


def test_a_user_virtualenv_ini_asking_for_system_site_packages_leaves_a_clean_sandbox(toys_index, tmp_path,
                                                                                    monkeypatch):
    """The machine of issue 15: the user's virtualenv.ini says system_site_packages = true."""
    from pinlab import Sandbox

    (tmp_path / "virtualenv").mkdir()
    (tmp_path / "virtualenv" / "virtualenv.ini").write_text("[virtualenv]\nsystem_site_packages = true\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with Sandbox(toys_index) as sandbox:
        assert doctor.isolation(sandbox) == "a fresh sandbox holds only pip, as virtualenv seeds it"


def test_a_sandbox_that_sees_the_system_site_packages_is_a_problem(toys_index):
    """What the clean step says when a sandbox is made as that virtualenv.ini asks: its
    pyvenv.cfg holds the line virtualenv writes for system_site_packages = true."""
    from pinlab import Sandbox

    with Sandbox(toys_index) as sandbox:
        config = sandbox.python.parent.parent / "pyvenv.cfg"
        text = config.read_text(encoding="utf-8")
        assert "include-system-site-packages = false" in text
        config.write_text(text.replace("include-system-site-packages = false", "include-system-site-packages = true"),
                          encoding="utf-8")
        with pytest.raises(doctor._Problem) as caught:
            doctor.isolation(sandbox)
    sees = (r"the base Python's site-packages \(include-system-site-packages = true in its pyvenv\.cfg, as a "
            r"virtualenv\.ini with system_site_packages = true asks\); remove that setting")
    assert re.fullmatch(rf"a fresh sandbox (holds \d+ packages? it did not install \(.+\): it sees|sees) {sees}",
                        str(caught.value)), str(caught.value)


def _examples_with_the_doctors_toys(folder: Path) -> Path:
    """An examples folder holding only the toys the doctor installs, and the advisories: a doctor
    that must build its toys (no cache) builds 4 wheels instead of every toy's."""
    examples = folder / "examples"
    for toy in ("toyhost-1.0a27", "toyhost-1.0a28", "toyhost-export-0.3a2", "toyhost-charts-0.1"):
        shutil.copytree(examples_dir() / "toys" / toy, examples / "toys" / toy)
    shutil.copytree(examples_dir() / "advisories", examples / "advisories")
    return examples


def test_a_proxy_a_global_index_setting_and_an_unwritable_cache_change_nothing(tmp_path, monkeypatch, caplog):
    """Three of the workshop's failures on one machine, in one doctor run (each run takes seconds):
    "a corporate proxy" and "PIP_INDEX_URL set globally" (see the instructor guide): the lab never
    goes online, so neither matters once the kit is installed; and ~/.cache root-owned after a
    `sudo pip` (here: a cache path under a file), a note, not a traceback."""
    from pinlab import toys

    pip_conf = tmp_path / "pip.conf"
    pip_conf.write_text("[global]\nindex-url = http://127.0.0.1:9/simple\nretries = 0\ntimeout = 1\n")
    for name, value in {
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "PIP_CONFIG_FILE": str(pip_conf),
        "UV_INDEX_URL": "http://127.0.0.1:9/simple",
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "a-file").write_text("")
    cache = tmp_path / "a-file" / "cache"
    monkeypatch.setenv("PINLAB_CACHE", str(cache))
    examples = _examples_with_the_doctors_toys(tmp_path)
    made = len(toys._temporary_caches)
    try:
        with caplog.at_level(logging.WARNING, logger="pinlab"):
            steps = doctor.diagnose(examples=examples)
    finally:
        for temporary in toys._temporary_caches[made:]:
            temporary.close()
    assert [(step.name, step.ok) for step in steps] == [(name, True) for name in STEPS], [str(step) for step in steps]
    assert re.fullmatch(rf"4 toy wheels built with the real backend, in a temporary cache: "
                        rf"{re.escape(str(cache / 'wheels'))} cannot be written \(make it yours again, or set "
                        r"PINLAB_CACHE\)", steps[STEPS.index("build")].detail)
    assert [record.getMessage() for record in caplog.records] == [
        f"pinlab: the toy wheel cache {cache / 'wheels'} cannot be written (Not a directory); using a temporary "
        "cache for this session, so the toys are rebuilt each time. Make that folder yours again (after `sudo pip`: "
        "sudo chown -R $USER ~/.cache) or set PINLAB_CACHE to a folder you can write."]


def test_missing_uv_and_jupyter_and_a_path_over_the_limit_are_each_said_and_pip_installs_what_is_audited(
        monkeypatch, capsys):
    """One doctor run for three independent problems (each run takes seconds): uv missing, and what
    a Windows laptop without long paths would see, with this machine's deepest path, are problems,
    each with its fix; Jupyter missing is only not tried (the doctor may run outside the lab).
    Without uv, the audit step installs what it audits with pip, and still proves pip-audit."""
    def no_uv():
        raise FileNotFoundError("uv is not installed: pip install uv")

    monkeypatch.setattr(pinlab.sandbox, "uv_binary", no_uv)
    monkeypatch.setitem(sys.modules, "jupyter_client.manager", None)  # what an import finds when it is not installed
    assert doctor.main([], path_limit=60) == 1
    lines = {line.split()[1]: line for line in _lines(capsys)[1:-2]}
    assert re.fullmatch(r"✘ uv      uv not found: install the kit with its dependencies \(uv is one of them\), or "
                        r"`pip install uv`; chapter 1 runs it beside pip  \(\d+\.\d s\)", lines["uv"])
    assert lines["pip"].startswith("✔ pip     ")
    assert re.fullmatch(
        r"✘ paths   the deepest file in (a sandbox|the kit's environment) has a path of \d+ characters, over this "
        r"machine's limit of 59: enable long paths \(Windows: LongPathsEnabled\), or move the kit and TEMP to short "
        r"folders such as C:\\pinlab and C:\\tmp  \(\d+\.\d s\)",
        lines["paths"])
    assert re.fullmatch(r"✔ audit   pip-audit \d\S* found TOYSEC-2026-1 in toyhost 1\.0a27, asking the local "
                        r"advisory service  \(\d+\.\d s\)", lines["audit"])
    assert lines["kernel"].startswith(
        "– kernel  not tried: jupyter_client is not installed here (the workshop installs it with JupyterLab)  (")


def test_pip_audit_missing_is_a_problem_with_its_fix(monkeypatch, capsys):
    """A kit installed without its workshop requirements: chapters 3 and 5 need pip-audit."""
    monkeypatch.setitem(sys.modules, "pip_audit", None)
    monkeypatch.setitem(sys.modules, "jupyter_client.manager", None)  # not what this test is about (a kernel takes a second)
    assert doctor.main([]) == 1
    lines = {line.split()[1]: line for line in _lines(capsys)[1:-2]}
    assert lines["audit"].startswith(
        "✘ audit   pip-audit is not installed beside pinlab: chapters 3 and 5 run it; install the kit with the "
        "workshop's requirements (wheelhouse/requirements.txt), or `pip install pip-audit`  (")
    assert [name for name, line in lines.items() if line.startswith("✘")] == ["audit"]


def test_the_summary_names_what_was_not_ready_or_not_tried():
    steps = [doctor.Step("python", True, "", 0.0), doctor.Step("uv", False, "", 0.0),
             doctor.Step("paths", False, "", 0.0), doctor.Step("kernel", None, "", 0.0)]
    assert re.fullmatch(SUMMARY.format(verdict=r"NOT READY \(uv, paths\)", python=r"3\.10\.4"),
                        doctor.summary(steps, 20.14, (3, 10, 4)))
    assert doctor.summary(steps[:1] + steps[3:], 9.8, (3, 13, 1)).startswith(
        "pinlab doctor: READY (kernel not tried) · Python 3.13.1 · ")
    assert doctor.summary(steps[:1] + steps[3:], 9.8, (3, 13, 1)).endswith(" · 9.8 s")


@pytest.fixture
def kernel_spec_of_a_deleted_environment(tmp_path, monkeypatch):
    """The python3 kernel spec Jupyter finds names a venv since deleted: (the spec's folder, its python)."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    gone = tmp_path / "old-venv" / "bin" / "python"
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": [str(gone), "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3",
         "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return spec, gone


def test_a_kernel_spec_left_by_a_deleted_environment_is_a_problem_naming_it(kernel_spec_of_a_deleted_environment):
    """JupyterLab starts the python3 kernel a spec names, and a spec outlives the venv it was made in."""
    spec, gone = kernel_spec_of_a_deleted_environment
    with pytest.raises(doctor._Problem) as caught:
        doctor.kernel()
    missing = "[WinError 2] The system cannot find the file specified" if os.name == "nt" else \
        f"[Errno 2] No such file or directory: '{gone}'"
    assert str(caught.value) == (
        f"the python3 kernel did not start: {missing}; JupyterLab could not run the chapters: check the kernel "
        f"spec in {spec}")


def test_the_kernel_step_leaves_no_event_loop_open_behind_it(kernel_spec_of_a_deleted_environment):
    """Run in-process (a script calling the doctor, or a test), the kernel step left the thread an
    open event loop with jupyter_client 7 (nox -s minimums): when the next code set a loop of its
    own, as nbclient does, the dropped loop and its socket warned at garbage collection, failing
    whatever ran then. A kernel that cannot start takes the same path, in a fraction of a second.
    In a process of its own: pytest's records of earlier tests can keep such a loop alive."""
    script = textwrap.dedent("""\
        import asyncio, gc
        from pinlab import doctor
        try:
            doctor.kernel()
        except doctor._Problem as problem:
            print(problem)
        replacement = asyncio.new_event_loop()
        asyncio.set_event_loop(replacement)  # the next user of this thread, e.g. nbclient
        asyncio.set_event_loop(None)
        replacement.close()
        gc.collect()
        """)
    done = subprocess.run([sys.executable, "-W", "always::ResourceWarning", "-c", script], capture_output=True,
                          text=True, env={**os.environ, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}, check=True)
    assert done.stdout.startswith("the python3 kernel did not start: "), done
    assert "ResourceWarning" not in done.stderr, done.stderr


# -- hostile machine states: a colon in TMPDIR, a SystemExit in a step, PINLAB_CACHE relative ------

SANDBOX_STEPS = ["clean", "pip", "uv", "audit", "paths"]


def test_a_temp_folder_holding_the_path_separator_is_a_problem_and_the_summary_still_comes(
        tmp_path, monkeypatch, capsys):
    """virtualenv exits (argparse's SystemExit) on a temp folder holding os.pathsep: before, the
    doctor died with it, before printing anything."""
    folder = tmp_path / f"a{os.pathsep}b"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # found again from TMPDIR (monkeypatch restores it)
    monkeypatch.setitem(sys.modules, "jupyter_client.manager", None)  # not what this test is about
    assert doctor.main([]) == 1
    lines = _lines(capsys)
    steps = {line.split()[1]: line for line in lines[1:-2]}
    assert steps["tmpdir"].startswith(
        f"✘ tmpdir  the temp folder {folder} holds {os.pathsep!r}, the path separator, which virtualenv refuses: "
        "set TMPDIR (Windows: TEMP) to a folder without it  (")
    assert steps["sandbox"] == "– sandbox not tried: the tmpdir step failed  (0.0 s)"
    assert [steps[name] for name in SANDBOX_STEPS] == [
        f"– {name:<8}not tried: the sandbox step failed  (0.0 s)" for name in SANDBOX_STEPS]
    assert re.fullmatch(SUMMARY.format(verdict=r"NOT READY \(tmpdir\)", python=r"\d+\.\d+\.\d+"), lines[-1])


def test_a_step_that_raises_system_exit_is_a_problem_and_keyboard_interrupt_still_stops_the_doctor():
    def exits() -> str:
        raise SystemExit(2)  # what virtualenv's argparse does on a value it refuses

    step = doctor._attempt("sandbox", exits)
    assert (step.name, step.ok, step.detail) == (
        "sandbox", False, "stopped by an unexpected SystemExit: 2; run the doctor again, and if this line stays, "
                          "send it to the instructor")

    def interrupted() -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        doctor._attempt("pip", interrupted)


def test_a_relative_pinlab_cache_is_the_build_steps_problem_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PINLAB_CACHE", "relpc")
    monkeypatch.setitem(sys.modules, "jupyter_client.manager", None)  # not what this test is about
    steps = {step.name: step for step in doctor.diagnose(examples=examples_dir())}
    assert (steps["build"].ok, steps["build"].detail) == (
        False, "PINLAB_CACHE=relpc is a relative path: the doctor (in the kit's folder) and the notebooks (in book/) "
               "would each use a different cache; set PINLAB_CACHE to an absolute path, or unset it")
    assert (steps["sandbox"].ok, steps["sandbox"].detail) == (None, "not tried: the build step failed")
    assert not (tmp_path / "relpc").exists()
