"""A throwaway virtual environment, made with ``virtualenv``, that installs only from a local index.

The sandbox never sees the caller's pip or uv configuration: every ``PIP_*``/``UV_*`` variable,
``PYTHONPATH`` and an activated venv are dropped, pip's config files are disabled, and the only
place packages can come from is the :class:`~pinlab.index.LocalIndex` it was given. It works
the same on Windows (``Scripts\\python.exe``) as on Linux and macOS (``bin/python``), because
the interpreter's path comes from virtualenv itself rather than from a guess.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .environment import Environment, installed_on, read_environment
from .index import LocalIndex
from .process import TIME_LIMIT, Completed, Placeholders, Stopped, clean_env, run
from .requirements import UnusableInput
from .toys import Toy
from .workdir import ThrowawayDir

# How unittest names a failing test before Python 3.11: "FAIL: test_page (module.Class)";
# 3.11 and later add the method: "FAIL: test_page (module.Class.test_page)".
_UNITTEST_TEST_NAME = re.compile(r"^((?:FAIL|ERROR): (\w+)) \(([\w.]+)\)$", re.MULTILINE)


def _named_as_since_3_11(match: re.Match[str]) -> str:
    heading, method, where = match.groups()
    return match.group(0) if where.endswith(f".{method}") else f"{heading} ({where}.{method})"

# The search path of a sandbox's interpreter (sys.path) follows from what it was made from (its
# pyvenv.cfg: the base interpreter) and the .pth files of its site-packages. Two sandboxes alike in
# both search the same folders but for their own: so it is asked of the first one's interpreter,
# and the next one's is that answer with its own folder put in (one Python start fewer a sandbox,
# 0.02-0.04 s). Keys and answers name the sandbox's folder as <sandbox>.
_SEARCH_PATHS: dict[tuple[str, frozenset[tuple[str, bytes]]], tuple[str, ...]] = {}

_VENV = "venv"  # the virtual environment's folder in the sandbox's
_TEMP = "tmp"  # the temp folder of the sandbox's commands (TMPDIR, TEMP, TMP)

SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})
"""Seed packages virtualenv puts in every environment; they are not part of any lesson."""


@dataclass(frozen=True, repr=False)  # shown as a transcript, like Completed
class Outcome(Completed):
    """A command run in a sandbox, with the packages installed once it finished."""

    # A default only because Completed's fields have some; every Outcome is made with one.
    installed: Mapping[str, str] = None  # type: ignore[assignment]
    """Canonical project name -> version, seed packages (pip) left out."""


class SandboxFailed(RuntimeError):
    """A sandbox could not be made; the message (one line) says why and what to do."""


class ResolutionFailed(RuntimeError):
    """An installer found no set of versions that satisfies the requirements."""


# The exit status of a command the sandbox stopped at its time limit: what a shell reports for
# a child killed by SIGKILL (128 + 9), on every platform alike.
STOPPED = 137


class Sandbox(ThrowawayDir):
    """A virtual environment in a throwaway folder; use it in ``with`` or call ``close()``."""

    time_limit: float | None = TIME_LIMIT
    """Seconds a command in the sandbox may take before it is stopped (``None``: no limit)."""

    def __init__(self, index: LocalIndex) -> None:
        super().__init__("sandbox")
        self.index = index
        try:
            _check_usable(self)
            # The sandbox's commands get a temp folder of their own, inside its folder: what pip
            # leaves there (pip-install-*, pip-unpack-*, ... when it is killed at a Ctrl-C or a time
            # limit, as run() does) goes with the sandbox, and so does it when the kernel itself is
            # killed (the sweep). Chosen over asking pip to stop first (SIGINT, then a kill), which
            # would not cover a kill -9 of the kernel nor a pip that ignores the signal, and would
            # make every stopped command wait. pip's temp names add ~40 characters under tmp/, less
            # than what the venv adds (venv/Lib/site-packages/...), the depth the doctor measures.
            (self.path / _TEMP).mkdir()
            venv = _create_venv(self.path / _VENV)
        except BaseException:  # an error or Ctrl-C half-way: leave nothing behind
            self.close()
            raise
        self._python, self.site_packages = venv.exe, venv.purelib
        self._searched: tuple[frozenset[tuple[str, int, int]], tuple[str, ...]] | None = None
        # Where site-packages lies and which Python runs differ by platform and version
        # (lib/python3.11/ or Lib\); outputs name them, so that a chapter reads the same everywhere.
        relative = venv.purelib.relative_to(self.path)
        self.placeholders = Placeholders(
            {**self.shown_as("<sandbox>"), **index.shown_as("<index>"), str(venv.purelib): "<site-packages>",
             str(self.unresolved_path / relative): "<site-packages>"},
            {
                f".{os.sep}{relative}": "<site-packages>",  # pip names it relative to the sandbox
                f"./{relative.as_posix()}": "<site-packages>",
                f"Python {venv.version} environment": "Python environment",  # uv's first line
                # uv lock names the interpreter it found (venv/bin/python, venv\Scripts\python.exe)
                **{f"CPython {venv.version} interpreter at: {spelling}": "CPython interpreter at: <sandbox python>"
                   for spelling in {str(venv.exe.relative_to(self.path)), venv.exe.relative_to(self.path).as_posix()}},
            },
        )

    @property
    def python(self) -> Path:
        """The sandbox's interpreter (``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere)."""
        return self._python

    def add_placeholder(self, path: Path, name: str) -> None:
        """Show *path* as *name* in this sandbox's outputs (e.g. the examples folder)."""
        self.placeholders = self.placeholders.merged(Placeholders({str(path): name}))

    # -- installers ------------------------------------------------------------------------

    def pip(self, *args: str | os.PathLike[str]) -> Outcome:
        """Run pip in the sandbox: ``sandbox.pip("install toyhost==1.0a27")``, or with a path
        as an argument of its own: ``sandbox.pip("install -r", path)``."""
        argv = split_args(args)
        return self.run([str(self.python), "-Im", "pip", *argv], shown_as=["pip", *argv], env=self.pip_env())

    def uv(self, *args: str | os.PathLike[str]) -> Outcome:
        """Run uv against the sandbox: ``sandbox.uv("pip install toyhost==1.0a27")``."""
        argv = split_args(args)
        return self.run([uv_binary(), *argv], shown_as=["uv", *argv], env=self.uv_env())

    def python_run(self, *args: str | os.PathLike[str]) -> Outcome:
        """Run the sandbox's interpreter, isolated from the caller's ``PYTHON*`` settings."""
        argv = split_args(args)
        return self.run([str(self.python), "-I", *argv], shown_as=["python", *argv])

    def test(self, toy: Toy) -> Outcome:
        """Run *toy*'s own unit tests with the sandbox's interpreter and installed packages."""
        tests = toy.source / "tests"
        self.add_placeholder(toy.source, f"<{toy.source.name}>")
        argv = ["-I", "-m", "unittest", "discover",
                "--start-directory", str(tests), "--top-level-directory", str(tests)]
        # A failing test must read the same on every Python the kit supports (the chapters show
        # it, and nbval compares it): no carets under traceback lines (3.11 added them, 3.13
        # moved them; -X no_debug_ranges turns them off, 3.10 ignores it, having none), and the
        # test named as 3.11+ names it. The reader is shown the command as they would type it.
        done = self.run([str(self.python), "-X", "no_debug_ranges", *argv], shown_as=["python", *argv])
        return replace(done, output=_UNITTEST_TEST_NAME.sub(_named_as_since_3_11, done.output))

    def would_install(self, *args: str | os.PathLike[str], installer: str = "pip") -> dict[str, str]:
        """What *installer* would install for *args* (requirements, and options such as ``--pre``;
        an option with a value is written ``--name=value``), without installing anything:
        canonical name -> version.

        pip answers with the JSON report of ``pip install --dry-run --report``; uv with the pins
        of ``uv pip compile`` (a requirements file, read with ``packaging``). Raises
        :class:`ResolutionFailed` with the installer's text if it finds no solution.
        """
        argv = split_args(args)
        if installer == "pip":
            command = [str(self.python), "-Im", "pip", "install", "--dry-run", "--ignore-installed",
                       "--quiet", "--report", "-", *argv]
            done = run(command, env=self.pip_env(), placeholders=self._placeholders(), cwd=self.path,
                       merge_output=False)
            if done.ok:
                report = json.loads(done.output)
                return {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
                        for item in report["install"]}
        elif installer == "uv":
            options = [arg for arg in argv if arg.startswith("-")]
            wanted = self.path / "would-install.in"  # uv pip compile reads requirements from a file
            wanted.write_text("".join(f"{arg}\n" for arg in argv if not arg.startswith("-")), encoding="utf-8")
            command = [uv_binary(), "pip", "compile", wanted.name, "--quiet", "--no-header", "--no-annotate",
                       *options]
            try:
                done = run(command, env=self.uv_env(), placeholders=self._placeholders(), cwd=self.path,
                           merge_output=False)
            finally:
                wanted.unlink()
            if done.ok:
                pins = [Requirement(line) for line in done.output.splitlines() if line.strip()]
                return {canonicalize_name(pin.name): str(pin.specifier).removeprefix("==") for pin in pins}
        else:
            raise ValueError(f"unknown installer {installer!r}: expected 'pip' or 'uv'")
        raise ResolutionFailed(f"{installer} found no solution for {' '.join(argv)}:\n{done.output.strip()}")

    # -- files ------------------------------------------------------------------------------

    def write_file(self, name: str, text: str) -> Path:
        """Write *text* to the file *name* in the sandbox's folder (e.g. a ``requirements.in``)."""
        target = self._file(name)
        target.write_text(text, encoding="utf-8")
        return target

    def read_file(self, name: str) -> str:
        """The text of the file *name* in the sandbox's folder, as a reader sees it: machine
        paths and the hashes of toy wheels replaced by their placeholders."""
        return self._placeholders().apply(self._file(name).read_text(encoding="utf-8"))

    def copy_file(self, name: str, to: Sandbox) -> Path:
        """Copy the file *name* unchanged into sandbox *to*: a lock file going from the machine
        that made it to one that installs from it."""
        target = to._file(name)
        shutil.copyfile(self._file(name), target)
        return target

    def installed(self) -> dict[str, str]:
        """Canonical name -> version of what is installed, seed packages left out: the
        distributions on the sandbox interpreter's own search path, the first copy of each (the
        one it imports), as :meth:`environment` lists them.

        Read in this process (:func:`~pinlab.environment.installed_on`, the same code the
        interpreter would run) rather than by a run of the sandbox's interpreter, since every command's
        :class:`Outcome` holds it: that run (importing importlib.metadata) cost 0.07-0.15 s a
        command. The search path itself is the interpreter's own, asked again whenever the
        ``.pth`` files of site-packages change (an install may add one, and with it a folder), and
        shared by the sandboxes alike (:data:`_SEARCH_PATHS`).
        """
        found = {dist.key: dist.version for dist in installed_on(self._search_path())}
        return {key: found[key] for key in sorted(found) if key not in SEED_PACKAGES}

    def environment(self) -> Environment:
        """What is installed, with requirements and markers, as the sandbox's own interpreter reads it
        (:func:`pinlab.environment.read_environment`: one run, time-limited); seed packages included."""
        try:
            return read_environment(self.python)
        except UnusableInput as exc:
            raise RuntimeError(f"could not list the sandbox's packages: {exc}") from None

    # -- the seam for other modules ----------------------------------------------------------

    def run(self, argv: list[str], *, shown_as: list[str], env: dict[str, str] | None = None) -> Outcome:
        """Run *argv* in the sandbox's folder, within its time limit, with its placeholders, and
        return the transcript (shown as *shown_as*) with what is installed afterwards.

        *env* is the whole environment of the command (default: the caller's, less every
        variable that steers Python or an installer: :func:`pinlab.process.clean_env`), e.g.
        :meth:`pip_env` for a tool that runs pip. A command stopped at the time limit is a
        failed run (exit status :data:`STOPPED`) whose output ends in the reason, not an error.
        """
        try:
            done = run(argv, shown_as=shown_as, env=self._clean_env() if env is None else env,
                       placeholders=self._placeholders(), cwd=self.path, timeout=self.time_limit)
        except Stopped as stopped:
            # Shown as a failed command, with what it printed and why it was stopped: a learner
            # sees a transcript that ends in the reason, not a traceback.
            output = f"{stopped.output.rstrip()}\n[pinlab stopped it: {stopped.reason}]".lstrip("\n")
            return Outcome(stopped.command, STOPPED, output, self.installed())
        return Outcome(done.command, done.returncode, done.output, self.installed())

    # -- installer settings -----------------------------------------------------------------

    def pip_env(self, *, offline: bool = True) -> dict[str, str]:
        """The environment pip runs with in this sandbox: no config file, no ``PIP_*`` variable of
        the caller, the local index as its only source, a cache in the sandbox's folder. With
        ``offline=False`` (only :mod:`pinlab.wheelhouse` asks), PyPI instead of the local index."""
        env = self._clean_env({
            # os.devnull as config file makes pip skip every config file (global, user, site).
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            # A file: URL, never a bare path: pip splits this variable at whitespace (and uv
            # its own at commas, even on the command line), and a Windows user name often holds a
            # space; a URL has neither.
            "PIP_FIND_LINKS": self.index.path.as_uri(),
            "PIP_NO_INPUT": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_CACHE_DIR": str(self.path / "pip-cache"),
            # A progress bar is noise in a captured transcript.
            "PIP_PROGRESS_BAR": "off",
            "PIP_NO_COLOR": "1",
        })
        if not offline:
            # Only pinlab.wheelhouse asks for this: it downloads the kit's own dependencies from
            # PyPI for a USB stick, still ignoring every pip config file and PIP_* variable.
            del env["PIP_NO_INDEX"], env["PIP_FIND_LINKS"]
        return env

    def uv_env(self) -> dict[str, str]:
        """The environment uv runs with against this sandbox: no config, offline, the local index
        as its only source, the sandbox's interpreter, a cache in the sandbox's folder."""
        return self._clean_env({
            "UV_NO_CONFIG": "1",
            "UV_OFFLINE": "1",
            "UV_FIND_LINKS": self.index.path.as_uri(),  # a URL: no comma or space to split at
            "UV_CACHE_DIR": str(self.path / "uv-cache"),
            "UV_PYTHON": str(self.python),
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
        })

    # -- plumbing ---------------------------------------------------------------------------

    def _clean_env(self, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
        """:func:`~pinlab.process.clean_env` with the sandbox's own temp folder (see ``__init__``);
        Python's tempfile (pip) reads TMPDIR, TEMP and TMP on every platform, uv reads TMPDIR."""
        temp = str(self.path / _TEMP)
        return clean_env({"TMPDIR": temp, "TEMP": temp, "TMP": temp, **(overrides or {})})

    def _search_path(self) -> tuple[str, ...]:
        """The folders the sandbox's interpreter looks for distributions in (its ``sys.path``),
        asked of it once, and again after a change to the ``.pth`` files that can extend it."""
        pth_files = frozenset((entry.name, entry.stat().st_mtime_ns, entry.stat().st_size)
                              for entry in os.scandir(self.site_packages) if entry.name.endswith(".pth"))
        if self._searched is None or self._searched[0] != pth_files:
            self._searched = (pth_files, self._ask_search_path())
        return self._searched[1]

    def _ask_search_path(self) -> tuple[str, ...]:
        """The interpreter's ``sys.path``, or that of an earlier sandbox alike (see :data:`_SEARCH_PATHS`)."""
        folder = str(self.path)
        try:  # what the sandbox was made from, its own folder left out (pyvenv.cfg names it)
            made_from = (self.path / _VENV / "pyvenv.cfg").read_text(encoding="utf-8").replace(folder, "<sandbox>")
        except OSError:
            made_from = None
        pth = frozenset((entry.name, Path(entry.path).read_bytes().replace(folder.encode(), b"<sandbox>"))
                        for entry in os.scandir(self.site_packages) if entry.name.endswith(".pth"))
        key = (made_from, pth) if made_from is not None else None
        if key in _SEARCH_PATHS:
            return tuple(entry.replace("<sandbox>", folder, 1) for entry in _SEARCH_PATHS[key])
        # -E as environment() runs it: no PYTHON* variable, the user's site-packages as Python sees it.
        # One expression (the kit runs no longer script with -c); sys.path[0] is then "", -c's
        # current folder, which is not part of the environment.
        done = run([self.python, "-E", "-c", "print(__import__('json').dumps(__import__('sys').path))"],
                   env=clean_env(), merge_output=False)
        if not done.ok:
            raise RuntimeError(f"could not list the sandbox's packages: its interpreter failed ({done.status}): "
                               f"{done.output.strip()}")
        searched = tuple(json.loads(done.output)[1:])
        # Kept only if the interpreter names this sandbox's folder as pinlab does (not resolved
        # through a link, say), and names nothing else that looks like it: then only the folder
        # differs between two sandboxes alike, and it can be put back in.
        alike = str(self.site_packages) in searched and not any("<sandbox>" in entry for entry in searched)
        if key is not None and alike:
            _SEARCH_PATHS[key] = tuple(entry.replace(folder, "<sandbox>", 1) if entry.startswith(folder) else entry
                                       for entry in searched)
        return searched

    def _placeholders(self) -> Placeholders:
        # The index's, read at each run: it names the hash of a wheel added after we were made.
        return self.placeholders.merged(self.index.placeholders)

    def _file(self, name: str) -> Path:
        if not name or Path(name).name != name or name in (".", ".."):
            raise ValueError(f"{name!r} is not a plain file name: a sandbox's files live in its own folder")
        return self.path / name

    def __enter__(self) -> Sandbox:
        return self

    def __repr__(self) -> str:
        state = "closed" if self.closed else ", ".join(f"{n} {v}" for n, v in self.installed().items()) or "empty"
        return f"Sandbox({state})"


def split_args(args: tuple[str | os.PathLike[str], ...]) -> list[str]:
    """A command's arguments: the first may hold several plain words, the others are kept whole.

    ``sandbox.pip("install toyhost==1.0a27")`` reads like the terminal line, and a path follows
    as an argument of its own: ``sandbox.pip("install --no-deps -r", path)``. Only the first
    argument is split, at spaces, and only if it holds no path: no way of splitting one string
    is right for every path (POSIX shell rules lose the backslashes of ``C:\\Users\\...``,
    a split at spaces cuts a folder named ``José Kit`` in two), so a first argument holding a
    quote, a backslash or an absolute path is refused instead of being split wrongly.
    """
    if not args:
        return []
    first, rest = args[0], [os.fspath(arg) for arg in args[1:]]
    if not isinstance(first, str):
        return [os.fspath(first), *rest]
    words = first.split()
    if any(char in first for char in "'\"\\") or any(_is_absolute_path(word) for word in words):
        raise ValueError(
            f"cannot split {first!r} safely: pass a path or a quoted value as an argument of its own, "
            f"e.g. sandbox.pip('install -r', path)"
        )
    return [*words, *rest]


def _is_absolute_path(word: str) -> bool:
    value = word.partition("=")[2] if word.startswith("-") else word  # --option=/some/path
    return os.path.isabs(value) or Path(value).is_absolute()


def _check_usable(sandbox: Sandbox) -> None:
    """Refuse, in one line, a folder virtualenv would refuse with its usage text and SystemExit."""
    for folder in (sandbox.unresolved_path.parent, sandbox.path.parent):
        # mkdtemp's random part is letters, digits and "_": only the temp folder can hold it.
        if os.pathsep in str(folder):
            raise SandboxFailed(
                f"the temp folder {folder} holds {os.pathsep!r}, the path separator, which virtualenv "
                f"refuses: set TMPDIR (Windows: TEMP) to a folder without it"
            )


@dataclass(frozen=True)
class _Venv:
    exe: Path
    """The interpreter, as virtualenv made it (``Scripts\\python.exe`` or ``bin/python``)."""
    purelib: Path
    """Its site-packages folder."""
    version: str
    """Its Python version, e.g. ``3.11.7``."""


def _create_venv(target: Path) -> _Venv:
    # On Python < 3.12, importing virtualenv asks distutils for the install scheme, and distutils'
    # check_environ() sets os.environ["PLAT"] as a side effect (seen on 3.10 by the tests' leak
    # check). A sandbox must not change its caller's environment, so put it back as it was.
    saved = dict(os.environ)
    try:
        from virtualenv import cli_run

        # No download, no update check: virtualenv seeds pip from the wheels it ships with. No
        # activation scripts: a sandbox is run through its interpreter's path, never activated, and
        # writing the seven of them was a quarter of a sandbox's making (0.005 of 0.017 s of CPU).
        try:
            session = cli_run(
                [str(target), "--no-download", "--no-periodic-update", "--no-setuptools", "--activators", "",
                 "--quiet"],
                setup_logging=False,
                # No virtualenv.ini of the user's (system_site_packages = true would let every package
                # of the base Python into the sandbox): virtualenv reads this file, which never exists.
                # The seed (pip) is linked from virtualenv's app-data, where its modules are compiled
                # once, rather than copied: a sandbox then takes 0.05 s instead of 0.6 s to make, and its
                # first pip run 0.5 s instead of 1.4 s (pip compiling itself). Where links cannot be made
                # (Windows without developer mode, a temporary app-data), virtualenv copies, as before.
                env=clean_env({"VIRTUALENV_CONFIG_FILE": str(target.parent / "no-virtualenv.ini"),
                               "VIRTUALENV_SYMLINK_APP_DATA": "1"}),
            )
        except SystemExit as exc:  # argparse refused an argument, and printed why and its usage
            raise SandboxFailed(f"virtualenv refused to make {target} (exit status {exc.code})") from None
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)
    creator = session.creator
    version = ".".join(str(part) for part in creator.interpreter.version_info[:3])
    return _Venv(Path(creator.exe), Path(creator.purelib), version)


def uv_binary() -> str:
    """The uv executable from the ``uv`` package (a pinlab dependency), else one on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        import shutil

        found = shutil.which("uv")
        if found is None:
            raise FileNotFoundError("uv is not installed: pip install uv") from None
        return found


def has_uv() -> bool:
    try:
        uv_binary()
    except FileNotFoundError:
        return False
    return True
