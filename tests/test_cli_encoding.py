"""The commands on a standard output that is not UTF-8: ``PYTHONIOENCODING=latin-1`` or ``=ascii``,
as a file redirected in a Windows cp1252 or cp437 locale (``pinlab doctor > doctor.txt``) is.

Each test runs the real command in a subprocess. Before: ``UnicodeEncodeError`` tracebacks
instead of the report (the doctor's after every step had run).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pinlab.process import clean_env

STEPS = ["python", "tmpdir", "build", "sandbox", "clean", "pip", "uv", "audit", "paths", "kernel"]


def pinlab(*args: str, encoding: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """``python -m pinlab ARGS`` with standard output in *encoding*: (exit status, output, error)."""
    env = clean_env({"PYTHONIOENCODING": encoding, "PYTHONUTF8": None})
    done = subprocess.run([sys.executable, "-m", "pinlab", *args], cwd=cwd, env=env, capture_output=True)
    return done.returncode, done.stdout.decode(encoding), done.stderr.decode(encoding, errors="replace")


@pytest.mark.parametrize("encoding, shown", [("latin-1", "café"), ("ascii", "caf?")])
def test_lint_of_a_project_named_in_accents_prints_its_report_in_any_encoding(tmp_path, encoding, shown):
    folder = tmp_path / "José"
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[project]\nname = "café"\nversion = "1"\ndependencies = ["toy==1.0"]\n',
                                           encoding="utf-8")
    status, output, error = pinlab("lint", encoding=encoding, cwd=folder)
    assert (status, error) == (1, "")
    assert output == (
        f"pyproject.toml ({shown} 1: 1 requirement)\n"
        "  PIN001 error   toy==1.0  [dependencies]\n"
        "    exact pin: users can install no other release of toy beside this library, not even one that fixes a bug\n"
        "    see https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin001\n"
        "Found 1 error and 0 warnings.\n")


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_the_doctor_reports_with_ascii_marks_where_stdout_cannot_encode_its_own(encoding):
    """Neither latin-1 nor ascii has ✔ or – : the marks are +, x and -, one character each, so the
    columns stay where they are; the summary's parts are divided by | instead of ·."""
    status, output, _ = pinlab("doctor", encoding=encoding)
    lines = output.splitlines()
    assert status == 0, output
    assert [line[:10] for line in lines[1:-2]] == [f"+ {name:<8}" for name in STEPS]
    assert re.fullmatch(r"Ready: every step passed in \d+\.\d s\.", lines[-2])
    python = re.escape(".".join(map(str, sys.version_info[:3])))
    assert re.fullmatch(rf"pinlab doctor: READY \| Python {python} \| (Linux|Darwin|Windows)-\w+ \| \d+\.\d s",
                        lines[-1])
