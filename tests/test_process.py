import os
import sys

from pinlab.process import Placeholders, clean_env, run


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
