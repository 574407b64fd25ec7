"""Side-by-side timings for ``nox -s bench``: pinlab against the bare commands it wraps.

Each variant makes a fresh environment and installs the same toy set from the same local index,
offline, with a cache of its own that starts empty (as a pinlab sandbox's does). Variants take
turns within every repetition, so that a slow moment of the machine hurts all of them alike.
The notebook suite (nbval over book/) is timed as a whole. ``pinlab lint --all-installed`` is
timed on this interpreter's environment (the nox session's) and on any ``--lint-python`` given,
beside ``--installed`` of one name. Prints Markdown tables: median and spread (min to max) of
each, and the goals from the kit's issues, met or not. Nothing is asserted.

    python benchmarks/bench.py [--repeat N] [--notebook-runs N] [--lint-python PATH ...] [--only lint]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pinlab import Sandbox, toy_index
from pinlab.process import clean_env, run
from pinlab.sandbox import uv_binary
from pinlab.workdir import ThrowawayDir

ROOT = Path(__file__).resolve().parents[1]
TOY_SET = ["toyhost-export==0.3a2", "toyhost-charts"]
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""


@dataclass(frozen=True)
class Timing:
    """The wall times of one variant."""

    name: str
    """What was timed, as the table says it."""
    seconds: tuple[float, ...]
    """One wall time per repetition."""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> str:
        return f"{min(self.seconds):.2f}–{max(self.seconds):.2f} s"


def pip_env(index: Path, cache: Path) -> dict[str, str]:
    # What a careful user would set by hand for an offline install: the same as a sandbox's.
    return clean_env({"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(index),
                      "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CACHE_DIR": str(cache), "PIP_NO_INPUT": "1"})


def checked(result):  # type: ignore[no-untyped-def]
    if not result.ok:
        raise SystemExit(f"bench: '$ {' '.join(result.command)}' failed:\n{result.output}")
    return result


# Each variant returns what to close once the clock has stopped: removing folders is not timed.

def pinlab_pip(index, folder: Path) -> Sandbox:  # type: ignore[no-untyped-def]
    sandbox = Sandbox(index)
    checked(sandbox.pip("install", *TOY_SET))
    return sandbox


def pinlab_uv(index, folder: Path) -> Sandbox:  # type: ignore[no-untyped-def]
    sandbox = Sandbox(index)
    checked(sandbox.uv("pip", "install", *TOY_SET))
    return sandbox


def bare_virtualenv_pip(index, folder: Path) -> None:  # type: ignore[no-untyped-def]
    venv = folder / "venv"
    checked(run([sys.executable, "-m", "virtualenv", venv, "--no-download", "--no-periodic-update",
                 "--no-setuptools", "--quiet"], env=clean_env()))
    checked(run([venv / BIN / f"python{EXE}", "-m", "pip", "install", *TOY_SET],
                env=pip_env(index.path, folder / "pip-cache")))


def venv_pip(index, folder: Path) -> None:  # type: ignore[no-untyped-def]
    venv = folder / "venv"
    checked(run([sys.executable, "-m", "venv", venv], env=clean_env()))
    checked(run([venv / BIN / f"python{EXE}", "-m", "pip", "install", *TOY_SET],
                env=pip_env(index.path, folder / "pip-cache")))


def uv_alone(index, folder: Path) -> None:  # type: ignore[no-untyped-def]
    venv = folder / "venv"
    env = clean_env({"UV_NO_CONFIG": "1", "UV_OFFLINE": "1", "UV_CACHE_DIR": str(folder / "uv-cache"),
                     "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"})
    checked(run([uv_binary(), "venv", "--python", sys.executable, venv], env=env))
    checked(run([uv_binary(), "pip", "install", "--python", venv, "--no-index", "--find-links", index.path,
                 *TOY_SET], env=env))


VARIANTS: list[tuple[str, Callable]] = [  # type: ignore[type-arg]
    ("pinlab: Sandbox + sandbox.pip install", pinlab_pip),
    ("bare: virtualenv + pip install", bare_virtualenv_pip),
    ("bare: python -m venv + pip install", venv_pip),
    ("bare: uv venv + uv pip install", uv_alone),
    ("pinlab: Sandbox + sandbox.uv pip install", pinlab_uv),
]


def time_variants(repeat: int) -> list[Timing]:
    times: dict[str, list[float]] = {name: [] for name, _ in VARIANTS}
    with toy_index() as index:  # every toy: the resolver has releases to choose from
        for round_ in range(repeat + 1):  # round 0 warms the OS's file cache and is not counted
            for name, variant in VARIANTS:
                with ThrowawayDir("bench") as folder:
                    start = time.perf_counter()
                    made = variant(index, folder.path)
                    elapsed = time.perf_counter() - start
                    if made is not None:
                        made.close()
                if round_:
                    times[name].append(elapsed)
            print(f"round {round_}/{repeat} done" + (" (warm-up, not counted)" if not round_ else ""),
                  file=sys.stderr, flush=True)
    return [Timing(name, tuple(seconds)) for name, seconds in times.items()]


def time_notebooks(runs: int) -> Timing:
    notebooks = sorted(str(p) for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        # As nox -s tests runs them: one pytest-xdist worker per core, a notebook per worker.
        checked(run([sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q",
                     "-n", "auto", "--dist", "loadfile", *notebooks],
                    env=clean_env({"PYTHONHASHSEED": "0"}), cwd=ROOT))
        seconds.append(time.perf_counter() - start)
    return Timing(f"notebook suite: pytest --nbval -n auto over {len(notebooks)} chapter(s)", tuple(seconds))


def versions() -> str:
    with toy_index("toyhost==1.0a27") as index, Sandbox(index) as sandbox:
        pip = sandbox.pip("--version").output.split()[1]
    uv = run([uv_binary(), "--version"]).output.split()[1]
    import virtualenv

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"pip {pip}, virtualenv {virtualenv.__version__}, uv {uv}")


def table(timings: list[Timing], notebooks: Timing, repeat: int) -> str:
    bare = next(t for t in timings if t.name.startswith("bare: virtualenv"))
    venv = next(t for t in timings if "python -m venv" in t.name)
    pinlab = next(t for t in timings if t.name.startswith("pinlab: Sandbox + sandbox.pip"))
    lines = [
        f"Fresh environment + offline install of {' '.join(TOY_SET)} (3 packages) from a local index;",
        f"{repeat} repetitions, {len(notebooks.seconds)} of the notebook suite. {versions()}.",
        "",
        "| what | median | spread (min–max) | vs bare virtualenv + pip |",
        "|---|---:|---:|---:|",
    ]
    for timing in [*timings, notebooks]:
        ratio = f"{timing.median / bare.median:.2f}×" if timing is not notebooks else ""
        lines.append(f"| {timing.name} | {timing.median:.2f} s | {timing.spread} | {ratio} |")
    overhead = pinlab.median / bare.median - 1
    speedup = venv.median / pinlab.median
    lines += [
        "",
        "| goal | result | |",
        "|---|---|---|",
        f"| pinlab within 10% of bare virtualenv + pip | {overhead:+.0%} | {'met' if overhead <= 0.10 else 'missed'} |",
        f"| pinlab at least 3× faster than python -m venv + pip | {speedup:.1f}× | {'met' if speedup >= 3 else 'missed'} |",
        f"| notebook suite under 60 s | {notebooks.median:.1f} s | {'met' if notebooks.median < 60 else 'missed'} |",
    ]
    return "\n".join(lines)


def time_lint(repeat: int, pythons: list[str]) -> list[tuple[int, Timing, Timing]]:
    """``pinlab lint --all-installed`` on each interpreter's environment, as a user runs it (a new
    process), beside ``--installed`` of one name; with each environment's number of distributions."""
    from pinlab.environment import read_environment

    measured = []
    for python in pythons:
        environment = read_environment(python)
        one = environment.distributions[0].name
        times: dict[str, list[float]] = {"all": [], "one": []}
        for round_ in range(repeat + 1):  # round 0 warms the file cache and is not counted
            for key, args in (("all", ["--all-installed"]), ("one", ["--installed", one])):
                start = time.perf_counter()
                result = run([sys.executable, "-m", "pinlab", "lint", *args, "--python", python], env=clean_env())
                elapsed = time.perf_counter() - start
                if result.returncode not in (0, 1):
                    raise SystemExit(f"bench: '$ {' '.join(result.command)}' failed:\n{result.output}")
                if round_:
                    times[key].append(elapsed)
        count = len(environment.distributions)
        measured.append((count, Timing(f"pinlab lint --all-installed ({count} distributions)", tuple(times["all"])),
                         Timing(f"pinlab lint --installed {one} (one of them)", tuple(times["one"]))))
    return measured


