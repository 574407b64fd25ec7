"""``pinlab doctor``: is this machine ready for the workshop? (also ``python -m pinlab.doctor``)

It does, for real and offline, what the chapters will do: checks the Python version and the temp
folder, builds the toy wheels with the real backend, makes a throwaway virtual environment and
checks that it holds nothing it did not install, installs two toys into it with pip and with uv
from the local index only, runs pip-audit on it against the local advisory service, measures the
deepest paths in a sandbox and in the kit's own environment (Windows refuses paths of 260
characters or more unless long paths are enabled), and starts a Jupyter kernel that imports the
kit, as JupyterLab will.

The temp folder (``TMPDIR``; on Windows ``TEMP`` and ``TMP``) must be a folder this user can
write, and where paths are limited it must leave room for a sandbox's files: a sandbox's deepest
file lies up to :data:`SANDBOX_DEPTH` characters below it, so with Windows' limit of 259 the temp
folder's own path may be at most 109 characters long.

Each step prints one line with how long it took; each problem is one line saying what is wrong
and what to do. A step that cannot be tried here (no Jupyter installed) says so and is not a
problem. The last line sums it up for an instructor to collect from a room, e.g.
``pinlab doctor: READY · Python 3.11.7 · Linux-x86_64 · 9.8 s``. The exit status is 0 when the
machine is ready and 1 when a problem was found, so a setup script can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .index import LocalIndex
    from .sandbox import Sandbox

MINIMUM_PYTHON = (3, 10)
# Windows' MAX_PATH: a path of 260 characters or more fails unless long paths are enabled.
WINDOWS_PATH_LIMIT = 260
# How deep a sandbox's files lie below the temp folder: measured 139 characters on Linux
# (pinlab-sandbox-<8>/venv/lib/python3.11/site-packages/pip/_internal/resolution/resolvelib/
# __pycache__/found_candidates.cpython-311.pyc, after the chapters' installs and pip-audit), 10
# fewer on Windows (Lib\site-packages); with room for a deeper file in a later pip.
SANDBOX_DEPTH = 150
# The advisory the kit's own records hold for toyhost 1.0a27 (examples/advisories).
KNOWN_ADVISORY = "TOYSEC-2026-1"
# Seconds a Jupyter kernel may take to start and to run one line.
KERNEL_TIMEOUT = 60


@dataclass(frozen=True)
class Step:
    """One thing the doctor tried."""

    name: str
    """A short name: ``python``, ``tmpdir``, ``build``, ``sandbox``, ``clean``, ``pip``, ``uv``,
    ``audit``, ``paths``, ``kernel``."""
    ok: bool | None
    """True: fine; False: a problem; None: not tried, because a step it needs failed or what it
    checks is not installed here."""
    detail: str
    """One line: what was found, or what is wrong and what to do."""
    seconds: float
    """How long the step took."""

    def __str__(self) -> str:
        return self.line(MARKS)

    def line(self, marks: Marks) -> str:
        """The step's line in the report, marked with *marks* (:data:`MARKS` or :data:`ASCII_MARKS`)."""
        mark = {True: marks.ok, False: marks.problem, None: marks.not_tried}[self.ok]
        return f"{mark} {self.name:<8}{self.detail}  ({self.seconds:.1f} s)"


@dataclass(frozen=True)
class Marks:
    """The characters the report marks its lines with."""

    ok: str
    """A step that passed."""
    problem: str
    """A step that found a problem."""
    not_tried: str
    """A step that was not tried."""
    separator: str
    """Between the parts of the summary line."""


MARKS = Marks("✔", "✘", "–", "·")
# For a standard output that cannot encode those (PYTHONIOENCODING=latin-1, a file redirected in a
# cp1252 or cp437 locale): one character each, so the columns stay aligned.
ASCII_MARKS = Marks("+", "x", "-", "|")


class _Problem(Exception):
    """A step's failure, already worded as the one line the user reads."""


