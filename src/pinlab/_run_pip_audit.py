"""Run inside a sandbox's interpreter: the kit's own pip-audit, as if it were installed in the sandbox.

:func:`pinlab.auditing.audit` runs this file as a script with the sandbox's interpreter::

    python -I path/to/_run_pip_audit.py '["<kit site-packages>", ...]' <pip-audit's options>

The first argument, a JSON list, names the folders that hold the kit's pip-audit and its
dependencies: they go in front of ``sys.path`` of this one process (not in ``PYTHONPATH``, which
pip's subprocesses would inherit), so that ``sys.executable``, which pip-audit lists and fixes
with, is the sandbox's Python. ``-I`` keeps this file's folder (pinlab's own) off ``sys.path``.
Sandboxes are made from the kit's own interpreter, so the kit's packages work in them.
"""

from __future__ import annotations

import json
import runpy
import sys


def main() -> None:
    folders = json.loads(sys.argv.pop(1))  # what is left is pip-audit's command line
    sys.path[:0] = folders
    runpy.run_module("pip_audit", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
