"""The one subprocess wrapper: list arguments, utf-8, captured output, a cleaned environment.

Every tool pinlab runs (pip, uv, pip-audit, the build backend, a sandbox's interpreter) goes
through :func:`run`, so that the caller's configuration never leaks in and machine paths never
leak out.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.lib.pretty import RepresentationPrinter  # IPython calls _repr_pretty_; pinlab does not need it

# Variables that would let the caller's set-up change what an installer does or where a
# Python looks for code. Dropped by prefix or by name before every run.
# HATCH_: hatchling obeys HATCH_BUILD_* (HATCH_BUILD_HOOKS_ONLY=1 makes every toy build fail).
_DROPPED_PREFIXES = ("PIP_", "PIPAPI_", "UV_", "VIRTUALENV_", "PYTHON", "CONDA_", "HATCH_")
_DROPPED_NAMES = frozenset({
    "VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "__PYVENV_LAUNCHER__",
    # Jupyter kernels set these; tools then print colours and spinners into captured output.
    "FORCE_COLOR", "CLICOLOR_FORCE",
    # A terminal's size (set by some shells and test runners) makes uv wrap its messages.
    "COLUMNS", "LINES",
})

# Terminal control sequences (colours, progress bars) that some tools print even into a pipe.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

# uv prints how long each step took; that differs on every run and teaches nothing.
_DURATION = re.compile(r"\b(in) \d+(?:\.\d+)?(?:ms|s|µs)\b")


def clean_env(overrides: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Return the current environment without the caller's pip/uv/Python settings.

    *overrides* are applied last; a ``None`` value deletes the variable (as nox does).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in _DROPPED_NAMES and not key.upper().startswith(_DROPPED_PREFIXES)
    }
    # Tools' output must read the same on every machine: no colours, utf-8 everywhere.
    env.update({"NO_COLOR": "1", "PYTHONUTF8": "1", "PYTHONIOENCODING": "utf-8"})
    for key, value in (overrides or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@dataclass(frozen=True)
class Placeholders:
    """Machine paths and the short names that replace them in any output a reader sees."""

    paths: Mapping[str, str] = field(default_factory=dict)
    """Maps an absolute folder to its placeholder, e.g. ``{'/tmp/pinlab-sandbox-x1': '<sandbox>'}``."""
    texts: Mapping[str, str] = field(default_factory=dict)
    """Other machine-specific strings, replaced exactly as written: e.g. the sha256 of a toy wheel
    built on this machine, ``{'9f2c...': '<hash of toyhost-1.0a28-py3-none-any.whl>'}``."""

    def apply(self, text: str) -> str:
        for literal, name in sorted(self.texts.items(), key=lambda item: -len(item[0])):
            text = text.replace(literal, name)
        # Longest first, so that a folder inside another gets its own placeholder.
        for path, name in sorted(self.paths.items(), key=lambda item: -len(item[0])):
            for spelling in _spellings(path):
                text = text.replace(spelling, name)
        # Placeholders are written with forward slashes on every platform.
        for name in set(self.paths.values()):
            text = re.sub(re.escape(name) + r"((?:\\[\w.+-]+)+)", _forward_slashes, text)
        return _DURATION.sub(r"\1 <time>", _ANSI.sub("", text))

    def merged(self, other: Placeholders) -> Placeholders:
        return Placeholders({**self.paths, **other.paths}, {**self.texts, **other.texts})


def _forward_slashes(match: re.Match[str]) -> str:
    return match.group(0).replace("\\", "/")


def _spellings(path: str) -> list[str]:
    """The ways a tool may print one folder: native, file URL, forward slashes, resolved."""
    from pathlib import Path
    from urllib.parse import quote, unquote

    spellings = {path, os.path.realpath(path)}
    for one in list(spellings):
        uri = Path(one).as_uri()
        spellings.add(uri)
        # Python's file URLs quote every reserved character; uv's (Rust's url crate) leave the
        # ones a URL path allows as they are: "José Kit, 2" is ...Jos%C3%A9%20Kit,%202 there.
        spellings.add("file://" + quote(unquote(uri.removeprefix("file://")), safe="/:!$&'()*+,;=@~"))
        spellings.add(one.replace("\\", "/"))
    return sorted(spellings, key=len, reverse=True)


@dataclass(frozen=True)
class Completed:
    """What one command did, as a reader would want to see it."""

    command: tuple[str, ...]
    """The command as a reader would type it (machine paths replaced by placeholders)."""
    returncode: int
    """The exit status: 0 means success."""
    output: str
    """Standard output and standard error, interleaved as a terminal shows them."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def status(self) -> str:
        """``exit status 3``, or ``killed by signal 9 (SIGKILL)`` for a child a signal ended (POSIX)."""
        return describe_status(self.returncode)

    def __str__(self) -> str:
        shown = " ".join(shell_quote(part) for part in self.command)
        return f"$ {shown}\n{self.output.rstrip()}\n[{self.status}]"

    def _repr_pretty_(self, printer: RepresentationPrinter, cycle: bool) -> None:
        # In a notebook, a result shows as the terminal transcript a reader would have seen.
        printer.text(str(self))

    def excerpt(self, *words: str, fold: Sequence[str] = ()) -> Completed:
        """The same transcript, keeping only the output lines that hold one of *words*; each run
        of lines left out shows as one ``...``. For output whose whole a reader has seen once.
        *fold*, command words the reader has seen once in full (a long list of options), shows as
        the one word ``<options as above>``."""
        kept: list[str] = []
        for line in self.output.rstrip().splitlines():
            if any(word in line for word in words):
                kept.append(line)
            elif not kept or kept[-1] != "...":
                kept.append("...")
        command = tuple(self.command)
        fold = tuple(fold)
        for start in range(len(command) - len(fold) + 1) if fold else ():
            if command[start:start + len(fold)] == fold:
                command = (*command[:start], "<options as above>", *command[start + len(fold):])
                break
        return replace(self, command=command, output="\n".join(kept) + "\n")


