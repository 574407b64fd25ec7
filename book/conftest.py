"""pytest over book/: nbval runs the chapters. ``workspace/`` holds the learners' working copies
of toy projects (see pinlab.exercises); their own unit tests are run by the self-checks, in a
sandbox, not by this test run."""

import os

import pytest

collect_ignore = ["workspace"]

# The kit's own run of the chapters: nbval's kernels inherit this environment, so every
# %%solution cell runs (a learner's Run All skips them) and each exercise starts from a fresh
# copy of the original, whatever book/workspace/ holds (pinlab.exercises).
os.environ["PINLAB_RUN_SOLUTIONS"] = "1"



# Test files kept whole on one worker too: the browser tests share one Chromium and one loaded page
# per chapter and width; split, each worker would launch its own and load most pages again.
_KEPT_WHOLE = {"tests/test_guide_in_browser.py"}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which a plain pytest run lacks
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``-n N --dist load``: the tests are shared out one by one (a file of slow tests no longer
    holds one worker while the other idles), but a chapter's cells share one kernel, in order, so
    each notebook goes whole to one worker. (xdist's own ``loadgroup`` cannot group them here:
    on pytest 9.2 it silently stops grouping, pytest-dev/pytest-xdist#1386.)"""
    if config.getvalue("dist") != "load":
        return None  # another --dist: xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling

    class NotebooksWhole(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path, _, _ = nodeid.partition("::")
            return path if path.endswith(".ipynb") or path in _KEPT_WHOLE else nodeid

    return NotebooksWhole(config, log)
