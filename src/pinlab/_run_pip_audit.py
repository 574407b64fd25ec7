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

import importlib.metadata
import json
import os
import runpy
import sys
import types


def main() -> None:
    folders = json.loads(sys.argv.pop(1))  # what is left is pip-audit's command line
    _tell_pip_api_which_pip()  # before the kit's folders, which hold the kit's own pip, come first
    sys.path[:0] = folders
    runpy.run_module("pip_audit", run_name="__main__", alter_sys=True)


def _tell_pip_api_which_pip() -> None:
    """pip-api (pip-audit's way to run pip) asks ``python -m pip --version`` as it is imported,
    to learn the version of the pip it will run: a second pip start, about a third of an audit
    (0.3-0.5 s). That pip is this interpreter's (``sys.executable -m pip``, since pinlab sets no
    ``PIPAPI_PYTHON_LOCATION`` but for the trap of :func:`pinlab.auditing.audit`'s *runner*), so
    its version is read here from this interpreter's own metadata, and pip-api's ``version()``
    answers it. Where pip-api is asked about another interpreter, it asks that one, as before."""
    if "PIPAPI_PYTHON_LOCATION" in os.environ:
        return
    try:
        pip_version = importlib.metadata.version("pip")
    except importlib.metadata.PackageNotFoundError:
        return  # no pip here: let pip-api say so in its own words
    known = types.ModuleType("pip_api._version")
    known.version = lambda: pip_version  # type: ignore[attr-defined]  # pip_api/__init__.py: PIP_VERSION = parse(version())
    sys.modules["pip_api._version"] = known


if __name__ == "__main__":
    main()
