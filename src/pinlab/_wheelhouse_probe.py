# ruff: noqa: UP006, UP035  (written for any Python 3.8+ a maintainer names: typing.Dict, typing.List)
"""Run inside another interpreter for :mod:`pinlab.wheelhouse`: what it is, or what it has installed, as JSON.

``python -I path/to/_wheelhouse_probe.py interpreter`` prints
``[implementation, version, sys.platform, base executable]``: which laptop that Python stands
for, and which base interpreter it is (a pyenv shim and the Python it runs are one).
``python -I path/to/_wheelhouse_probe.py distributions`` prints ``{name: version}`` of every
installed distribution: what the participant's command installed into a fresh venv.

The interpreter may be any Python 3.8+ (one a maintainer names with ``--prove-with``, or a
venv with only the wheelhouse's packages), so this file uses the standard library alone.
``-I`` keeps this file's folder (pinlab's own) off ``sys.path``. It is maintainer tooling,
left out of the published wheel with ``wheelhouse.py``.
"""

import json
import platform
import sys
from typing import Dict, List


def interpreter() -> List[str]:
    base = getattr(sys, "_base_executable", sys.executable)
    return [platform.python_implementation(), platform.python_version(), sys.platform, base]


def distributions() -> Dict[str, str]:
    import importlib.metadata  # here: a Python 3.7 can still say what it is

    return {dist.metadata["Name"]: dist.version for dist in importlib.metadata.distributions()}


def main(argv: List[str]) -> int:
    questions = {"interpreter": interpreter, "distributions": distributions}
    if len(argv) != 1 or argv[0] not in questions:
        print("usage: _wheelhouse_probe.py interpreter|distributions", file=sys.stderr)
        return 2
    print(json.dumps(questions[argv[0]]()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
