"""pytest over book/: nbval runs the chapters. ``workspace/`` holds the learners' working copies
of toy projects (see pinlab.exercises); their own unit tests are run by the self-checks, in a
sandbox, not by this test run."""

collect_ignore = ["workspace"]
