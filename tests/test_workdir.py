import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pinlab.workdir import OWNER_FILE, ThrowawayDir, leftovers, sweep


def test_closing_removes_the_folder():
    folder = ThrowawayDir("test")
    assert folder.path.is_dir() and folder.path.parent == Path(tempfile.gettempdir())
    folder.close()
    assert not folder.path.exists() and folder.closed


def test_with_block_removes_the_folder_after_an_exception():
    with pytest.raises(RuntimeError):
        with ThrowawayDir("test") as folder:
            (folder.path / "file.txt").write_text("x")
            raise RuntimeError("boom")
    assert not folder.path.exists()


def test_read_only_files_do_not_stop_removal():
    folder = ThrowawayDir("test")
    locked = folder.path / "locked.txt"
    locked.write_text("x")
    locked.chmod(0o444)
    folder.close()
    assert not folder.path.exists()


def test_a_killed_process_leaves_a_folder_that_the_next_start_sweeps(tmp_path):
    # A child makes a throwaway folder and is killed before it can clean up (as a killed kernel).
    code = (
        "import os, sys; from pinlab.workdir import ThrowawayDir; d = ThrowawayDir('killed'); "
        "print(d.path, flush=True); os._exit(9)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "TEMP": str(tmp_path), "TMP": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    orphan = Path(out.stdout.strip())
    assert orphan.is_dir(), out.stderr
    assert leftovers(tmp_path) == [orphan]
    assert sweep(tmp_path) == [orphan]
    assert not orphan.exists()


def test_sweep_spares_live_owners_and_foreign_folders(tmp_path):
    mine = tmp_path / "pinlab-sandbox-live"
    mine.mkdir()
    (mine / OWNER_FILE).write_text(json.dumps({"pid": os.getpid()}))
    foreign = tmp_path / "pinlab-not-ours"  # no owner file: not made by pinlab, never touched
    foreign.mkdir()
    assert sweep(tmp_path) == []
    assert mine.exists() and foreign.exists()