_PLACEHOLDER = re.compile(r"<[\w .+-]+>")
_SHELL_SAFE = re.compile(r"[\w@%+=:,./-]*")


def shell_quote(argument: str) -> str:
    """Quote *argument* so that a reader can paste the shown command into a shell.

    ``toyhost>=1.0a27`` must be quoted (``>`` would redirect); placeholders such as ``<index>``
    stand for paths and are left as they are. Double quotes are preferred when they read better.
    """
    bare = _PLACEHOLDER.sub("", argument)
    if _SHELL_SAFE.fullmatch(bare):
        return argument
    if "'" not in argument:
        return f"'{argument}'"
    if not any(char in argument for char in '"$`\\!'):
        return f'"{argument}"'
    import shlex

    return shlex.quote(argument)


def describe_status(returncode: int) -> str:
    """``exit status 3``; on POSIX a negative status is the signal that ended the child."""
    if returncode < 0 and os.name != "nt":
        number = -returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            return f"killed by signal {number}"
        return f"killed by signal {number} ({name})"
    return f"exit status {returncode}"


TIME_LIMIT = 600.0
"""Seconds any command pinlab runs may take (:func:`run`'s default). A toy install takes about a
second; a slow laptop scanning every new file may take a hundred times that, never more."""


class Stopped(RuntimeError):
    """A command went past its time limit (``timeout``) or printed more than ``max_output``, and
    was killed. The message says which command and which limit."""

    def __init__(self, command: tuple[str, ...], reason: str, output: str) -> None:
        super().__init__(f"{' '.join(command)}: stopped, {reason}")
        self.reason = reason
        """Which limit: ``it had not finished after 60 s``, ``it printed more than 1000 bytes``."""
        self.command = command
        """The command as shown (placeholders applied)."""
        self.output = output
        """What it had printed before it was stopped (at most ``max_output`` bytes of it)."""


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    shown_as: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    placeholders: Placeholders | None = None,
    cwd: str | os.PathLike[str] | None = None,
    merge_output: bool = True,
    timeout: float | None = TIME_LIMIT,
    max_output: int | None = None,
) -> Completed:
    """Run *args*, capture its output as utf-8 and hide machine paths behind placeholders.

    With ``merge_output=False`` only standard output is kept (for tools that print JSON),
    and standard error is appended after it only if the command failed.

    A command that runs longer than *timeout* seconds (default :data:`TIME_LIMIT`), or prints
    more than *max_output* bytes, is killed and :class:`Stopped` is raised: nobody waits for
    ever on a pip that hangs, and a ``--python`` given by the user may hang or print without end.
    ``timeout=None`` waits as long as it takes (downloads over a slow network).
    """
    placeholders = placeholders or Placeholders()
    shown = tuple(placeholders.apply(part) for part in
                  (shown_as if shown_as is not None else [os.fspath(arg) for arg in args]))
    # A limited command gets a process group of its own (POSIX), so that a kill also ends what it
    # started (a shell script's `sleep`), which would otherwise keep the pipes open.
    limited = timeout is not None or max_output is not None
    proc = subprocess.Popen(
        [os.fspath(arg) for arg in args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_output else subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=dict(env) if env is not None else clean_env(),
        cwd=cwd,
        start_new_session=limited and os.name != "nt",
    )
    kill = _killer(proc, group=limited and os.name != "nt")
    # One thread per pipe, so that neither pipe fills up and blocks the child while the other is read.
    readers = [_Reader(pipe, max_output, kill) for pipe in (proc.stdout, proc.stderr) if pipe is not None]
    why = None
    # Waited for in a thread, so that its end is seen at once: Popen.wait(timeout) polls on POSIX,
    # sleeping up to 50 ms between looks, and a kit runs thousands of short commands.
    waiter = threading.Thread(target=proc.wait, daemon=True)
    waiter.start()
    try:
        waiter.join(timeout)
    except BaseException:  # Ctrl-C in a notebook: do not leave the child running
        kill()
        proc.wait()
        raise
    if waiter.is_alive():
        why = f"it had not finished after {timeout:g} s"
        kill()
        proc.wait()
    for reader in readers:
        # A killed child's own children may still hold the pipe open: do not wait for them forever.
        reader.join(timeout=5 if why or reader.overflowed else None)
    if why is None and any(reader.overflowed for reader in readers):
        why = f"it printed more than {max_output} bytes"
    texts = [placeholders.apply(reader.text()) for reader in readers]
    if why is not None:
        raise Stopped(shown, why, "".join(texts))
    output = texts[0]
    if not merge_output and proc.returncode != 0 and texts[1]:
        output += texts[1]
    return Completed(command=shown, returncode=proc.returncode, output=output)


def _killer(proc: subprocess.Popen[bytes], group: bool) -> Callable[[], None]:
    def kill() -> None:
        try:
            # A group is never asked for on Windows; the platform test says so to mypy, which has no killpg there.
            if group and sys.platform != "win32":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass  # it had already ended
    return kill


class _Reader(threading.Thread):
    """Reads one pipe to its end; past *limit* bytes it kills the child and keeps nothing more."""

    def __init__(self, pipe: IO[bytes], limit: int | None, kill: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.pipe, self.limit, self.kill = pipe, limit, kill
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflowed = False
        self.start()

    def run(self) -> None:
        with self.pipe:
            # Popen's pipes are BufferedReaders (read1: what has arrived, without waiting for more),
            # which typeshed types as IO[bytes], without read1.
            while chunk := self.pipe.read1(65536):  # type: ignore[attr-defined]
                if self.limit is not None and self.size + len(chunk) > self.limit:
                    self.chunks.append(chunk[: self.limit - self.size])
                    self.overflowed = True
                    self.kill()
                    break
                self.chunks.append(chunk)
                self.size += len(chunk)

    def text(self) -> str:
        # As text mode would: utf-8 (bad bytes replaced), and universal newlines.
        text = b"".join(self.chunks).decode("utf-8", errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")
