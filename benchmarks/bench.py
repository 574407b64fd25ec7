"""Side-by-side timings for ``nox -s bench``: pinlab against the bare commands it wraps.

Each variant makes a fresh environment and installs the same toy set from the same local index,
offline, with a cache of its own that starts empty (as a pinlab sandbox's does). Variants take
turns within every repetition, so that a slow moment of the machine hurts all of them alike.
The floor of a pip-shown scenario is pip's own install into an environment made before the
clock starts: what no wrapper can go below, so the sandbox's overhead is seen against it.
The notebook suite (nbval over book/) is timed as a whole, and each chapter's Run All as a
learner's kernel runs it (nbclient, no ``PINLAB_RUN_SOLUTIONS``: solutions skipped, a fresh
``workspace/``), with the cells that take the most of it. ``pinlab lint --all-installed`` is
timed on this interpreter's environment (the nox session's) and on any ``--lint-python`` given,
beside ``--installed`` of one name. Prints Markdown tables: median and spread (min to max) of
each, and the goals from the kit's issues, met or not. Nothing is asserted.

    python benchmarks/bench.py [--repeat N] [--notebook-runs N] [--chapter-runs N] [--lint-python PATH ...]
                               [--only installs|chapters|lint]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pinlab import Sandbox, toy_index
from pinlab.exercises import RUN_SOLUTIONS
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
# A variant with a setup gets what the setup made before the clock started.

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


def existing_virtualenv(index, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    """An environment made as a sandbox's is (virtualenv, pip seeded), before the clock starts, and
    used once (a dry run of the same install): an environment that already exists has run its pip
    before, so pip has compiled its own modules, which a first run does (about 0.9 s here)."""
    venv = folder / "venv"
    checked(run([sys.executable, "-m", "virtualenv", venv, "--no-download", "--no-periodic-update",
                 "--no-setuptools", "--quiet"], env=clean_env()))
    python = venv / BIN / f"python{EXE}"
    warm_up = [python, "-Im", "pip", "install", "--dry-run", *TOY_SET]
    checked(run(warm_up, env=pip_env(index.path, folder / "pip-cache")))
    return python


def pip_floor(index, folder: Path, python: Path) -> None:  # type: ignore[no-untyped-def]
    checked(run([python, "-Im", "pip", "install", *TOY_SET], env=pip_env(index.path, folder / "pip-cache")))


def existing_sandbox(index, folder: Path) -> Sandbox:  # type: ignore[no-untyped-def]
    return Sandbox(index)


def sandbox_pip_only(index, folder: Path, sandbox: Sandbox) -> None:  # type: ignore[no-untyped-def]
    checked(sandbox.pip("install", *TOY_SET))


PIP_FLOOR = "floor: pip install into an environment that already exists"
VARIANTS: list[tuple[str, Callable | None, Callable]] = [  # type: ignore[type-arg]
    ("pinlab: Sandbox + sandbox.pip install", None, pinlab_pip),
    ("bare: virtualenv + pip install", None, bare_virtualenv_pip),
    ("bare: python -m venv + pip install", None, venv_pip),
    ("bare: uv venv + uv pip install", None, uv_alone),
    ("pinlab: Sandbox + sandbox.uv pip install", None, pinlab_uv),
    (PIP_FLOOR, existing_virtualenv, pip_floor),
    ("pinlab: sandbox.pip install into a Sandbox that already exists", existing_sandbox, sandbox_pip_only),
]


def time_variants(repeat: int) -> list[Timing]:
    times: dict[str, list[float]] = {name: [] for name, _, _ in VARIANTS}
    with toy_index() as index:  # every toy: the resolver has releases to choose from
        for round_ in range(repeat + 1):  # round 0 warms the OS's file cache and is not counted
            for name, setup, variant in VARIANTS:
                with ThrowawayDir("bench") as folder:
                    ready = setup(index, folder.path) if setup is not None else None
                    start = time.perf_counter()
                    made = variant(index, folder.path) if setup is None else variant(index, folder.path, ready)
                    elapsed = time.perf_counter() - start
                    for used in (made, ready):
                        if hasattr(used, "close"):
                            used.close()
                if round_:
                    times[name].append(elapsed)
            print(f"round {round_}/{repeat} done" + (" (warm-up, not counted)" if not round_ else ""),
                  file=sys.stderr, flush=True)
    return [Timing(name, tuple(seconds)) for name, seconds in times.items()]


def time_notebooks(runs: int) -> Timing:
    notebooks = sorted(str(p) for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    seconds, failed = [], []
    for _ in range(runs):
        start = time.perf_counter()
        # As nox -s tests runs them: one pytest-xdist worker per core, a notebook per worker.
        done = run([sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q",
                    "-n", "auto", "--dist", "loadfile", *notebooks],
                   env=clean_env({"PYTHONHASHSEED": "0"}), cwd=ROOT)
        seconds.append(time.perf_counter() - start)
        if not done.ok:  # still timed: the other tables are worth having; the row says what failed
            failed += [line.removeprefix("FAILED ") for line in done.output.splitlines() if line.startswith("FAILED ")]
            print(done.output, file=sys.stderr, flush=True)
    suffix = f" (failed: {'; '.join(failed)})" if failed else ""
    return Timing(f"notebook suite: pytest --nbval -n auto over {len(notebooks)} chapter(s){suffix}", tuple(seconds))


@dataclass(frozen=True)
class ChapterTiming:
    """A chapter's Run All, as a learner's kernel runs it: the whole, and each code cell."""

    timing: Timing
    """Wall time from the first cell sent to the last cell's answer, per run (the kernel's start not counted)."""
    cells: dict[int, tuple[str, tuple[float, ...]]]
    """Code cell number (1-based, as Jupyter counts them) -> its first line and its time per run."""
    stopped: str | None
    """Why Run All stopped before the end (a cell's error), or None."""

    def slowest(self, count: int = 3) -> list[tuple[int, str, float]]:
        ranked = sorted(((number, line, statistics.median(times)) for number, (line, times) in self.cells.items()),
                        key=lambda item: -item[2])
        return ranked[:count]


def run_all(path: Path, folder: Path) -> tuple[float, list[tuple[str, float]], str | None]:
    """Run every cell of *path* in a fresh kernel whose working directory is *folder* (an empty
    ``workspace/`` there), as JupyterLab's Run All does: it stops at the first unexpected error."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=600, allow_errors=False,
                            resources={"metadata": {"path": str(folder)}})
    # A learner's kernel: no PINLAB_RUN_SOLUTIONS (solutions are skipped, as for a learner).
    env = {key: value for key, value in os.environ.items() if key != RUN_SOLUTIONS}
    cells: list[tuple[str, float]] = []
    stopped = None
    with client.setup_kernel(env=env):
        client.wait_for_reply(client.kc.kernel_info())  # the kernel is up before the clock starts
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            began = time.perf_counter()
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                stopped = f"code cell {len(cells) + 1}: {str(error).strip().splitlines()[-1]}"
                break
            finally:
                cells.append(((cell.source.strip().splitlines() or [""])[0], time.perf_counter() - began))
        total = time.perf_counter() - start
    return total, cells, stopped


def time_chapters(runs: int) -> list[tuple[str, ChapterTiming]]:
    measured = []
    for path in sorted((ROOT / "book").glob("0*.ipynb")):
        totals: list[float] = []
        cells: dict[int, tuple[str, list[float]]] = {}
        stopped = None
        for _ in range(runs):
            with ThrowawayDir("bench-chapter") as folder:
                total, timed, stopped = run_all(path, folder.path)
            totals.append(total)
            for number, (line, seconds) in enumerate(timed, 1):
                cells.setdefault(number, (line, []))[1].append(seconds)
        print(f"{path.name}: {statistics.median(totals):.1f} s", file=sys.stderr, flush=True)
        measured.append((path.name, ChapterTiming(
            Timing(path.name, tuple(totals)), {n: (line, tuple(t)) for n, (line, t) in cells.items()}, stopped)))
    return measured


def chapters_table(measured: list[tuple[str, ChapterTiming]], runs: int) -> str:
    lines = [
        f"Each chapter's Run All in a learner's kernel (solutions skipped, fresh workspace/, kernel start not "
        f"counted), {runs} run(s) each; the three slowest code cells by median.",
        "",
        "| chapter | median | spread (min–max) | ≤ 10 s | slowest cells |",
        "|---|---:|---:|---|---|",
    ]
    for name, chapter in measured:
        verdict = "met" if chapter.timing.median <= 10 else "missed"
        if chapter.stopped:
            verdict += f"; stopped at {chapter.stopped}"
        slowest = "; ".join(f"#{number} `{_cell_label(line)}` {seconds:.1f} s"
                            for number, line, seconds in chapter.slowest())
        lines.append(f"| {name} | {chapter.timing.median:.1f} s | {chapter.timing.spread} | "
                     f"{_cell_label(verdict)} | {slowest} |")
    return "\n".join(lines)


def _cell_label(text: str) -> str:
    text = text.replace("|", "\\|").replace("`", "'")
    return text if len(text) <= 48 else text[:47] + "…"


def versions() -> str:
    with toy_index("toyhost==1.0a27") as index, Sandbox(index) as sandbox:
        pip = sandbox.pip("--version").output.split()[1]
    uv = run([uv_binary(), "--version"]).output.split()[1]
    import virtualenv

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"pip {pip}, virtualenv {virtualenv.__version__}, uv {uv}")


def table(timings: list[Timing], notebooks: Timing | None, repeat: int) -> str:
    bare = next(t for t in timings if t.name.startswith("bare: virtualenv"))
    venv = next(t for t in timings if "python -m venv" in t.name)
    pinlab = next(t for t in timings if t.name.startswith("pinlab: Sandbox + sandbox.pip"))
    floor = next(t for t in timings if t.name == PIP_FLOOR)
    wrapper = next(t for t in timings if t.name.startswith("pinlab: sandbox.pip install into"))
    lines = [
        f"Fresh environment + offline install of {' '.join(TOY_SET)} (3 packages) from a local index;",
        f"{repeat} repetitions" + (f", {len(notebooks.seconds)} of the notebook suite" if notebooks else "")
        + f". {versions()}.",
        "",
        "| what | median | spread (min–max) | vs bare virtualenv + pip | vs the pip floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for timing in timings:
        lines.append(f"| {timing.name} | {timing.median:.2f} s | {timing.spread} | "
                     f"{timing.median / bare.median:.2f}× | {timing.median / floor.median:.2f}× |")
    if notebooks:
        lines.append(f"| {notebooks.name} | {notebooks.median:.2f} s | {notebooks.spread} | | |")
    overhead = pinlab.median / bare.median - 1
    speedup = venv.median / pinlab.median
    over_floor = pinlab.median / floor.median
    lines += [
        "",
        "| goal | result | |",
        "|---|---|---|",
        f"| pinlab within 10% of bare virtualenv + pip | {overhead:+.0%} | {'met' if overhead <= 0.10 else 'missed'} |",
        f"| pinlab at least 3× faster than python -m venv + pip | {speedup:.1f}× | "
        f"{'met' if speedup >= 3 else 'missed'} |",
        f"| Sandbox + sandbox.pip install ≤ 1.1× the pip floor | {over_floor:.2f}× "
        f"(sandbox.pip alone: {wrapper.median / floor.median:.2f}×) | {'met' if over_floor <= 1.1 else 'missed'} |",
    ]
    if notebooks:
        lines.append(f"| notebook suite under 60 s | {notebooks.median:.1f} s | "
                     f"{'met' if notebooks.median < 60 else 'missed'} |")
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
    parser.add_argument("--chapter-runs", type=int, default=3, help="Run All runs of each chapter (default 3)")
    parser.add_argument("--lint-python", action="append", default=[], metavar="PATH",
                        help="another interpreter whose environment lint --all-installed is timed on (repeatable)")
    parser.add_argument("--only", choices=("all", "installs", "chapters", "lint"), default="all",
                        help="time only the installs, the chapters' Run All, or pinlab lint (default: all)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.notebook_runs < 1 or args.chapter_runs < 1:
        parser.error("--repeat, --notebook-runs and --chapter-runs must be at least 1")
    if args.only in ("all", "installs"):
        timings = time_variants(args.repeat)
        notebooks = time_notebooks(args.notebook_runs) if args.only == "all" else None
        print(table(timings, notebooks, args.repeat))
        print()
    if args.only in ("all", "chapters"):
        print(chapters_table(time_chapters(args.chapter_runs), args.chapter_runs))
        print()
    if args.only in ("all", "lint"):
        print(lint_table(time_lint(args.repeat, [sys.executable, *args.lint_python]), args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
