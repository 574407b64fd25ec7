"""Lesson metadata, as Carpentries lessons keep it: questions, objectives, key points, minutes.

Each chapter keeps them in its notebook metadata under ``lesson``; two markdown cells show them
(the overview under the title, tagged ``lesson-overview``, and the key points at the end, tagged
``lesson-keypoints``) and are written from the metadata, so the page and the data cannot drift.

The minutes are measured, not guessed: ``python -m pinlab.lessons measure book/NN-x.ipynb`` runs
the chapter in a fresh kernel, as a participant would after ``pinlab doctor`` (the toy wheels
built, nothing else), and times every code cell. Cells tagged ``exercise`` count for the exercise,
the others for teaching. Each part's minutes are its cells' run time plus the time to read its
words (markdown and code) at :data:`WORDS_PER_MINUTE`; the raw figures are kept beside the minutes
so an instructor can redo the sum with their own pace.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence

WORDS_PER_MINUTE = 130
"""The pace of explaining aloud while live-coding, in words a minute (a stated assumption)."""

OVERVIEW_TAG, KEYPOINTS_TAG, EXERCISE_TAG = "lesson-overview", "lesson-keypoints", "exercise"
FIELDS = ("questions", "objectives", "keypoints")


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
        lines += [">", f"> **Time:** {lesson['teaching']} min teaching, {lesson['exercises']} min exercises "
                       "(measured by running the chapter; see the [schedule](workshop/schedule.md))"]
    return "\n".join(lines)


def keypoints_markdown(lesson: dict[str, Any]) -> str:
    """The key points cell at the end of a chapter."""
    return "\n".join(["## Key points", "", *(f"- {point}" for point in lesson["keypoints"])])


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
    client.execute()
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
               "minutes = run seconds / 60 + words / words_per_minute, rounded up",
    }


def minutes(measured: dict[str, Any], part: str) -> int:
    """Minutes for *part* (``teaching`` or ``exercise``) from the measured figures."""
    total = measured[f"{part}_run_seconds"] / 60 + measured[f"{part}_words"] / measured["words_per_minute"]
    return max(1, math.ceil(total))


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def schedule_markdown(notebooks: Sequence[Path]) -> str:
    """The schedule table: each chapter's measured minutes and the running total."""
    import nbformat

    rows = ["| Chapter | Teaching | Exercises | Running total | Measured: run time + words (teaching; exercises) |",
            "|---|---:|---:|---:|---|"]
    total = 0
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        lesson = lesson_of(notebook, path.name)
        total += lesson["teaching"] + lesson["exercises"]
        title = next(cell.source.splitlines()[0].lstrip("# ") for cell in notebook.cells if cell.cell_type == "markdown")
        m = lesson["measured"]
        rows.append(f"| [{title}](../{path.name}) | {lesson['teaching']} min | {lesson['exercises']} min | {total} min "
                    f"| {m['teaching_run_seconds']} s + {m['teaching_words']} words; "
                    f"{m['exercise_run_seconds']} s + {m['exercise_words']} words |")
    return "\n".join(rows)


def chapters(book: Path) -> list[Path]:
    """The chapters that carry lesson metadata, in order."""
    import nbformat

    found = sorted(path for path in book.glob("[0-9][0-9]-*.ipynb"))
    return [path for path in found if "lesson" in nbformat.read(path, as_version=4).metadata]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pinlab.lessons measure|render FILE...`` or ``schedule BOOK_DIR``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in ("measure", "render", "schedule"):
        print("usage: python -m pinlab.lessons measure|render NOTEBOOK... | schedule BOOK_DIR", file=sys.stderr)
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
            lesson["teaching"] = minutes(lesson["measured"], "teaching")
            lesson["exercises"] = minutes(lesson["measured"], "exercise")
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
