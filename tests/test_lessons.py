"""Lesson metadata: complete for each chapter, shown on its page, measured, and in the schedule."""

import importlib.metadata
import platform
from pathlib import Path

import nbformat
import pytest

from pinlab import lessons
from pinlab.lessons import (
    MINUTES_PER_EXERCISE,
    WORDS_PER_MINUTE,
    LessonError,
    chapters,
    exercise_count,
    lesson_of,
    measure,
    minutes,
    render,
    schedule_markdown,
    tool_versions,
)
from pinlab.npm import npm_missing

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
    assert exercise_count(notebook) >= 1
    assert lesson["exercises"] == exercise_count(notebook) * MINUTES_PER_EXERCISE, \
        f"run python -m pinlab.lessons render {path.relative_to(BOOK.parent)}"
    assert any("exercise" in cell.metadata.get("tags", []) for cell in notebook.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_each_chapter_states_the_tool_versions_of_its_outputs(path):
    """The versions on the page are the ones this environment (uv.lock) runs, except Python's:
    CI checks the same committed outputs on 3.10 and 3.13, so it is the refresh's Python, unchecked."""
    notebook = nbformat.read(path, as_version=4)
    recorded = dict(lesson_of(notebook, path.name)["tools"])
    overview = next(cell.source for cell in notebook.cells if "lesson-overview" in cell.metadata.get("tags", []))
    assert f"> **Outputs made with:** Python {recorded['Python']}, pip {recorded['pip']}, uv {recorded['uv']}, " \
           f"pip-audit {recorded['pip-audit']}" in overview
    missing = npm_missing()
    if "node" in recorded and missing is not None:
        pytest.skip(missing)
    here = tool_versions(notebook)
    del recorded["Python"], here["Python"]
    assert recorded == here, f"the tools changed since the chapter was refreshed: nox -s refresh -- {path.name}"


def test_only_the_npm_chapter_names_node_and_npm():
    named = {path.name for path in CHAPTERS if "npm" in lesson_of(nbformat.read(path, as_version=4))["tools"]}
    assert named == {"06-the-same-trap-in-npm.ipynb"}


def test_the_schedule_page_shows_the_minutes_and_says_which_are_estimates():
    page = (BOOK / "workshop" / "schedule.md").read_text(encoding="utf-8")
    assert schedule_markdown(CHAPTERS) in page
    assert f"aloud at {WORDS_PER_MINUTE} words a minute" in page
    assert f"**Each exercise is given {MINUTES_PER_EXERCISE} minutes**" in page
    assert "measured, not guessed" not in page


def test_the_schedule_packs_whole_chapters_into_sessions_that_leave_room(tmp_path):
    def chapter(number, teaching):
        cells = [nbformat.v4.new_markdown_cell(f"# {number}. Chapter"),
                 nbformat.v4.new_markdown_cell("## Exercise: one", metadata={"tags": ["exercise"]}),
                 nbformat.v4.new_markdown_cell("### Exercise: two", metadata={"tags": ["exercise"]}),
                 nbformat.v4.new_markdown_cell("## Not an exercise heading", metadata={"tags": ["exercise"]})]
        measured = {"teaching_run_seconds": 1.0, "exercise_run_seconds": 2.0, "teaching_words": 10,
                    "exercise_words": 20, "words_per_minute": WORDS_PER_MINUTE}
        notebook = nbformat.v4.new_notebook(cells=cells, metadata={"lesson": {
            **LESSON, "teaching": teaching, "exercises": 2 * MINUTES_PER_EXERCISE, "measured": measured}})
        assert exercise_count(notebook) == 2
        path = tmp_path / f"0{number}-x.ipynb"
        nbformat.write(notebook, path)
        return path

    table = schedule_markdown([chapter(1, 30), chapter(2, 10), chapter(3, 40)])
    assert "| [1. Chapter](../01-x.ipynb) | 30 min | 16 min (2 × 8) | 46 min | 1.0 s; 2.0 s | 10; 20 |" in table
    assert table.endswith("| 1 | 1 | 46 min | 44 min |\n| 2 | 2 | 26 min | 64 min |\n| 3 | 3 | 56 min | 34 min |")


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
    ], {**LESSON, "teaching": 3, "exercises": 8,
        "tools": {"uv": "0.13.9", "pip": "26.3", "Python": "3.11.7", "pip-audit": "2.10.1"}})
    assert lessons.main(["render", str(path)]) == 0
    cells = nbformat.read(path, as_version=4).cells
    assert cells[1].source == ("> **Questions**\n>\n> - Why?\n>\n> **Objectives**\n>\n> - See it.\n>\n"
                               "> **Time (estimated):** 3 min teaching, 8 min exercises (see the "
                               "[schedule](workshop/schedule.md) for what is measured and what is assumed)\n>\n"
                               "> **Outputs made with:** Python 3.11.7, pip 26.3, uv 0.13.9, pip-audit 2.10.1, "
                               "when the chapter was last refreshed. Other versions may word their messages differently.")
    assert cells[2].source == "## Key points\n\n- It is so."


def test_missing_metadata_is_one_line_and_exit_2(tmp_path, capsys):
    path = _notebook(tmp_path, [nbformat.v4.new_markdown_cell("# 1. Tiny")])
    assert lessons.main(["render", str(path)]) == 2
    assert capsys.readouterr().err == "lessons: 01-tiny.ipynb: no 'lesson' in the notebook metadata\n"
    with pytest.raises(LessonError, match=r"^x: lesson 'keypoints' must be a non-empty list of sentences$"):
        lesson_of(nbformat.v4.new_notebook(metadata={"lesson": {**LESSON, "keypoints": []}}), "x")


def test_the_tools_command_records_the_versions_that_run_here(tmp_path):
    path = _notebook(tmp_path, [
        nbformat.v4.new_markdown_cell("# 1. Tiny"),
        nbformat.v4.new_markdown_cell("old", metadata={"tags": ["lesson-overview"]}),
        nbformat.v4.new_markdown_cell("old", metadata={"tags": ["lesson-keypoints"]}),
    ], LESSON)
    assert lessons.main(["tools", str(path)]) == 0
    notebook = nbformat.read(path, as_version=4)
    tools = notebook.metadata["lesson"]["tools"]
    assert list(tools) == ["Python", "pip", "pip-audit", "uv"]  # no npm: the notebook does not run it (no NpmRegistry)
    assert tools["Python"] == platform.python_version()
    assert tools["pip-audit"] == importlib.metadata.version("pip-audit")
    assert tools["uv"] == importlib.metadata.version("uv")  # the uv binary the sandboxes run, from the uv package
    assert f"pip {tools['pip']}, uv {tools['uv']}" in notebook.cells[1].source


def test_a_refresh_records_the_tools_and_shows_them_in_the_overview(tmp_path):
    from pinlab.notebooks import refresh

    path = _notebook(tmp_path, [
        nbformat.v4.new_markdown_cell("# 1. Tiny"),
        nbformat.v4.new_markdown_cell("old", metadata={"tags": ["lesson-overview"]}),
        nbformat.v4.new_code_cell("print('hello')"),
        nbformat.v4.new_markdown_cell("old", metadata={"tags": ["lesson-keypoints"]}),
    ], {**LESSON, "tools": {"pip": "1.0"}})
    refresh(path)
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["lesson"]["tools"]["pip-audit"] == importlib.metadata.version("pip-audit")
    assert notebook.cells[1].source.endswith(f"pip-audit {importlib.metadata.version('pip-audit')}, when the chapter "
                                             "was last refreshed. Other versions may word their messages differently.")
    assert notebook.cells[2].outputs[0]["text"] == "hello\n"
