"""Throwaway folders that clean up after themselves, and after killed kernels.

Each folder pinlab makes in the temp directory is named ``pinlab-<kind>-<random>`` (toy builds
stage theirs in the wheel cache as ``.building-<toy>-<random>``). Its owner holds a lock on the
folder's owner file for the folder's whole life, and then writes a mark file saying who made it.
A folder is removed when its owner closes it, when the owner exits normally (``weakref.finalize``
runs at exit, which covers a Jupyter kernel shutdown), and otherwise by :func:`sweep` at the next
start, once nobody holds its lock any more.

Liveness is the lock, never a process id: the operating system drops a lock when its process
dies however it dies (kill -9 included), a lock held in another PID namespace (a container) is
still held, a reused pid means nothing, and Windows locks work the same way (``filelock``).

The sweep runs in a shared temp folder, where anyone may plant a ``pinlab-*`` entry, so it only
considers real folders (never a link, never through one) owned by the current user; it never
changes anything outside such a folder; and a folder it cannot remove is logged once and skipped,
so that nobody's start fails because of someone else's leftovers.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import sys
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout

if TYPE_CHECKING:  # typing.Self is 3.11+; mypy knows typing_extensions without it being installed
    from typing_extensions import Self

PREFIX = "pinlab-"
OWNER_FILE = "pinlab-owner.lock"
"""Locked by the folder's owner for as long as the folder is in use."""
MARK_FILE = "pinlab-folder.json"
"""Written once the owner holds the lock: what makes a folder pinlab's (and who made it, for a human)."""

log = logging.getLogger("pinlab")

# Folders this process could not sweep: logged once, not retried at every start.
_reported: set[Path] = set()


class ThrowawayDir:
    """A folder owned by this process; ``close()`` (or leaving a ``with``) removes it.

    It is made in *parent* (default: the temp dir), named *prefix* + *kind* + random, after
    sweeping the dead folders of that prefix there.
    """

    def __init__(self, kind: str, *, parent: Path | None = None, prefix: str = PREFIX) -> None:
        parent = Path(parent or tempfile.gettempdir())
        sweep(parent, prefix=prefix)
        made = Path(tempfile.mkdtemp(prefix=f"{prefix}{kind}-", dir=parent))
        # Resolved once, here, for every later comparison: tools name the folder by its real path
        # (virtualenv resolves its destination, pip prints /private/var/... on a Mac, whose TMPDIR
        # lies under /var, a link to /private/var), and Windows may hand out a TEMP in 8.3 short
        # names (C:\\Users\\JOSK~1\\...) that resolve to the long ones.
        self.path = made.resolve()
        self.unresolved_path = made
        """The folder as named through the temp folder's links: what a caller's own paths may
        still say (``path`` itself when there is no link)."""
        try:
            lock = _hold_lock(self.path / OWNER_FILE)
            # The mark comes after the lock: a sweep that sees the mark finds the lock held, so a
            # folder being made is never taken for a dead one.
            (self.path / MARK_FILE).write_text(
                json.dumps({"made by": "pinlab", "pid": os.getpid(), "in use while locked": OWNER_FILE}),
                encoding="utf-8",
            )
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise
        # Removed at interpreter exit even if nobody calls close().
        self._finalizer = weakref.finalize(self, _release_and_remove, lock, self.path)

    def shown_as(self, name: str) -> dict[str, str]:
        """Both spellings of the folder (resolved and through links) mapped to *name*, for
        :class:`~pinlab.process.Placeholders`: an output may name it either way."""
        return {str(self.path): name, str(self.unresolved_path): name}

    def close(self) -> None:
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self) -> Self:  # a subclass's ``with`` gives that subclass (LocalIndex, Sandbox)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _hold_lock(path: Path) -> FileLock:
    # thread_local=False: a kernel may close a folder from another thread than the one that made it.
    lock = FileLock(str(path), thread_local=False)
    lock.acquire(timeout=0)  # a fresh file in a fresh folder: nobody else can hold it
    return lock


def _release_and_remove(lock: FileLock, path: Path) -> None:
    # Empty the folder while still holding the lock, so that no sweep takes it for a dead one
    # meanwhile; then release (on Windows a locked file keeps its folder) and remove the rest.
    try:
        _retrying(_empty, path, keep={OWNER_FILE, MARK_FILE})
    finally:
        lock.release(force=True)
    remove_tree(path)


def remove_tree(path: Path) -> None:
    """Remove the folder *path* and everything in it, never following a link.

    Read-only files (Windows refuses to delete those) and read-only folders (elsewhere, what is in
    them cannot be deleted) are made writable, but only inside *path*, and only real folders and
    files owned by this user: a link is removed, never changed or followed. The mark file goes
    last, so that a folder that could only be removed in part is still known as pinlab's, and
    swept once what stood in the way is gone.
    """
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not _is_real_dir(info):
        raise NotADirectoryError(f"{path} is not a real folder (a link?): left alone")
    _retrying(_remove, path)


def _remove(path: Path) -> None:
    _empty(path, keep={MARK_FILE})
    for remove, target in ((os.unlink, path / MARK_FILE), (os.rmdir, path)):
        try:
            remove(target)
        except FileNotFoundError:  # removed meanwhile, by another sweep
            pass


def _empty(folder: Path, keep: set[str]) -> None:
    """Remove everything in *folder* but the entries named in *keep*; links are removed, not followed."""
    with os.scandir(folder) as entries:
        remove = [entry for entry in entries if entry.name not in keep]
    for entry in remove:
        try:
            if _is_real_dir(entry.stat(follow_symlinks=False)):
                shutil.rmtree(entry.path)  # rmtree removes links inside without following them
            else:
                os.unlink(entry.path)  # a file or a link (on Windows also a link to a folder, a junction)
        except FileNotFoundError:
            pass