class _NotHere(Exception):
    """What a step checks is not installed here: not a problem, said in one line."""


class _Made:
    """What the doctor's steps make for the later ones: set by one step, read by the steps that need it."""

    wheels: list[Path]
    index: LocalIndex
    sandbox: Sandbox

    def close(self) -> None:
        """Remove the sandbox and the index, those that were made."""
        for name in ("sandbox", "index"):
            if name in vars(self):
                vars(self)[name].close()


def diagnose(
    *,
    python_version: Sequence[int] | None = None,
    examples: Path | None = None,
    path_limit: int | None = None,
) -> list[Step]:
    """Run every step and return what each found.

    *python_version* and *path_limit* default to this machine's; tests pass others to see what a
    participant with an old Python or a Windows laptop would see. *examples* is the folder that
    holds ``toys/`` (default: found from the working directory, as the notebooks find it).
    """
    from .index import LocalIndex
    from .sandbox import Sandbox

    steps: list[Step] = []
    found: set[str] = set()  # the steps that succeeded
    made = _Made()

    def step(name: str, action: Callable[[], str], needs: Sequence[str] = ()) -> None:
        missing = [need for need in needs if need not in found]
        if missing:
            steps.append(Step(name, None, f"not tried: the {missing[0]} step failed", 0.0))
            return
        steps.append(_attempt(name, action))
        if steps[-1].ok:
            found.add(name)

    limit = path_limit if path_limit is not None else _this_machines_path_limit()

    def check_python() -> str:
        version = tuple(python_version or sys.version_info[:3])
        shown = ".".join(map(str, version))
        needed = ".".join(map(str, MINIMUM_PYTHON))
        if version[:2] < MINIMUM_PYTHON:
            raise _Problem(f"Python {shown} is too old: pinlab needs {needed} or newer; install a newer "
                           "Python (python.org, or `uv python install 3.12`) and make the kit's environment with it")
        return f"Python {shown} ({needed} or newer needed) at {sys.executable}"

    def check_build() -> str:
        from .toys import CacheSettingError, ToyError, build_wheel, cache_dir, find_toys, wheel_cache

        try:
            wanted = cache_dir() / "wheels"
            toys = find_toys(examples)
            made.wheels = [build_wheel(toy) for toy in toys]
        except CacheSettingError as exc:
            raise _Problem(str(exc)) from None
        except ToyError as exc:
            raise _Problem(f"{exc}; run the doctor from the pinlab folder, with its examples/ unchanged") from None
        except OSError as exc:
            raise _Problem(f"could not build the toy wheels: {_one_line(exc)}") from None
        if wheel_cache() != wanted:
            return (f"{len(toys)} toy wheels built with the real backend, in a temporary cache: "
                    f"{wanted} cannot be written (make it yours again, or set PINLAB_CACHE)")
        # Named, so that a participant can tell where the cache went (PINLAB_CACHE, or the platform's).
        return f"{len(toys)} toy wheels built with the real backend (or found in the cache {wanted})"

    def check_sandbox() -> str:
        # Only this problem of the temp folder stops virtualenv; with the others (too long for
        # Windows' paths, a TMPDIR Python skipped) a sandbox is still tried, and the paths step measures.
        if os.pathsep in tempfile.gettempdir():
            raise _NotHere("the tmpdir step failed")
        try:
            made.index = LocalIndex(made.wheels)
            made.sandbox = Sandbox(made.index)
        except Exception as exc:  # any failure here is the user's to see, in one line
            raise _Problem(f"could not make a virtual environment: {_one_line(exc)}") from None
        return "made a throwaway virtual environment"

    def check_clean() -> str:
        return isolation(made.sandbox)

    def check_pip() -> str:
        outcome = made.sandbox.pip("install toyhost-export==0.3a2 toyhost-charts")
        if not outcome.ok:
            raise _Problem(f"pip could not install two toys from the local index: {_last_line(outcome.output)}")
        return "pip installed toyhost-export and toyhost-charts offline, from the local index only"

    def check_uv() -> str:
        from .process import clean_env, run
        from .sandbox import uv_binary

        try:
            uv_binary()
        except FileNotFoundError:
            raise _Problem("uv not found: install the kit with its dependencies (uv is one of them), "
                           "or `pip install uv`; chapter 1 runs it beside pip") from None
        sandbox = made.sandbox
        # Removed with uv too: 0.05 s against pip's 0.5 s, and pip's own step has proved pip.
        sandbox.uv("pip uninstall toyhost-export toyhost-charts toyhost")
        outcome = sandbox.uv("pip install toyhost-export==0.3a2 toyhost-charts")
        version = run([uv_binary(), "--version"], env=clean_env()).output.strip()
        if not outcome.ok:
            raise _Problem(f"{version} could not install two toys from the local index: {_last_line(outcome.output)}")
        return f"{version} installed the same toys offline"

    def check_audit() -> str:
        if importlib.util.find_spec("pip_audit") is None:
            raise _Problem("pip-audit is not installed beside pinlab: chapters 3 and 5 run it; install the kit with "
                           "the workshop's requirements (wheelhouse/requirements.txt), or `pip install pip-audit`")
        from .advisory_service import AdvisoryService
        from .auditing import AuditError, audit
        from .toys import examples_dir

        sandbox = made.sandbox
        # The kit's advisory names toyhost 1.0a27: an answer naming it proves the service was asked.
        # Installed with uv where its step passed (0.05 s against pip's 0.7 s; pip's own step has
        # proved pip), else with pip.
        installer = "uv" if "uv" in found else "pip"
        install = sandbox.uv if installer == "uv" else sandbox.pip
        outcome = install(("pip " if installer == "uv" else "") + "install --no-deps toyhost==1.0a27")
        if not outcome.ok:
            raise _Problem(f"{installer} could not install toyhost 1.0a27 to audit: {_last_line(outcome.output)}")
        version = importlib.metadata.version("pip-audit")
        try:
            with AdvisoryService((examples or examples_dir()) / "advisories") as service:
                report = audit(sandbox, service)
        except (AuditError, ValueError, OSError) as exc:
            raise _Problem(f"pip-audit {version} got no answer from the local advisory service: {_one_line(exc)}") \
                from None
        found_ids = {vuln.id for package in report.vulnerable if package.name == "toyhost" for vuln in package.vulns}
        if KNOWN_ADVISORY not in found_ids:
            raise _Problem(f"pip-audit {version} ran, but did not report {KNOWN_ADVISORY} for toyhost 1.0a27: "
                           f"{_last_line(report.transcript.output)}")
        return f"pip-audit {version} found {KNOWN_ADVISORY} in toyhost 1.0a27, asking the local advisory service"

    def check_paths() -> str:
        sandbox_depth = _deepest(made.sandbox.path)
        kit_depth = kit_depth_measured.result()
        where, length = max([("a sandbox", sandbox_depth), ("the kit's environment", kit_depth)], key=lambda x: x[1])
        if limit is not None and length >= limit:
            raise _Problem(f"the deepest file in {where} has a path of {length} characters, over this machine's "
                           f"limit of {limit - 1}: enable long paths (Windows: LongPathsEnabled), or move the kit "
                           "and TEMP to short folders such as C:\\pinlab and C:\\tmp")
        return (f"deepest paths: {sandbox_depth} characters in a sandbox, {kit_depth} in the kit's environment"
                + (f" (limit {limit - 1})" if limit else ""))

    # The walk through the kit's environment for the paths step (thousands of files) runs beside
    # the steps that install. The kernel step runs last, in this thread.
    with ThreadPoolExecutor(max_workers=1) as beside:
        kit_depth_measured = beside.submit(_deepest, Path(sys.prefix))
        try:
            step("python", check_python)
            step("tmpdir", lambda: temp_folder(limit))
            step("build", check_build)
            step("sandbox", check_sandbox, needs=["build"])
            step("clean", check_clean, needs=["sandbox"])
            step("pip", check_pip, needs=["sandbox"])
            step("uv", check_uv, needs=["sandbox"])
            step("audit", check_audit, needs=["sandbox", "pip"])
            step("paths", check_paths, needs=["sandbox"])
            step("kernel", kernel)
        finally:
            made.close()
    return steps


