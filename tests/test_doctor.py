"""``pinlab doctor`` on a healthy machine, on a hostile one that is still healthy, and on broken ones."""

import re
import shutil
import sys

import pytest

import pinlab.sandbox
from pinlab import doctor
from pinlab.toys import examples_dir

STEPS = ["python", "build", "sandbox", "pip", "uv", "paths"]


def _lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_a_healthy_machine_passes_every_step_and_exits_0(capsys):
    assert doctor.main([]) == 0
    lines = _lines(capsys)
    assert [line.split()[1] for line in lines[1:-1]] == STEPS
    assert all(line.startswith("✔ ") for line in lines[1:-1]), lines
    assert re.fullmatch(r"✔ python  Python \d+\.\d+\.\d+ \(3\.10 or newer needed\) at .+  \(\d+\.\d s\)", lines[1])
    assert re.fullmatch(r"Ready: every step passed in \d+\.\d s\.", lines[-1])


def test_a_corporate_proxy_and_a_global_index_setting_change_nothing(monkeypatch, tmp_path):
    """The workshop's failures "a corporate proxy" and "PIP_INDEX_URL set globally" (see the
    instructor guide): the lab never goes online, so neither matters once the kit is installed."""
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
    steps = doctor.diagnose()
    assert [(step.name, step.ok) for step in steps] == [(name, True) for name in STEPS]


def test_a_python_too_old_is_one_line_and_exit_1(capsys):
    assert doctor.main([], python_version=(3, 9, 18)) == 1
    lines = _lines(capsys)
    assert lines[1].startswith("✘ python  Python 3.9.18 is too old: pinlab needs 3.10 or newer; install a newer "
                               "Python (python.org, or `uv python install 3.12`) and make the kit's environment with it  (")
    assert [line[0] for line in lines[1:-1]] == ["✘", "✔", "✔", "✔", "✔", "✔"]
    assert re.fullmatch(r"1 problem found in \d+\.\d s: fix the lines marked ✘ and run the doctor again\.", lines[-1])


def test_broken_toys_are_named_and_the_steps_that_need_them_are_not_tried(tmp_path):
    examples = tmp_path / "examples"
    shutil.copytree(examples_dir() / "toys", examples / "toys")
    broken = examples / "toys" / "toyhost-charts-0.1" / "pyproject.toml"
    broken.write_text(broken.read_text().replace('"toyhost>=1.0a28"', '"toyhost>=1.0a28'))
    steps = {step.name: step for step in doctor.diagnose(examples=examples)}
    assert steps["build"].ok is False
    assert steps["build"].detail == (f"{broken}: invalid TOML: Illegal character '\\n' (at line 10, column 34); "
                                     "run the doctor from the pinlab folder, with its examples/ unchanged")
    assert [(steps[name].ok, steps[name].detail) for name in ("sandbox", "pip", "uv", "paths")] == [
        (None, "not tried: the build step failed"),
        (None, "not tried: the sandbox step failed"),
        (None, "not tried: the sandbox step failed"),
        (None, "not tried: the sandbox step failed"),
    ]


def test_missing_uv_is_a_problem(monkeypatch):
    def no_uv():
        raise FileNotFoundError("uv is not installed: pip install uv")

    monkeypatch.setattr(pinlab.sandbox, "uv_binary", no_uv)
    steps = {step.name: step for step in doctor.diagnose()}
    assert (steps["uv"].ok, steps["uv"].detail) == (
        False, "uv not found: install the kit with its dependencies (uv is one of them), or `pip install uv`; "
               "chapter 1 runs it beside pip")
    assert steps["pip"].ok is True


def test_a_path_over_the_limit_is_a_problem_with_its_fix():
    """What a Windows laptop without long paths would see, with this machine's deepest path."""
    steps = {step.name: step for step in doctor.diagnose(path_limit=60)}
    assert steps["paths"].ok is False
    assert re.fullmatch(
        r"the deepest file in (a sandbox|the kit's environment) has a path of \d+ characters, over this machine's "
        r"limit of 59: enable long paths \(Windows: LongPathsEnabled\), or move the kit and TEMP to short folders "
        r"such as C:\\pinlab and C:\\tmp",
        steps["paths"].detail)


def test_an_unexpected_argument_is_one_line_and_exit_2(capsys):
    assert doctor.main(["--fast"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "pinlab doctor: unexpected argument '--fast' (it takes none)\n"
    assert captured.out == ""


def test_python_dash_m_pinlab_doctor_runs_it():
    from pinlab.process import clean_env, run

    done = run([sys.executable, "-m", "pinlab.doctor"], env=clean_env())
    assert done.returncode == 0, done.output
    assert done.output.splitlines()[-1].startswith("Ready: every step passed in ")


def test_the_pinlab_command_runs_it():
    from pinlab.cli import run_pinlab

    done = run_pinlab("doctor")
    assert done.command == ("pinlab", "doctor")
    assert done.returncode == 0, done.output
    assert done.output.splitlines()[-1].startswith("Ready: every step passed in ")


def test_pinlab_doctor_with_an_argument_is_a_usage_error_in_one_line():
    from pinlab.cli import run_pinlab

    done = run_pinlab("doctor", "--fast")
    assert done.returncode == 2
    assert done.output == "pinlab: error: unrecognized arguments: --fast (see pinlab --help)\n"
