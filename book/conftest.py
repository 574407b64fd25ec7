"""pytest over book/: nbval runs the chapters. ``workspace/`` holds the learners' working copies
of toy projects (see pinlab.exercises); their own unit tests are run by the self-checks, in a
sandbox, not by this test run."""

collect_ignore = ["workspace"]

import os

# The kit's own run of the chapters: nbval's kernels inherit this environment, so every
# %%solution cell runs (a learner's Run All skips them) and each exercise starts from a fresh
# copy of the original, whatever book/workspace/ holds (pinlab.exercises).
os.environ["PINLAB_RUN_SOLUTIONS"] = "1"