def lint_table(measured: list[tuple[int, Timing, Timing]], repeat: int) -> str:
    lines = [
        f"pinlab lint over whole environments, {repeat} repetitions each, a new process each time.",
        "",
        "| what | median | spread (min–max) | goal | |",
        "|---|---:|---:|---:|---|",
    ]
    for count, every, one in measured:
        # The goals, 1 s for 50 distributions and 2 s for 150, joined by a straight line.
        goal = 1.0 + max(0, count - 50) / 100
        verdict = "met" if every.median <= goal else "missed"
        lines.append(f"| {every.name} | {every.median:.2f} s | {every.spread} | ≤ {goal:.2f} s | {verdict} |")
        lines.append(f"| {one.name} | {one.median:.2f} s | {one.spread} | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="repetitions of each install variant (default 7)")
    parser.add_argument("--notebook-runs", type=int, default=3, help="runs of the notebook suite (default 3)")
    parser.add_argument("--lint-python", action="append", default=[], metavar="PATH",
                        help="another interpreter whose environment lint --all-installed is timed on (repeatable)")
    parser.add_argument("--only", choices=("all", "lint"), default="all",
                        help="'lint' times only pinlab lint over environments (default: all)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.notebook_runs < 1:
        parser.error("--repeat and --notebook-runs must be at least 1")
    if args.only == "all":
        timings = time_variants(args.repeat)
        notebooks = time_notebooks(args.notebook_runs)
        print(table(timings, notebooks, args.repeat))
        print()
    print(lint_table(time_lint(args.repeat, [sys.executable, *args.lint_python]), args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
