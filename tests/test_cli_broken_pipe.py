"""``pinlab … | head -1``: a reader that stops early ends the command quietly.

Each test runs the real command in a subprocess whose standard output is a real pipe, and closes
the pipe's reading end early, as ``head`` does. As the Python docs' note on SIGPIPE recommends,
the command then exits 1 (never 0: the reader saw only part of it) with nothing on standard
error. Before: a ``BrokenPipeError`` traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pinlab.process import clean_env


def start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    """``python -m pinlab ARGS`` with standard output and error on pipes."""
    return subprocess.Popen([sys.executable, "-m", "pinlab", *args], cwd=cwd, env=clean_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def ended_early(process: subprocess.Popen[bytes], lines: int) -> tuple[list[bytes], int, str]:
    """Read *lines* lines of standard output, close the pipe as ``head`` does, then wait: the lines
    read, the exit status and standard error."""
    with process:  # closes standard error too
        assert process.stdout is not None and process.stderr is not None
        read = [process.stdout.readline() for _ in range(lines)]
        process.stdout.close()
        error = process.stderr.read().decode()
        return read, process.wait(timeout=120), error


def many_pins(folder: Path) -> Path:
    """A pyproject.toml with 1000 pins: its report (about 250 kB) is larger than any pipe's buffer,
    so the command is still writing when the reader stops."""
    items = "".join(f'  "toydep{number}==1.0",\n' for number in range(1000))
    (folder / "pyproject.toml").write_text(f'[project]\nname = "big"\nversion = "1"\ndependencies = [\n{items}]\n',
                                           encoding="utf-8")
    return folder


@pytest.mark.parametrize("format, first_line", [
    ("text", b"pyproject.toml (big 1: 1000 requirements)\n"),
    ("json", b"{\n"),
])
def test_lint_read_by_head_ends_with_exit_1_and_no_traceback(tmp_path, format, first_line):
    read, status, error = ended_early(start("lint", "--format", format, cwd=many_pins(tmp_path)), lines=1)
    assert (read, status, error) == ([first_line], 1, "")


OSV_RECORD = {
    "id": "PYSEC-toy-1", "modified": "2024-01-01T00:00:00Z", "summary": "a toy advisory",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "packaging"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999"}]}]}],
}


@pytest.mark.parametrize("command", ["explain", "doctor"])
def test_explain_and_doctor_whose_reader_is_gone_end_with_exit_1_and_no_traceback(tmp_path, command):
    # Their reports are small, written in one go at the end: the reader stops before it (lines=0),
    # so the pipe is closed when they write.
    (tmp_path / "advisories").mkdir()
    (tmp_path / "advisories" / "PYSEC-toy-1.json").write_text(json.dumps(OSV_RECORD), encoding="utf-8")
    args = ["explain", "--advisories", "advisories"] if command == "explain" else ["doctor"]
    read, status, error = ended_early(start(*args, cwd=tmp_path), lines=0)
    assert (read, status) == ([], 1)
    if command == "explain":
        assert error == ""
    else:  # the kernel the doctor starts may print there (the lowest ipykernel's debugger warning): not the doctor's
        assert "Traceback" not in error and "BrokenPipeError" not in error, error
