"""Throwaway folders that clean up after themselves, and after killed kernels.

Each folder pinlab makes in the temp directory is named ``pinlab-<kind>-<random>`` and holds
an owner file with the id of the process that made it. A folder is removed when its owner
closes it, when the owner exits normally (``weakref.finalize`` runs at exit, which covers a Jupyter kernel shutdown),
and otherwise by :func:`sweep` at the next start, once its owner process is gone. Folders of
processes still alive (another kernel, a parallel test run) are never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import weakref
from pathlib import Path

PREFIX = "pinlab-"
OWNER_FILE = "pinlab-owner.json"


class ThrowawayDir:
    """A temp folder owned by this process; ``close()`` (or leaving a ``with``) removes it."""

    def __init__(self, kind: str) -> None:
        sweep()
        self.path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
        (self.path / OWNER_FILE).write_text(json.dumps({"pid": os.getpid()}), encoding="utf-8")
        # Removed at interpreter exit even if nobody calls close(); detach() on close.
        self._finalizer = weakref.finalize(self, remove_tree, self.path)

    def close(self) -> None:
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self) -> ThrowawayDir:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def remove_tree(path: Path) -> None:
    """Remove *path*, including read-only files (Windows refuses to delete those by default)."""

    def make_writable_and_retry(function, name, _exc):  # type: ignore[no-untyped-def]
        os.chmod(name, stat.S_IWRITE)
        function(name)

    if not path.exists():
        return
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=make_writable_and_retry)
    else:  # the same hook was called onerror before 3.12
        shutil.rmtree(path, onerror=make_writable_and_retry)


def sweep(root: Path | None = None) -> list[Path]:
    """Remove pinlab folders in *root* (default: the temp dir) whose owner process has died."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    for candidate in root.glob(f"{PREFIX}*"):
        owner = _owner_pid(candidate)
        if owner is not None and not _process_alive(owner):
            remove_tree(candidate)
            removed.append(candidate)
    return removed


def leftovers(root: Path | None = None) -> list[Path]:
    """pinlab's own folders still present in *root* (default: the temp dir)."""
    root = Path(root or tempfile.gettempdir())
    return sorted(path for path in root.glob(f"{PREFIX}*") if _owner_pid(path) is not None)


def _owner_pid(folder: Path) -> int | None:
    """The owner's process id, or None for anything that is not a pinlab folder."""
    try:
        return int(json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0 only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, but belongs to someone else
        return True
    return True


def _windows_process_alive(pid: int) -> bool:
    # os.kill() on Windows would terminate the process, so ask the kernel instead.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    process_query_limited_information, still_active = 0x1000, 259
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        return False
    try:
        exit_code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(exit_code))
        return exit_code.value == still_active
    finally:
        kernel32.CloseHandle(handle)
