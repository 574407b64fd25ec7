"""Lesson metadata: complete for each chapter, shown on its page, measured, and in the schedule."""

from pathlib import Path

import nbformat
import pytest

from pinlab import lessons
from pinlab.lessons import LessonError, chapters, lesson_of, measure, minutes, render, schedule_markdown

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = chapters(BOOK)


def test_chapter_one_is_a_lesson():
    assert "01-the-conflict.ipynb" in [path.name for path in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_each_lesson_is_complete_measured_and_shown_on_its_page(path):
    notebook = nbformat.read(path, as_version=4)
    lesson = lesson_of(notebook, path.name)
    assert render(notebook, path.name) is False, "the overview or key points cell differs from the metadata: " \
        f"run python -m pinlab.lessons render {path.relative_to(BOOK.parent)}"
    assert lesson["teaching"] == minutes(lesson["measured"], "teaching")
    assert lesson["exercises"] == minutes(lesson["measured"], "exercise")
    assert any("exercise" in cell.metadata.get("tags", []) for cell in notebook.cells if cell.cell_type == "code")


def test_the_schedule_page_shows_the_measured_minutes():
    page = (BOOK / "workshop" / "schedule.md").read_text(encoding="utf-8")
    assert schedule_markdown(CHAPTERS) in page


def _notebook(tmp_path, cells, lesson=None):
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if lesson is not None:
        notebook.metadata["lesson"] = lesson
    path = tmp_path / "01-tiny.ipynb"
    nbformat.write(notebook, path)
    return path


LESSON = {"questions": ["Why?"], "objectives": ["See it."], "keypoints": ["It is so."]}


def test_measure_times_the_cells_and_counts_the_words(tmp_path):
    path = _notebook(tmp_path, [
        nbformat.v4.new_markdown_cell("Five words to read here."),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_markdown_cell("An exercise of seven words here.", metadata={"tags": ["exercise"]}),
        nbformat.v4.new_code_cell("import time; time.sleep(0.5)", metadata={"tags": ["exercise"]}),
    ], LESSON)
    measured = measure(path)
    assert (measured["teaching_words"], measured["exercise_words"]) == (5 + 3, 6 + 4)
    assert measured["exercise_run_seconds"] >= 0.5 > measured["teaching_run_seconds"]
    assert minutes(measured, "exercise") == 1


def test_render_writes_both_cells_from_the_metadata(tmp_path):
    path = _notebook(tmp_path, [
        nbformat.v4.new_markdown_cell("# 1. Tiny"),
        nbformat.v4.new_markdown_cell("old", metadata={"tags": ["lesson-overview"]}),
        nbformat.v4.new_markdown_cell("old", metadata={"tags": ["lesson-keypoints"]}),
    ], {**LESSON, "teaching": 3, "exercises": 2})
    assert lessons.main(["render", str(path)]) == 0
    cells = nbformat.read(path, as_version=4).cells
    assert cells[1].source == ("> **Questions**\n>\n> - Why?\n>\n> **Objectives**\n>\n> - See it.\n>\n"
                               "> **Time:** 3 min teaching, 2 min exercises (measured by running the chapter; "
                               "see the [schedule](workshop/schedule.md))")
    assert cells[2].source == "## Key points\n\n- It is so."


def test_missing_metadata_is_one_line_and_exit_2(tmp_path, capsys):
    path = _notebook(tmp_path, [nbformat.v4.new_markdown_cell("# 1. Tiny")])
    assert lessons.main(["render", str(path)]) == 2
    assert capsys.readouterr().err == "lessons: 01-tiny.ipynb: no 'lesson' in the notebook metadata\n"
    with pytest.raises(LessonError, match=r"^x: lesson 'keypoints' must be a non-empty list of sentences$"):
        lesson_of(nbformat.v4.new_notebook(metadata={"lesson": {**LESSON, "keypoints": []}}), "x")