def _attempt(name: str, action: Callable[[], str]) -> Step:
    """Run one step's *action*: its line, or the problem it raised, and how long it took."""
    start = time.perf_counter()
    try:
        detail, ok = action(), True
    except _Problem as problem:
        detail, ok = str(problem), False
    except _NotHere as absent:
        detail, ok = f"not tried: {absent}", None
    except KeyboardInterrupt:
        raise  # the user stops the doctor: no summary wanted
    except BaseException as exc:  # noqa: BLE001 - even a SystemExit (virtualenv's argparse) must leave the summary line
        detail, ok = (f"stopped by an unexpected {type(exc).__name__}: {_one_line(exc)}; run the doctor again, and "
                      "if this line stays, send it to the instructor"), False
    return Step(name, ok, detail, time.perf_counter() - start)


def temp_folder(limit: int | None) -> str:
    """The temp folder step: a folder this user can write, with room for a sandbox's paths.

    Python quietly skips a ``TMPDIR`` it cannot write and takes the next usable folder (``TEMP``,
    ``TMP``, ``/tmp``..., in the end the current folder: on Windows, the kit's own folder), so each
    variable that is set is checked too: the user meant that folder, and the kit would not use it.
    """
    from .workdir import ThrowawayDir

    folder = tempfile.gettempdir()
    if os.pathsep in folder:
        # virtualenv reads its seed and app-data folders from lists split at os.pathsep: it exits
        # (argparse's SystemExit) on a temp folder holding one.
        raise _Problem(f"the temp folder {folder} holds {os.pathsep!r}, the path separator, which virtualenv "
                       "refuses: set TMPDIR (Windows: TEMP) to a folder without it")
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value and not _writable_folder(value):
            raise _Problem(f"{name}={value} is not a folder this user can write: Python quietly puts the kit's "
                           f"folders in {folder} instead; set {name} to a folder of yours, or unset it")
    try:
        with ThrowawayDir("doctor") as probe:  # what every sandbox does first
            (probe.path / "probe.txt").write_text("written", encoding="utf-8")
    except OSError as exc:
        raise _Problem(f"the temp folder {folder} cannot hold the kit's folders: {_one_line(exc)}; "
                       "set TMPDIR (Windows: TEMP and TMP) to a folder you can write") from None
    if limit is None:
        return f"{folder}: writable"
    if len(folder) + SANDBOX_DEPTH >= limit:
        raise _Problem(f"the temp folder {folder} is {len(folder)} characters long: a sandbox's files lie up to "
                       f"{SANDBOX_DEPTH} characters below it, over this machine's limit of {limit - 1}: set TEMP and "
                       "TMP to a short folder such as C:\\tmp, or enable long paths (Windows: LongPathsEnabled)")
    return (f"{folder}: writable, {len(folder)} characters long: room for a sandbox's files "
            f"({SANDBOX_DEPTH} characters below it, limit {limit - 1})")


