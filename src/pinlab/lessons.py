"""Lesson metadata, as Carpentries lessons keep it: questions, objectives, key points, minutes.

Each chapter keeps them in its notebook metadata under ``lesson``; two markdown cells show them
(the overview under the title, tagged ``lesson-overview``, and the key points at the end, tagged
``lesson-keypoints``) and are written from the metadata, so the page and the data cannot drift.

**Minutes are estimates built on one measure.** ``python -m pinlab.lessons measure book/NN-x.ipynb``
runs the chapter in a fresh kernel, as a participant would after ``pinlab doctor`` (the toy wheels
built, nothing else), and times every code cell: that run time is measured. Everything else is an
assumption, stated as one: teaching minutes add the time to read the chapter's words aloud at
:data:`WORDS_PER_MINUTE`, and each exercise is given :data:`MINUTES_PER_EXERCISE` (reading it,
editing a real file, running its self-check until it passes), not the time it takes to read it.
The raw figures are kept beside the minutes so an instructor can redo the sum at their own pace.

**Tool versions.** The outputs of a chapter are the text of pip, uv, pip-audit (and npm for the
npm chapter) at the versions that ran when the chapter was refreshed; :func:`record_tools` keeps
them in the metadata (``lesson.tools``) and the overview cell prints them, so a reader whose newer
tools word a message differently knows why. They are in a markdown cell, which nbval never
compares, not in a code cell's output: CI validates the same committed outputs on Python 3.10 and
3.13, so an output naming the Python that ran it would differ from the committed one there.
pip, uv and pip-audit come from uv.lock and are the same on every Python; tests/test_lessons.py
checks the recorded ones against the environment, and only Python's version is left unchecked.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

WORDS_PER_MINUTE = 130
"""The pace of explaining aloud while live-coding, in words a minute (a stated assumption)."""

MINUTES_PER_EXERCISE = 8
"""Time given to each exercise (an estimate, not a measure): reading it, editing a real file and
running its self-check until it passes takes most learners 5 to 10 minutes in a workshop."""

_EXERCISE_HEADING = re.compile(r"#{2,3} Exercise\b")

OVERVIEW_TAG, KEYPOINTS_TAG, EXERCISE_TAG = "lesson-overview", "lesson-keypoints", "exercise"
FIELDS = ("questions", "objectives", "keypoints")
TOOL_ORDER = ("Python", "pip", "uv", "pip-audit", "node", "npm")


class LessonError(ValueError):
    """A chapter's lesson metadata is missing or incomplete; the message names the notebook."""


def lesson_of(notebook: Any, name: str = "notebook") -> dict[str, Any]:
    """The ``lesson`` metadata of *notebook*, checked: every field present and non-empty."""
    lesson = notebook.metadata.get("lesson")
    if not isinstance(lesson, dict):
        raise LessonError(f"{name}: no 'lesson' in the notebook metadata")
    for field in FIELDS:
        if not lesson.get(field) or not all(isinstance(item, str) for item in lesson[field]):
            raise LessonError(f"{name}: lesson {field!r} must be a non-empty list of sentences")
    return lesson


def overview_markdown(lesson: dict[str, Any]) -> str:
    """The overview cell: questions, objectives and the measured minutes."""
    lines = ["> **Questions**", ">"]
    lines += [f"> - {question}" for question in lesson["questions"]]
    lines += [">", "> **Objectives**", ">"]
    lines += [f"> - {objective}" for objective in lesson["objectives"]]
    if "teaching" in lesson:
        lines += [">", f"> **Time (estimated):** {lesson['teaching']} min teaching, "
                       f"{lesson['exercises']} min exercises "
                       "(see the [schedule](workshop/schedule.md) for what is measured and what is assumed)"]
    if "tools" in lesson:
        named = sorted(lesson["tools"].items(),
                       key=lambda item: TOOL_ORDER.index(item[0]) if item[0] in TOOL_ORDER else 99)
        tools = ", ".join(f"{name} {version}" for name, version in named)
        lines += [">", f"> **Outputs made with:** {tools}, when the chapter was last refreshed. Other "
                       "versions may word their messages differently."]
    return "\n".join(lines)


def keypoints_markdown(lesson: dict[str, Any]) -> str:
    """The key points cell at the end of a chapter."""
    return "\n".join(["## Key points", "", *(f"- {point}" for point in lesson["keypoints"])])


def exercise_count(notebook: Any) -> int:
    """The chapter's exercises: its markdown cells tagged ``exercise`` that open with an "Exercise" heading."""
    return sum(1 for cell in notebook.cells if cell.cell_type == "markdown"
               and EXERCISE_TAG in cell.metadata.get("tags", []) and _EXERCISE_HEADING.match(cell.source))


