"""pinlab: see for yourself why a library must not pin its dependencies with ``==``.

``pip install pinlab`` gives the two commands, ``pinlab lint`` and ``pinlab explain``; the lab the
chapters use (the names below) needs ``pip install 'pinlab[lab]'``. This package is the chapters'
one import (``from pinlab import Sandbox, toy_index, draw``). Every ``pinlab`` command imports it
too, so the names are imported on first use (PEP 562): the commands stay light, and
``from pinlab import Sandbox`` without the lab says what to install.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .advisories import load_advisories
    from .advisory_service import AdvisoryService
    from .auditing import audit, lock_project, uv_audit
    from .cli import run_pinlab
    from .conflicts import parse_conflict
    from .exercises import (
        WorkingCopy,
        check_admits_the_patch,
        check_both_plugins_install,
        check_caps_with_evidence,
        check_fix_today,
        check_hashed_lock,
        check_honest_lower_bound,
        check_lint_clean,
        check_loosened_pin,
        check_relocked_fix,
        check_repaired_environment,
        relock_copy,
    )
    from .graph import draw
    from .index import LocalIndex, toy_index
    from .lint import check_requirement
    from .npm import (
        NpmProject,
        NpmRegistry,
        check_plugin_range,
        check_scoped_override,
        npm_missing,
        npm_versions,
        publish_toys,
    )
    from .process import Completed
    from .recipe import recipe
    from .sandbox import Outcome, Sandbox
    from .specifiers import table
    from .toys import Toy, ToyError, build_wheel, compare, examples_dir, find_substitute, find_toy, find_toys, load_toy

# Public name -> the module that defines it, and whether it needs the lab extra.
_EXPORTS: dict[str, tuple[str, bool]] = {
    "AdvisoryService": ("advisory_service", True),
    "Completed": ("process", False),
    "LocalIndex": ("index", True),
    "NpmProject": ("npm", True),
    "NpmRegistry": ("npm", True),
    "Outcome": ("sandbox", True),
    "Sandbox": ("sandbox", True),
    "Toy": ("toys", True),
    "ToyError": ("toys", True),
    "WorkingCopy": ("exercises", True),
    "audit": ("auditing", True),
    "build_wheel": ("toys", True),
    "check_admits_the_patch": ("exercises", True),
    "check_both_plugins_install": ("exercises", True),
    "check_caps_with_evidence": ("exercises", True),
    "check_fix_today": ("exercises", True),
    "check_hashed_lock": ("exercises", True),
    "check_honest_lower_bound": ("exercises", True),
    "check_lint_clean": ("exercises", True),
    "check_loosened_pin": ("exercises", True),
    "check_plugin_range": ("npm", True),
    "check_relocked_fix": ("exercises", True),
    "check_repaired_environment": ("exercises", True),
    "check_requirement": ("lint", False),
    "check_scoped_override": ("npm", True),
    "compare": ("toys", True),
    "draw": ("graph", True),
    "examples_dir": ("toys", True),
    "find_substitute": ("toys", True),
    "find_toy": ("toys", True),
    "find_toys": ("toys", True),
    "load_advisories": ("advisories", False),
    "load_toy": ("toys", True),
    "lock_project": ("auditing", True),
    "npm_missing": ("npm", True),
    "npm_versions": ("npm", True),
    "parse_conflict": ("conflicts", False),
    "publish_toys": ("npm", True),
    "recipe": ("recipe", True),
    "relock_copy": ("exercises", True),
    "run_pinlab": ("cli", False),
    "table": ("specifiers", True),
    "toy_index": ("index", True),
    "uv_audit": ("auditing", True),
}

# Spelled out for type checkers and linters; a test keeps it equal to _EXPORTS.
__all__ = [
    "AdvisoryService", "Completed", "LocalIndex", "NpmProject", "NpmRegistry", "Outcome", "Sandbox", "Toy",
    "ToyError", "WorkingCopy", "audit", "build_wheel", "check_admits_the_patch", "check_both_plugins_install",
    "check_caps_with_evidence", "check_fix_today", "check_hashed_lock", "check_honest_lower_bound",
    "check_lint_clean", "check_loosened_pin", "check_plugin_range", "check_relocked_fix",
    "check_repaired_environment", "check_requirement", "check_scoped_override", "compare", "draw", "examples_dir",
    "find_substitute", "find_toy", "find_toys", "load_advisories", "load_toy", "lock_project", "npm_missing",
    "npm_versions", "parse_conflict", "publish_toys", "recipe", "relock_copy", "run_pinlab", "table", "toy_index",
    "uv_audit",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, needs_lab = _EXPORTS[name]
    if needs_lab:
        from .extras import require_lab

        require_lab(f"pinlab.{name}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