def _writable_folder(path: str) -> bool:
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


def isolation(sandbox: Sandbox) -> str:
    """The clean step: a fresh sandbox holds only what virtualenv seeded (pip), nothing else.

    A user's ``virtualenv.ini`` with ``system_site_packages = true``, or a stray ``.pth`` file in the
    base Python, would let other packages in, and every chapter's output would change.
    """
    config = sandbox.python.parent.parent / "pyvenv.cfg"
    system_site = False
    for line in config.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "include-system-site-packages":
            system_site = value.strip().lower() == "true"
    foreign = sandbox.installed()
    listed = ", ".join(f"{name} {version}" for name, version in list(foreign.items())[:3])
    listed += f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
    holds = f"holds {len(foreign)} package{'s' if len(foreign) != 1 else ''} it did not install ({listed})"
    if system_site:
        sees = ("the base Python's site-packages (include-system-site-packages = true in its pyvenv.cfg, as a "
                "virtualenv.ini with system_site_packages = true asks); remove that setting")
        raise _Problem(f"a fresh sandbox {holds}: it sees {sees}" if foreign else f"a fresh sandbox sees {sees}")
    if foreign:
        raise _Problem(f"a fresh sandbox {holds}: they come from the base Python (a .pth file?); make the kit's "
                       "environment from a Python without them")
    return "a fresh sandbox holds only pip, as virtualenv seeds it"