def estimate(notebook: Any, name: str = "notebook") -> None:
    """Set the chapter's minutes from its measured figures and its exercises (see the module's docstring)."""
    lesson = lesson_of(notebook, name)
    if "measured" not in lesson:
        raise LessonError(f"{name}: not measured yet: run python -m pinlab.lessons measure on it")
    lesson["teaching"] = minutes(lesson["measured"], "teaching")
    lesson["exercises"] = exercise_count(notebook) * MINUTES_PER_EXERCISE


def render(notebook: Any, name: str = "notebook") -> bool:
    """Write the overview and key points cells from the metadata; True if a cell changed."""
    lesson = lesson_of(notebook, name)
    changed = False
    for tag, text in ((OVERVIEW_TAG, overview_markdown(lesson)), (KEYPOINTS_TAG, keypoints_markdown(lesson))):
        cells = [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]
        if len(cells) != 1:
            raise LessonError(f"{name}: expected one markdown cell tagged {tag!r}, found {len(cells)}")
        if cells[0].source != text:
            cells[0].source, changed = text, True
    return changed


def words(cell: Any) -> int:
    """Words a reader reads in *cell*: its text, or its code's names and literals."""
    return len(re.findall(r"[A-Za-z0-9_'=<>.\-]+", cell.source))


def measure(path: Path) -> dict[str, Any]:
    """Run the notebook at *path* in a fresh kernel and return the measured figures."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    seconds = {"teaching": 0.0, "exercise": 0.0}
    counted = {"teaching": 0, "exercise": 0}
    for cell in notebook.cells:
        part = "exercise" if EXERCISE_TAG in cell.metadata.get("tags", []) else "teaching"
        if OVERVIEW_TAG not in cell.metadata.get("tags", []) and KEYPOINTS_TAG not in cell.metadata.get("tags", []):
            counted[part] += words(cell)

    client = NotebookClient(notebook, kernel_name="python3", timeout=600, record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    # Measured on the kit's own run, the solved path (pinlab.exercises: %%solution cells run).
    client.execute(env={**os.environ, "PINLAB_RUN_SOLUTIONS": "1"})
    for cell in notebook.cells:
        timing = cell.metadata.get("execution", {})
        if cell.cell_type != "code" or "iopub.execute_input" not in timing:
            continue
        part = "exercise" if EXERCISE_TAG in cell.metadata.get("tags", []) else "teaching"
        seconds[part] += (_time(timing["shell.execute_reply"]) - _time(timing["iopub.execute_input"])).total_seconds()
    return {
        "teaching_run_seconds": round(seconds["teaching"], 1),
        "exercise_run_seconds": round(seconds["exercise"], 1),
        "teaching_words": counted["teaching"],
        "exercise_words": counted["exercise"],
        "words_per_minute": WORDS_PER_MINUTE,
        "how": "python -m pinlab.lessons measure: a fresh kernel, toy wheels built beforehand as by pinlab doctor; "
               "estimated teaching minutes = run seconds / 60 + words / words_per_minute, rounded up",
    }


def minutes(measured: dict[str, Any], part: str) -> int:
    """Estimated minutes for *part* (``teaching``): measured run time plus reading aloud, rounded up."""
    total = measured[f"{part}_run_seconds"] / 60 + measured[f"{part}_words"] / measured["words_per_minute"]
    return max(1, math.ceil(total))


def tool_versions(notebook: Any) -> dict[str, str]:
    """The versions of the tools whose text the chapter's outputs show, as they run here: the
    Python of the kernel, the pip a sandbox is seeded with (virtualenv's own wheel, never
    downloaded), uv, pip-audit, and node and npm for a chapter that runs npm (uses ``NpmRegistry``)."""
    import importlib.metadata
    import platform

    from virtualenv.seed.wheels.embed import get_embed_wheel

    from .process import run
    from .sandbox import uv_binary

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    uv = run([uv_binary(), "--version"]).output.split()  # "uv 0.13.9 (hash date)"
    seeded_pip = get_embed_wheel("pip", python)  # the pip virtualenv puts in every sandbox
    if seeded_pip is None:
        raise RuntimeError(f"this virtualenv ships no pip for Python {python}")
    tools = {"Python": platform.python_version(), "pip": str(seeded_pip.version),
             "uv": uv[1], "pip-audit": importlib.metadata.version("pip-audit")}
    if any(cell.cell_type == "code" and "NpmRegistry" in cell.source for cell in notebook.cells):
        from .npm import npm_versions

        node, npm = npm_versions().split(", ")  # "node v20.20.2, npm 11.19.1"
        tools |= {"node": node.split()[1].lstrip("v"), "npm": npm.split()[1]}
    return tools


def record_tools(notebook: Any, name: str = "notebook") -> None:
    """Keep the tools that made the chapter's outputs in its lesson metadata (``nox -s refresh``)."""
    lesson_of(notebook, name)["tools"] = tool_versions(notebook)


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


SESSION_MINUTES = 90
"""A workshop session: the day is offered as sessions of this length with a break between them."""

ROOM_MINUTES = 20
"""What a session keeps free of chapters: the welcome, questions, typing, the laptop that needs help."""


