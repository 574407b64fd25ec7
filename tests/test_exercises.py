"""The exercises: a learner's working copy, its reset, and each chapter's self-check.

Each check is run as a learner would meet it: untouched (it must say "not yet" with a hint),
with the solution applied (it must pass), and with a broken edit (one line naming the file).
"""

import pytest

from pinlab.exercises import Check, ExerciseError, WorkingCopy, check_loosened_pin
from pinlab.toys import find_toy

PLUGIN = "workspace/toyhost-export-0.3a1"


@pytest.fixture
def plugin(tmp_path):
    """A fresh working copy of toyhost-export 0.3a1 in a workspace of the test's own."""
    return WorkingCopy.of_toy("toyhost-export==0.3a1", workspace=tmp_path / "workspace").reset()


def test_a_working_copy_starts_as_the_original_and_reset_undoes_any_edit(plugin):
    original = find_toy("toyhost-export==0.3a1").source
    assert plugin.path.parent.name == "workspace"
    assert repr(plugin) == f"{PLUGIN}: unchanged"

    plugin.edit('"toyhost==1.0a27"', '"toyhost>=1.0a27"')
    (plugin.path / "notes.txt").write_text("a learner's scribbles")
    assert repr(plugin) == f"{PLUGIN}: edited notes.txt, pyproject.toml"

    plugin.reset()
    assert repr(plugin) == f"{PLUGIN}: unchanged"
    assert plugin.file().read_bytes() == (original / "pyproject.toml").read_bytes()
    assert not (plugin.path / "notes.txt").exists()


def test_the_diff_shows_the_learners_change(plugin):
    plugin.edit('"toyhost==1.0a27"', '"toyhost>=1.0a27"')
    changed = [line for line in plugin.diff().splitlines() if line[:1] in "+-"]
    assert changed == [
        "--- original/pyproject.toml",
        f"+++ {PLUGIN}/pyproject.toml",
        '-dependencies = ["toyhost==1.0a27"]',
        '+dependencies = ["toyhost>=1.0a27"]',
    ]


def test_an_edit_applied_twice_changes_nothing_and_an_inapplicable_one_says_how_to_start_again(plugin):
    plugin.edit('"toyhost==1.0a27"', '"toyhost>=1.0a27"')
    plugin.edit('"toyhost==1.0a27"', '"toyhost>=1.0a27"')
    assert '"toyhost>=1.0a27"' in plugin.file().read_text()
    with pytest.raises(ExerciseError) as caught:
        plugin.edit('"toyhost==9"', '"toyhost>=9"')
    assert str(caught.value) == (f"{PLUGIN}/pyproject.toml: found neither '\"toyhost==9\"' nor '\"toyhost>=9\"'; "
                                 "start again with reset()")


def test_a_check_reads_as_one_friendly_answer():
    assert str(Check(True, "It works.")) == "✔ It works."
    assert str(Check(False, "Not yet.", "try this")) == "✘ Not yet.\n  Hint: try this"
    assert not Check(False, "Not yet.") and Check(True, "It works.")


# -- chapter 1: loosen the pin --------------------------------------------------------------

def test_chapter_1_untouched_copy_is_not_yet_with_a_hint(plugin):
    check = check_loosened_pin(plugin)
    assert not check.passed
    assert check.message == ("pip cannot install your toyhost-export beside toyhost-charts: "
                             "toyhost-export 0.3a1 requires toyhost==1.0a27; toyhost-charts 0.1 requires toyhost>=1.0a28.")
    assert check.hint == ("toyhost==1.0a27 admits only 1.0a27; toyhost-charts needs 1.0a28 or newer. "
                          f"In {PLUGIN}/pyproject.toml, state the oldest host release the plugin needs, "
                          "not the only one it accepts.")
    assert "ResolutionImpossible" in check.details  # pip's own transcript, kept for the curious


def test_chapter_1_solution_passes(plugin):
    plugin.edit('"toyhost==1.0a27"', '"toyhost>=1.0a27"')
    check = check_loosened_pin(plugin)
    assert check.passed, str(check)
    assert check.message == ("Your toyhost-export installs beside toyhost-charts: pip chose toyhost 1.0a28, "
                             "and the plugin's own tests pass.")


def test_chapter_1_invalid_toml_is_one_line_naming_the_file(plugin):
    plugin.edit('"toyhost==1.0a27"]', '"toyhost>=1.0a27"')
    check = check_loosened_pin(plugin)
    assert not check.passed
    assert check.message == f"{PLUGIN}/pyproject.toml: invalid TOML: Unclosed array (at line 12, column 1)"
    assert check.hint == "fix that in the file and save it, or start again with reset()"


def test_chapter_1_a_requirement_that_does_not_parse_is_one_line_naming_the_file(plugin):
    plugin.edit('"toyhost==1.0a27"', '"toyhost=>1.0a27"')
    check = check_loosened_pin(plugin)
    assert not check.passed
    assert check.message == (f"{PLUGIN}/pyproject.toml: invalid requirement 'toyhost=>1.0a27': "
                             "Expected semicolon (after name with no version specifier) or end")


@pytest.mark.parametrize(("edit", "message", "hint"), [
    (('["toyhost==1.0a27"]', "[]"),
     f"{PLUGIN}/pyproject.toml no longer requires toyhost, which the plugin imports.",
     "keep the requirement on toyhost and change only its version specifier"),
    (('"toyhost==1.0a27"', '"toyhost>=1.0a28"'),
     "toyhost>=1.0a28 leaves out toyhost 1.0a27, the release the plugin was written and tested for.",
     "state the oldest release that works as a lower bound"),
])
def test_chapter_1_an_answer_that_installs_for_the_wrong_reason_is_not_accepted(plugin, edit, message, hint):
    plugin.edit(*edit)
    assert check_loosened_pin(plugin) == Check(False, message, hint)


def test_chapter_1_a_deleted_working_copy_is_named(plugin):
    from pinlab.workdir import remove_tree

    remove_tree(plugin.path)
    check = check_loosened_pin(plugin)
    assert check == Check(False, f"{PLUGIN}/pyproject.toml: file not found", "start again with reset()")
