import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import can_symlink
from pinlab import workdir
from pinlab.workdir import MARK_FILE, OWNER_FILE, ThrowawayDir, in_use, leftovers, remove_tree, sweep


def test_closing_removes_the_folder():
    folder = ThrowawayDir("test")
    assert folder.path.is_dir() and folder.path.parent == Path(tempfile.gettempdir()).resolve()
    folder.close()
    assert not folder.path.exists() and folder.closed


def test_with_block_removes_the_folder_after_an_exception():
    with pytest.raises(RuntimeError):
        with ThrowawayDir("test") as folder:
            (folder.path / "file.txt").write_text("x")
            raise RuntimeError("boom")
    assert not folder.path.exists()


def test_read_only_files_and_folders_do_not_stop_removal():
    # A read-only file stops removal only on Windows; on POSIX it is a read-only or unlistable
    # folder (a build backend's copy of a read-only tree) that does, for any user but root.
    folder = ThrowawayDir("test")
    locked = folder.path / "locked.txt"
    locked.write_text("x")
    locked.chmod(0o444)
    read_only = folder.path / "read-only"
    (read_only / "unlistable").mkdir(parents=True)
    (read_only / "file.txt").write_text("x")
    (read_only / "unlistable" / "file.txt").write_text("x")
    (read_only / "unlistable").chmod(0)
    read_only.chmod(0o555)
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
    with ThrowawayDir("sandbox", parent=tmp_path) as mine:
        foreign = tmp_path / "pinlab-not-ours"  # no mark file: not made by pinlab, never touched
        foreign.mkdir()
        (foreign / OWNER_FILE).write_text("")
        assert sweep(tmp_path) == []
        assert mine.path.exists() and foreign.exists()
        assert leftovers(tmp_path) == [mine.path]


# -- the sweep on a shared machine --------------------------------------------------------------

def _dead_pid() -> int:
    """The pid of a process that has just exited (free, as far as anyone can tell)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def _plant(folder: Path, pid: int) -> Path:
    """A folder as pinlab makes it, whose owner file also holds *pid*, as the old owner files did.

    Nobody holds its lock, so it is dead; the pid is there for the old code, which believed it.
    """
    folder.mkdir()
    (folder / OWNER_FILE).write_text(json.dumps({"pid": pid}))
    (folder / MARK_FILE).write_text(json.dumps({"pid": pid}))
    return folder


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """A temp folder of this test's own, where ThrowawayDir() makes its folders and sweeps."""
    root = tmp_path / "temp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_a_planted_owner_file_with_an_absurd_pid_does_not_stop_a_start(temp_root):
    planted = _plant(temp_root / "pinlab-sandbox-planted", 10**30)  # the old sweep: OverflowError
    legacy = temp_root / "pinlab-sandbox-legacy"  # an owner file of the old kind only: not ours now
    legacy.mkdir()
    (legacy / "pinlab-owner.json").write_text(json.dumps({"pid": "x" * 100}))
    with ThrowawayDir("test") as folder:
        assert folder.path.parent == temp_root
    assert not planted.exists()
    assert legacy.exists()


def test_liveness_is_the_lock_not_the_pid(temp_root):
    """A live owner whose pid is free here, as for a sandbox in another PID namespace (a container):
    the pid written in its owner file is free, and another process holds the lock."""
    folder = _plant(temp_root / "pinlab-sandbox-elsewhere", _dead_pid())
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from filelock import FileLock; lock = FileLock(sys.argv[1]); "
         "lock.acquire(timeout=5); print('held', flush=True); sys.stdin.read()", str(folder / OWNER_FILE)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None
    try:
        assert holder.stdout.readline() == "held\n"
        assert in_use(folder)
        assert sweep(temp_root) == []
        with ThrowawayDir("test"):
            assert folder.exists()
    finally:
        holder.communicate("")  # the holder exits, and its lock goes with it
    assert not in_use(folder)
    assert sweep(temp_root) == [folder]
    assert not folder.exists()