def schedule_markdown(notebooks: Sequence[Path]) -> str:
    """The schedule tables: each chapter's estimated minutes with what was measured, then whole
    chapters packed in order into sessions of :data:`SESSION_MINUTES`, each leaving at least
    :data:`ROOM_MINUTES` for people."""
    import nbformat

    rows = ["| Chapter | Teaching (estimate) | Exercises (estimate) | Running total | Measured: cells' run time "
            "(teaching; exercises) | Words read aloud (teaching; exercises) |",
            "|---|---:|---:|---:|---|---|"]
    total, per_chapter = 0, []
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        lesson = lesson_of(notebook, path.name)
        chapter_minutes = lesson["teaching"] + lesson["exercises"]
        total += chapter_minutes
        title = next(cell.source.splitlines()[0].lstrip("# ")
                     for cell in notebook.cells if cell.cell_type == "markdown")
        per_chapter.append((title.split(".")[0], chapter_minutes))
        m = lesson["measured"]
        count = exercise_count(notebook)
        rows.append(f"| [{title}](../{path.name}) | {lesson['teaching']} min | {lesson['exercises']} min "
                    f"({count} × {MINUTES_PER_EXERCISE}) | {total} min "
                    f"| {m['teaching_run_seconds']} s; {m['exercise_run_seconds']} s "
                    f"| {m['teaching_words']}; {m['exercise_words']} |")
    # Whole chapters, in order, into sessions, each leaving at least ROOM_MINUTES for the room.
    packed: list[list[tuple[str, int]]] = [[]]
    for chapter in per_chapter:
        if packed[-1] and sum(m for _, m in packed[-1]) + chapter[1] > SESSION_MINUTES - ROOM_MINUTES:
            packed.append([])
        packed[-1].append(chapter)
    sessions = ["",
                f"| Session ({SESSION_MINUTES} min) | Chapters | Estimated "
                "| Left for welcome, questions, typing and help |",
                "|---|---|---:|---:|"]
    for number, part in enumerate(packed, start=1):
        planned = sum(chapter_minutes for _, chapter_minutes in part)
        names = f"{part[0][0]} to {part[-1][0]}" if len(part) > 1 else part[0][0]
        sessions.append(f"| {number} | {names} | {planned} min | {SESSION_MINUTES - planned} min |")
    return "\n".join(rows + sessions)


def chapters(book: Path) -> list[Path]:
    """The chapters that carry lesson metadata, in order."""
    import nbformat

    found = sorted(path for path in book.glob("[0-9][0-9]-*.ipynb"))
    return [path for path in found if "lesson" in nbformat.read(path, as_version=4).metadata]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pinlab.lessons measure|tools|render FILE...`` or ``schedule BOOK_DIR``.

    ``measure`` runs each chapter and times it; ``tools`` records the tool versions of this
    environment (``nox -s refresh`` does it after re-executing); ``render`` rewrites the minutes
    from the measured figures and the overview and key points cells from the metadata.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("measure", "tools", "render", "schedule"):
        print("usage: python -m pinlab.lessons measure|tools|render NOTEBOOK... | schedule BOOK_DIR", file=sys.stderr)
        return 2
    command, paths = args[0], [Path(arg) for arg in args[1:]]
    try:
        if command == "schedule":
            print(schedule_markdown(chapters(paths[0] if paths else Path("book"))))
            return 0
        with _participants_cache() if command == "measure" else contextlib.nullcontext():
            _each(command, paths)
    except LessonError as exc:
        print(f"lessons: {exc}", file=sys.stderr)
        return 2
    return 0


def _each(command: str, paths: Sequence[Path]) -> None:
    import nbformat

    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        lesson = lesson_of(notebook, path.name)
        if command == "measure":
            lesson["measured"] = measure(path.resolve())
        if command == "tools":
            record_tools(notebook, path.name)
        if "measured" in lesson:
            estimate(notebook, path.name)
        if command == "measure":
            print(f"{path}: {lesson['teaching']} min teaching, {lesson['exercises']} min exercises "
                  f"({lesson['measured']})", flush=True)
        render(notebook, path.name)
        nbformat.write(notebook, path)


@contextlib.contextmanager
def _participants_cache() -> Iterator[None]:
    """A participant's machine after `pinlab doctor`: the toy wheels built, in a cache of its own
    (so that the exercise's edited copy is built for real, as it is in the room)."""
    from .doctor import diagnose
    from .workdir import ThrowawayDir

    saved = os.environ.get("PINLAB_CACHE")
    with ThrowawayDir("lesson-cache") as cache:
        os.environ["PINLAB_CACHE"] = str(cache.path)
        try:
            diagnose()
            yield
        finally:
            if saved is None:
                del os.environ["PINLAB_CACHE"]
            else:
                os.environ["PINLAB_CACHE"] = saved


if __name__ == "__main__":
    sys.exit(main())
