"""``pinlab doctor``: is this machine ready for the workshop? (also ``python -m pinlab.doctor``)

It does, for real and offline, what the chapters will do: checks the Python version, builds the
toy wheels with the real backend, makes a throwaway virtual environment, installs two toys into it
with pip and with uv from the local index only, and measures the deepest paths in a sandbox and
in the kit's own environment (Windows refuses paths of 260 characters or more unless long paths
are enabled). Each step prints one
line with how long it took; each problem is one line saying what is wrong and what to do. The exit
status is 0 when the machine is ready and 1 when a problem was found, so a setup script can use it.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

MINIMUM_PYTHON = (3, 10)
# Windows' MAX_PATH: a path of 260 characters or more fails unless long paths are enabled.
WINDOWS_PATH_LIMIT = 260


@dataclass(frozen=True)
class Step:
    """One thing the doctor tried."""

    name: str
    """A short name: ``python``, ``build``, ``sandbox``, ``pip``, ``uv``, ``paths``."""
    ok: bool | None
    """True: fine; False: a problem; None: not tried, because a step it needs failed."""
    detail: str
    """One line: what was found, or what is wrong and what to do."""
    seconds: float
    """How long the step took."""

    def __str__(self) -> str:
        mark = {True: "✔", False: "✘", None: "–"}[self.ok]
        return f"{mark} {self.name:<8}{self.detail}  ({self.seconds:.1f} s)"


class _Problem(Exception):
    """A step's failure, already worded as the one line the user reads."""


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
    found: dict[str, object] = {}

    def step(name: str, action: Callable[[], str], needs: Sequence[str] = ()) -> None:
        missing = [need for need in needs if need not in found]
        if missing:
            steps.append(Step(name, None, f"not tried: the {missing[0]} step failed", 0.0))
            return
        start = time.perf_counter()
        try:
            detail, ok = action(), True
        except _Problem as problem:
            detail, ok = str(problem), False
        steps.append(Step(name, ok, detail, time.perf_counter() - start))
        if ok:
            found.setdefault(name, True)

    def check_python() -> str:
        version = tuple(python_version or sys.version_info[:3])
        shown = ".".join(map(str, version))
        needed = ".".join(map(str, MINIMUM_PYTHON))
        if version[:2] < MINIMUM_PYTHON:
            raise _Problem(f"Python {shown} is too old: pinlab needs {needed} or newer; install a newer "
                           "Python (python.org, or `uv python install 3.12`) and make the kit's environment with it")
        return f"Python {shown} ({needed} or newer needed) at {sys.executable}"

    def check_build() -> str:
        from .toys import ToyError, build_wheel, find_toys

        try:
            toys = find_toys(examples)
            found["wheels"] = [build_wheel(toy) for toy in toys]
        except ToyError as exc:
            raise _Problem(f"{exc}; run the doctor from the pinlab folder, with its examples/ unchanged") from None
        return f"{len(toys)} toy wheels built with the real backend (or found in the cache)"

    def check_sandbox() -> str:
        try:
            found["index"] = LocalIndex(found["wheels"])  # type: ignore[arg-type]
            found["sandbox"] = Sandbox(found["index"])  # type: ignore[arg-type]
        except Exception as exc:  # any failure here is the user's to see, in one line
            raise _Problem(f"could not make a virtual environment: {_one_line(exc)}") from None
        return "made a throwaway virtual environment"

    def check_pip() -> str:
        outcome = found["sandbox"].pip("install toyhost-export==0.3a2 toyhost-charts")  # type: ignore[attr-defined]
        if not outcome.ok:
            raise _Problem(f"pip could not install two toys from the local index: {_last_line(outcome.output)}")
        return "pip installed toyhost-export and toyhost-charts offline, from the local index only"

    def check_uv() -> str:
        from .sandbox import uv_binary

        try:
            uv_binary()
        except FileNotFoundError:
            raise _Problem("uv not found: install the kit with its dependencies (uv is one of them), "
                           "or `pip install uv`; chapter 1 runs it beside pip") from None
        sandbox = found["sandbox"]
        sandbox.pip("uninstall --yes toyhost-export toyhost-charts toyhost")  # type: ignore[attr-defined]
        outcome = sandbox.uv("pip install toyhost-export==0.3a2 toyhost-charts")  # type: ignore[attr-defined]
        version = sandbox.uv("--version").output.strip()  # type: ignore[attr-defined]
        if not outcome.ok:
            raise _Problem(f"{version} could not install two toys from the local index: {_last_line(outcome.output)}")
        return f"{version} installed the same toys offline"

    def check_paths() -> str:
        limit = path_limit if path_limit is not None else _this_machines_path_limit()
        sandbox_depth = _deepest(found["sandbox"].path)  # type: ignore[attr-defined]
        kit_depth = _deepest(Path(sys.prefix))
        where, length = max([("a sandbox", sandbox_depth), ("the kit's environment", kit_depth)], key=lambda x: x[1])
        if limit is not None and length >= limit:
            raise _Problem(f"the deepest file in {where} has a path of {length} characters, over this machine's "
                           f"limit of {limit - 1}: enable long paths (Windows: LongPathsEnabled), or move the kit "
                           "and TEMP to short folders such as C:\\pinlab and C:\\tmp")
        return (f"deepest paths: {sandbox_depth} characters in a sandbox, {kit_depth} in the kit's environment"
                + (f" (limit {limit - 1})" if limit else ""))

    try:
        step("python", check_python)
        step("build", check_build)
        step("sandbox", check_sandbox, needs=["build"])
        step("pip", check_pip, needs=["sandbox"])
        step("uv", check_uv, needs=["sandbox"])
        step("paths", check_paths, needs=["sandbox"])
    finally:
        for name in ("sandbox", "index"):
            if name in found:
                found[name].close()  # type: ignore[attr-defined]
    return steps


def _this_machines_path_limit() -> int | None:
    if os.name != "nt":
        return None
    import winreg  # type: ignore[import-not-found]

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


def report(steps: Sequence[Step], seconds: float) -> str:
    """What the doctor prints: one line per step, then a verdict."""
    problems = [step for step in steps if step.ok is False]
    lines = [f"pinlab doctor on {platform.system()} {platform.machine()}, Python {platform.python_version()}"]
    lines += [str(step) for step in steps]
    if problems:
        lines.append(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} found in {seconds:.1f} s: "
                     "fix the lines marked ✘ and run the doctor again.")
    else:
        lines.append(f"Ready: every step passed in {seconds:.1f} s.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, **overrides: object) -> int:
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
    steps = diagnose(**overrides)  # type: ignore[arg-type]
    print(report(steps, time.perf_counter() - start), flush=True)
    return 1 if any(step.ok is False for step in steps) else 0


if __name__ == "__main__":
    sys.exit(main())