def test_a_folder_removed_while_it_is_judged_is_skipped_without_a_word(temp_root, caplog):
    """Another process's sandbox may go (its owner closes it) between the listing and the lock:
    the sweep then has nothing to judge, and nothing to tell the user."""
    folder = _plant(temp_root / "pinlab-sandbox-closing", _dead_pid())
    remove_tree(folder)  # as its owner does, after sweep listed it
    with caplog.at_level(logging.WARNING, logger="pinlab"):
        assert in_use(folder)  # not ours to remove
    assert [record.getMessage() for record in caplog.records] == []
    assert not folder.exists()


def test_a_folder_in_use_is_in_use_for_other_processes_too(temp_root):
    with ThrowawayDir("test") as folder:
        code = "import sys; from pinlab.workdir import in_use, sweep; print(in_use(sys.argv[1]), sweep(sys.argv[2]))"
        other = subprocess.run([sys.executable, "-c", code, str(folder.path), str(temp_root)],
                               capture_output=True, text=True, check=False)
        assert other.stdout == "True []\n", other.stderr
        assert folder.path.exists()
    assert not folder.path.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="unshare --pid needs root")
def test_a_sandbox_in_another_pid_namespace_is_spared_until_it_dies(temp_root):
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare command (util-linux) on this machine")
    code = ("import os, sys; from pinlab.workdir import ThrowawayDir; d = ThrowawayDir('ns'); "
            "print(os.getpid(), d.path, flush=True); sys.stdin.read()")
    env = {**os.environ, "TMPDIR": str(temp_root)}
    child = subprocess.Popen([unshare, "--pid", "--fork", "--kill-child", sys.executable, "-c", code],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             start_new_session=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line:
        child.kill()
        pytest.skip(f"unshare --pid --fork failed here: {child.communicate()[1].strip()}")
    pid, path = line.split(maxsplit=1)
    folder = Path(path.strip())
    try:
        assert pid == "1", "the child runs in a PID namespace of its own, as pid 1"
        assert sweep(temp_root) == []
        assert folder.exists()
    finally:
        # kill -9 the namespace's pid 1 from outside (a namespace's init ignores --kill-child's signal).
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
    assert folder.exists(), "killed, it could not clean up"
    assert sweep(temp_root) == [folder]


def test_the_sweep_never_follows_or_changes_a_link(temp_root, tmp_path):
    if not can_symlink(tmp_path):
        pytest.skip("this user cannot make symbolic links here")
    # Someone's folder, dead by the old rule, and a pinlab-* link to it in the shared temp folder.
    target = _plant(tmp_path / "someone-elses", _dead_pid())
    precious = target / "precious.txt"
    precious.write_text("keep me")
    precious.chmod(0o444)
    target.chmod(0o755)
    (temp_root / "pinlab-sandbox-link").symlink_to(target, target_is_directory=True)
    (temp_root / "pinlab-sandbox-file-link").symlink_to(precious)
    # A dead folder of ours holding links to the outside, inside a read-only subfolder.
    dead = _plant(temp_root / "pinlab-sandbox-dead", _dead_pid())
    (dead / "sub").mkdir()
    (dead / "sub" / "to-folder").symlink_to(target, target_is_directory=True)
    (dead / "sub" / "to-file").symlink_to(precious)
    (dead / "sub").chmod(0o500)
    modes = {path: path.stat().st_mode for path in (target, precious)}

    assert sweep(temp_root) == [dead]
    assert {path: path.stat().st_mode for path in (target, precious)} == modes
    assert precious.read_text() == "keep me" and (target / OWNER_FILE).exists()
    assert (temp_root / "pinlab-sandbox-link").is_symlink() and (temp_root / "pinlab-sandbox-file-link").is_symlink()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another user needs root")
def test_the_sweep_leaves_other_users_folders_alone(temp_root):
    theirs = _plant(temp_root / "pinlab-sandbox-theirs", _dead_pid())
    for path in (theirs, theirs / OWNER_FILE, theirs / MARK_FILE):
        os.chown(path, 65534, 65534, follow_symlinks=False)
    assert leftovers(temp_root) == [] and sweep(temp_root) == []
    assert theirs.exists()


def _make_undeletable(folder: Path) -> Callable[[], object]:
    """Make *folder* impossible to remove, for real, even for root: an immutable file inside."""
    stuck = folder / "stuck.txt"
    stuck.write_text("x")
    if not (hasattr(os, "geteuid") and os.geteuid() == 0) or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr (+i, an immutable file); without root, see the read-only temp folder test")
    done = subprocess.run(["chattr", "+i", str(stuck)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i failed on this file system: {done.stderr.strip()}")
    return lambda: subprocess.run(["chattr", "-i", str(stuck)], check=True)


def test_a_dead_folder_that_cannot_be_removed_is_logged_once_and_skipped(temp_root, caplog):
    stuck = _plant(temp_root / "pinlab-sandbox-stuck", _dead_pid())
    undo = _make_undeletable(stuck)
    dead = _plant(temp_root / "pinlab-sandbox-dead", _dead_pid())
    try:
        with caplog.at_level(logging.WARNING, logger="pinlab"):
            assert sweep(temp_root) == [dead]
            with ThrowawayDir("test"):  # the old sweep: PermissionError at every start
                pass
            assert sweep(temp_root) == []
        messages = [record.getMessage() for record in caplog.records]
        assert messages == [f"pinlab: could not remove the leftover folder {stuck} "
                            "(Operation not permitted: stuck.txt); skipped"]
    finally:
        undo()
    assert leftovers(temp_root) == [stuck]  # removed by a later process, once it can be
    workdir._reported.discard(stuck)
    assert sweep(temp_root) == [stuck]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root removes folders whatever the modes")
def test_dead_folders_in_a_read_only_temp_folder_are_logged_and_skipped(tmp_path, caplog):
    root = tmp_path / "read-only"
    root.mkdir()
    dead = _plant(root / "pinlab-sandbox-dead", _dead_pid())
    root.chmod(0o555)  # a folder in it cannot be removed, and the sweep never changes anything outside one
    try:
        with caplog.at_level(logging.WARNING, logger="pinlab"):
            assert sweep(root) == [] and sweep(root) == []
    finally:
        root.chmod(0o755)
    assert [record.getMessage() for record in caplog.records] == [
        f"pinlab: could not remove the leftover folder {dead} (Permission denied: {dead.name}); skipped"]
    assert dead.exists()  # emptied: what stood in the way was removing the folder itself


# -- a temp folder behind a link (every Mac: TMPDIR lies under /var, a link to /private/var) ----

def test_a_folder_made_through_a_linked_temp_folder_is_resolved_once_and_still_swept(linked_temp_folder):
    real, link = linked_temp_folder
    folder = ThrowawayDir("linked")
    assert folder.path.parent == real.resolve() and folder.unresolved_path.parent == link
    assert folder.shown_as("<x>") == {str(folder.path): "<x>", str(folder.unresolved_path): "<x>"}
    assert in_use(folder.unresolved_path) and in_use(folder.path)
    folder.close()
    assert os.listdir(real) == []
    # A killed owner's folder under the linked temp folder is found and swept at the next start.
    code = "import os; from pinlab.workdir import ThrowawayDir; d = ThrowawayDir('killed'); os._exit(9)"
    env = {**os.environ, "TMPDIR": str(link), "TEMP": str(link), "TMP": str(link)}
    subprocess.run([sys.executable, "-c", code], env=env, check=False)
    (orphan,) = real.iterdir()
    assert leftovers() == [link / orphan.name]
    with ThrowawayDir("next"):
        assert not orphan.exists()
    assert os.listdir(real) == []
