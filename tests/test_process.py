import os
import sys
from pathlib import Path

import pytest

from pinlab.process import Completed, Placeholders, Stopped, clean_env, run


def test_clean_env_drops_installer_and_python_settings(monkeypatch):
    names = ("PIP_INDEX_URL", "UV_INDEX_URL", "PYTHONPATH", "VIRTUAL_ENV", "VIRTUALENV_PYTHON",
             "PIPAPI_PYTHON_LOCATION", "FORCE_COLOR", "COLUMNS")
    for name in names:
        monkeypatch.setenv(name, "hostile")
    env = clean_env()
    assert not set(names) & set(env)
    assert env["PYTHONUTF8"] == "1"


def test_clean_env_overrides_set_and_delete(monkeypatch):
    monkeypatch.setenv("KEEP_ME", "1")
    env = clean_env({"PIP_NO_INDEX": "1", "KEEP_ME": None})
    assert env["PIP_NO_INDEX"] == "1"
    assert "KEEP_ME" not in env


def test_placeholders_replace_native_uri_and_forward_slash_spellings(tmp_path):
    folder = tmp_path / "sandbox"
    text = f"at {folder}{os.sep}venv and {folder.as_uri()}/x.whl, resolved in 12ms"
    shown = Placeholders({str(folder): "<sandbox>"}).apply(text)
    assert shown == "at <sandbox>/venv and <sandbox>/x.whl, resolved in <time>"


def test_placeholders_longest_path_first(tmp_path):
    outer, inner = tmp_path, tmp_path / "index"
    shown = Placeholders({str(outer): "<sandbox>", str(inner): "<index>"}).apply(f"{inner}/a {outer}/b")
    assert shown == "<index>/a <sandbox>/b"


def test_placeholders_strip_terminal_colours():
    assert Placeholders().apply("\x1b[31mERROR: boom\x1b[0m") == "ERROR: boom"


def test_run_captures_both_streams_in_order_and_exit_code():
    code = "import sys; print('out', flush=True); print('err', file=sys.stderr, flush=True); sys.exit(3)"
    result = run([sys.executable, "-c", code], shown_as=["python", "-c", "..."])
    assert result.command == ("python", "-c", "...")
    assert result.returncode == 3 and not result.ok
    assert result.output.splitlines() == ["out", "err"]
    assert str(result) == "$ python -c ...\nout\nerr\n[exit status 3]"


def test_run_reads_utf8_output():
    result = run([sys.executable, "-c", "print('caf\\u00e9 \\u2713')"])
    assert result.output.strip() == "café ✓"


def test_a_command_past_its_time_limit_is_killed_and_named():
    code = "import time; print('started', flush=True); time.sleep(60)"
    with pytest.raises(Stopped) as caught:
        run([sys.executable, "-c", code], shown_as=["python", "-c", "sleep"], timeout=0.5)
    assert str(caught.value) == "python -c sleep: stopped, it had not finished after 0.5 s"
    assert caught.value.output == "started\n"


def test_a_command_that_floods_its_output_is_killed_at_the_limit():
    code = "while True: print('x' * 1000)"
    with pytest.raises(Stopped) as caught:
        run([sys.executable, "-c", code], shown_as=["python", "-c", "flood"], timeout=60, max_output=100_000)
    assert str(caught.value) == "python -c flood: stopped, it printed more than 100000 bytes"
    assert len(caught.value.output) <= 100_000


def test_without_limits_a_long_output_is_kept_whole_from_both_pipes():
    code = "import sys; print('o' * 300000); print('e' * 300000, file=sys.stderr); sys.exit(1)"
    result = run([sys.executable, "-c", code], merge_output=False)
    assert result.output == "o" * 300000 + "\n" + "e" * 300000 + "\n"


@pytest.mark.skipif(os.name == "nt", reason="signals end processes on POSIX only")
def test_a_child_killed_by_a_signal_is_reported_as_such():
    code = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    result = run([sys.executable, "-c", code], shown_as=["python", "-c", "..."])
    assert (result.returncode, result.status) == (-9, "killed by signal 9 (SIGKILL)")
    assert str(result) == "$ python -c ...\n\n[killed by signal 9 (SIGKILL)]"


def test_newlines_read_as_text_mode_reads_them():
    result = run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'a\\r\\nb\\rc\\n')"])
    assert result.output == "a\nb\nc\n"


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands for a misbehaving program")
def test_a_time_limit_also_ends_what_the_command_started(tmp_path):
    import time

    script = tmp_path / "hang.sh"
    script.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > '{tmp_path / 'pid'}'\nwait\n", encoding="utf-8")
    script.chmod(0o755)
    with pytest.raises(Stopped):
        run([script], shown_as=["hang.sh"], timeout=0.5)
    pid = int((tmp_path / "pid").read_text())
    for _ in range(100):
        if _has_ended(pid):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the command's child {pid} still runs")


def _has_ended(pid: int) -> bool:
    """Gone, or killed and waiting to be reaped: an orphan's zombie lasts until init reaps it,
    which some containers' init does only every few seconds (Linux names the state in /proc)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # "pid (name) state ...": the name may hold spaces and parentheses, the state follows the last ")"
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False  # no /proc (macOS): wait until it is reaped
    return state in ("Z", "X")


def test_a_folder_is_hidden_however_a_tool_spells_its_file_url(tmp_path):
    from pinlab.process import Placeholders

    folder = tmp_path / "José Kit, 2" / "index"
    hidden = Placeholders({str(folder): "<index>"})
    python_style = (folder / "toyhost-1.0a28-py3-none-any.whl").as_uri()  # every reserved character quoted
    uv_style = python_style.replace("%2C", ",")  # uv leaves what a URL path allows: the comma
    assert hidden.apply(f"url = {python_style!r}; url = {uv_style!r}") == (
        "url = '<index>/toyhost-1.0a28-py3-none-any.whl'; url = '<index>/toyhost-1.0a28-py3-none-any.whl'")


def test_an_excerpt_keeps_the_lines_that_teach_marks_each_cut_and_folds_options_seen_once():
    done = Completed(("pip-audit", "-s", "osv", "--osv-url", "<url>", "--fix"), 1,
                     "Found 1 known vulnerability\nfixing\nfixed toyhost\nsummary\n")
    excerpt = done.excerpt("Found", "fixed", fold=("-s", "osv", "--osv-url", "<url>"))
    assert str(excerpt) == ("$ pip-audit <options as above> --fix\nFound 1 known vulnerability\n...\n"
                            "fixed toyhost\n...\n[exit status 1]")
    assert done.output.count("\n") == 4  # the whole transcript stays where it was