def _retrying(action: Callable[..., None], path: Path, **kwargs: Any) -> None:
    """Run *action* on *path*; if it fails, make what lies inside writable and try once more."""
    try:
        action(path, **kwargs)
    except FileNotFoundError:
        return
    except OSError:
        _make_writable(path)
        action(path, **kwargs)


def _make_writable(folder: Path) -> None:
    """Give this user write access to every real folder and file under *folder* that it owns.

    Folders are opened up before being listed (a folder with mode 0 cannot be listed); links and
    anything owned by someone else are left as they are. Errors are ignored: the second removal
    reports what still stands in the way.
    """
    try:
        info = os.lstat(folder)
        if not _is_real_dir(info) or not _owned(info):
            return
        os.chmod(folder, stat.S_IMODE(info.st_mode) | stat.S_IRWXU)
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            entry_info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if _is_real_dir(entry_info):
            _make_writable(Path(entry.path))
        elif stat.S_ISREG(entry_info.st_mode) and _owned(entry_info):
            try:
                os.chmod(entry.path, stat.S_IMODE(entry_info.st_mode) | stat.S_IREAD | stat.S_IWRITE)
            except OSError:
                pass


def sweep(root: Path | None = None, *, prefix: str = PREFIX) -> list[Path]:
    """Remove the dead pinlab folders named *prefix*... in *root* (default: the temp dir).

    A folder is dead when nobody holds the lock on its owner file. Entries that are not real
    folders of this user, or not pinlab's, are never touched; a folder that cannot be removed is
    logged (once per process) and skipped. Returns the folders removed.
    """
    root = Path(root or tempfile.gettempdir())
    removed = []
    for folder in _candidates(root, prefix):
        if folder in _reported or in_use(folder):
            continue
        try:
            remove_tree(folder)
        except OSError as exc:
            _reported.add(folder)
            log.warning("pinlab: could not remove the leftover folder %s (%s); skipped", folder, _reason(exc))
            continue
        removed.append(folder)
    return removed


def leftovers(root: Path | None = None, *, prefix: str = PREFIX) -> list[Path]:
    """pinlab's own folders named *prefix*... still present in *root* (default: the temp dir)."""
    return sorted(_candidates(Path(root or tempfile.gettempdir()), prefix))


def _candidates(root: Path, prefix: str) -> list[Path]:
    """Real folders of this user in *root*, named *prefix*..., that pinlab made (they hold the mark)."""
    try:
        entries = [entry for entry in os.scandir(root) if entry.name.startswith(prefix)]
    except OSError:  # no such folder, or not ours to list
        return []
    found = []
    for entry in entries:
        try:
            info = os.lstat(entry.path)
            mark = os.lstat(os.path.join(entry.path, MARK_FILE))
        except OSError:
            continue
        if _is_real_dir(info) and _owned(info) and stat.S_ISREG(mark.st_mode):
            found.append(Path(entry.path))
    return found


def in_use(folder: Path) -> bool:
    """Whether some process, in this PID namespace or another, holds *folder*'s owner lock."""
    folder = Path(folder)
    owner = folder / OWNER_FILE
    try:
        if not stat.S_ISREG(os.lstat(owner).st_mode):
            return True  # a link or something odd: not a folder of ours to judge, leave it
    except FileNotFoundError:
        pass  # Windows deletes a lock file on release; the mark alone still says it is ours
    except OSError:
        return True
    lock = FileLock(str(owner), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    except OSError as exc:
        if not os.path.lexists(folder):
            return True  # removed meanwhile, by its owner or another sweep: nothing left to judge
        if folder not in _reported:
            _reported.add(folder)
            log.warning("pinlab: could not tell whether %s is in use (%s); skipped", folder, _reason(exc))
        return True
    if not os.path.lexists(folder / MARK_FILE):
        # The folder went meanwhile (its owner closed it), and filelock, which makes the lock
        # file's folder if it is missing, may have made it again: undo that, and leave it be.
        lock.release(force=True)
        for remove, target in ((os.unlink, owner), (os.rmdir, folder)):
            try:
                remove(target)
            except OSError:
                pass  # gone already, or not empty: someone else's now
        return True
    # Nobody held it: the owner is gone. Release before removal (Windows keeps locked files).
    lock.release(force=True)
    return False


def _is_real_dir(info: os.stat_result) -> bool:
    """A folder itself, not a link to one (nor, on Windows, a junction or other reparse point)."""
    reparse_point = getattr(info, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0)
    return stat.S_ISDIR(info.st_mode) and not reparse_point


def _owned(info: os.stat_result) -> bool:
    """Whether this user owns the file. On Windows ``os.stat`` reports no owner (st_uid is 0) and
    each user's TEMP (``%LOCALAPPDATA%\\Temp``) is private to that user by its access rules, so
    there is no one else's entry to tell apart there."""
    if sys.platform == "win32":  # os.name == "nt", in the form mypy reads: no geteuid there
        return True
    return info.st_uid == os.geteuid()


def _reason(exc: OSError) -> str:
    """What went wrong, and on which file by name (rmtree reports it relative to some subfolder,
    depending on the Python version, so its full path would mislead)."""
    if exc.strerror is None:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"{exc.strerror}: {Path(exc.filename).name}" if exc.filename else exc.strerror