@contextlib.contextmanager
def _an_event_loop_of_its_own() -> Iterator[None]:
    """Give the kernel step an event loop of its own, closed afterwards.

    jupyter_client runs its asynchronous code in this thread's event loop. jupyter_client 7
    (which the lowest ipykernel we allow, 6.4, brings) makes one with asyncio's ``get_event_loop``
    and leaves it set and open. The next code to set a loop then drops it, and its socket warns at garbage
    collection in whatever runs then (``nox -s minimums``: an in-process doctor run, then a test's
    nbclient). jupyter_client 8 uses a loop that jupyter_core makes and keeps. Where a loop is
    already running here (the doctor called from a notebook cell), jupyter_client uses that loop,
    and nothing is changed.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        yield
        return
    own = asyncio.new_event_loop()
    asyncio.set_event_loop(own)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        own.close()


@_an_event_loop_of_its_own()
def kernel() -> str:
    """The kernel step: start the Jupyter kernel JupyterLab would start (``python3``), and import
    the kit in it. Not tried where Jupyter is not installed."""
    try:
        from jupyter_client.manager import start_new_kernel
    except ImportError:
        raise _NotHere("jupyter_client is not installed here (the workshop installs it with JupyterLab)") from None
    client_version = importlib.metadata.version("jupyter_client")
    try:
        lab = f"JupyterLab {importlib.metadata.version('jupyterlab')}"
    except importlib.metadata.PackageNotFoundError:
        lab = "no JupyterLab here"
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        # Where JupyterLab's "Python 3" comes from: a kernel spec left by an old environment wins.
        spec_folder = KernelSpecManager().get_kernel_spec("python3").resource_dir
    except NoSuchKernel:
        raise _Problem("Jupyter knows no python3 kernel: install ipykernel beside the kit") from None
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as kernel_log:
        try:
            # The kernel's own messages (e.g. "running over TCP") go to a log, not into the report.
            manager, client = start_new_kernel(kernel_name="python3", startup_timeout=KERNEL_TIMEOUT,
                                               stdout=kernel_log, stderr=kernel_log)
        except Exception as exc:  # whatever stops a kernel, the user sees it in one line
            kernel_log.seek(0)
            log_lines = [line.strip() for line in kernel_log.read().splitlines() if line.strip()]
            raise _Problem(f"the python3 kernel did not start: {_one_line(exc)}"
                           + (f" (it said: {log_lines[-1]})" if log_lines else "")
                           + f"; JupyterLab could not run the chapters: check the kernel spec in {spec_folder}") \
                from None
        try:
            printed: list[str] = []

            def keep_output(message: dict[str, Any]) -> None:
                if message["msg_type"] == "stream":
                    printed.append(message["content"]["text"])
                elif message["msg_type"] == "error":
                    printed.append(f"{message['content']['ename']}: {message['content']['evalue']}")

            reply = client.execute_interactive("import sys, pinlab; print(sys.executable)",
                                               timeout=KERNEL_TIMEOUT, output_hook=keep_output)
        except Exception as exc:
            raise _Problem(f"a Jupyter kernel started but did not run a line: {_one_line(exc)}") from None
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    said = _last_line("".join(printed))
    if reply["content"]["status"] != "ok":
        raise _Problem(f"the Jupyter kernel (python3) cannot import pinlab: {said}; install the kit into the "
                       "environment that runs JupyterLab, and start JupyterLab from it")
    return f"a python3 kernel started and imported pinlab, at {said} (jupyter_client {client_version}; {lab})"


def _this_machines_path_limit() -> int | None:
    if sys.platform != "win32":  # os.name != "nt", in the form mypy reads: winreg is typed for Windows only
        return None
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\FileSystem") as key:
            enabled = winreg.QueryValueEx(key, "LongPathsEnabled")[0]
    except OSError:
        enabled = 0
    return None if enabled == 1 else WINDOWS_PATH_LIMIT


def _deepest(folder: Path) -> int:
    return max((len(str(path)) for path in folder.rglob("*")), default=0)


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _last_line(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"


def report(steps: Sequence[Step], seconds: float, python_version: Sequence[int] | None = None,
           marks: Marks = MARKS) -> str:
    """What the doctor prints: one line per step, a verdict, then the summary line."""
    problems = [step for step in steps if step.ok is False]
    lines = [f"pinlab doctor on {platform.system()} {platform.machine()}, Python {platform.python_version()}"]
    lines += [step.line(marks) for step in steps]
    if problems:
        lines.append(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} found in {seconds:.1f} s: "
                     f"fix the lines marked {marks.problem} and run the doctor again.")
    else:
        lines.append(f"Ready: every step passed in {seconds:.1f} s.")
    lines.append(summary(steps, seconds, python_version, marks))
    return "\n".join(lines)


def summary(steps: Sequence[Step], seconds: float, python_version: Sequence[int] | None = None,
            marks: Marks = MARKS) -> str:
    """One line to paste into a chat or a form: ready or not (and why), Python, platform, time.

    ``pinlab doctor: READY · Python 3.11.7 · Linux-x86_64 · 9.8 s``, or
    ``pinlab doctor: NOT READY (uv, paths) · Python 3.10.4 · Windows-AMD64 · 20.1 s``; a step
    that could not be tried here is named too: ``READY (kernel not tried)``.
    """
    problems = [step.name for step in steps if step.ok is False]
    if problems:
        verdict = f"NOT READY ({', '.join(problems)})"
    else:
        skipped = [step.name for step in steps if step.ok is None]
        verdict = "READY" + (f" ({', '.join(skipped)} not tried)" if skipped else "")
    python = ".".join(map(str, python_version or sys.version_info[:3]))
    dot = marks.separator
    return (f"pinlab doctor: {verdict} {dot} Python {python} {dot} {platform.system()}-{platform.machine()} "
            f"{dot} {seconds:.1f} s")


def main(argv: Sequence[str] | None = None, **overrides: Any) -> int:
    """``pinlab doctor``: print the report; exit status 0 when ready, 1 when a problem was found.

    *overrides* go to :func:`diagnose` (tests use them to simulate an old Python).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[0])
        return 0
    if args:
        print(f"pinlab doctor: unexpected argument {args[0]!r} (it takes none)", file=sys.stderr)
        return 2
    from .extras import lab_missing_message

    without_lab = lab_missing_message("pinlab doctor")  # `pip install pinlab` alone: the commands, not the lab
    if without_lab is not None:
        print(without_lab, file=sys.stderr)
        return 2
    start = time.perf_counter()
    steps = diagnose(**overrides)
    python_version = overrides.get("python_version")
    from .cli import printable, stdout_encodes

    marks = MARKS if stdout_encodes("".join(astuple(MARKS))) else ASCII_MARKS
    print(printable(report(steps, time.perf_counter() - start, python_version, marks)), flush=True)
    return 1 if any(step.ok is False for step in steps) else 0


if __name__ == "__main__":
    sys.exit(main())
