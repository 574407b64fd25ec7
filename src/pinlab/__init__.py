"""pinlab: see for yourself why a library must not pin its dependencies with ``==``.

``pip install pinlab`` gives the two commands, ``pinlab lint`` and ``pinlab explain``; the lab the
chapters use (the names below) needs ``pip install 'pinlab[lab]'``. Every ``pinlab`` command
imports this package, so the names are imported on first use (PEP 562): the commands stay light,
and ``from pinlab import Sandbox`` without the lab says what to install.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .advisories import load_advisories
    from .advisory_service import AdvisoryService
    from .auditing import audit, uv_audit
    from .index import LocalIndex, toy_index
    from .process import Completed
    from .sandbox import Outcome, Sandbox
    from .toys import Toy, ToyError, find_toys

# Public name -> the module that defines it, and whether it needs the lab extra.
_EXPORTS: dict[str, tuple[str, bool]] = {
    "AdvisoryService": ("advisory_service", True),
    "Completed": ("process", False),
    "LocalIndex": ("index", True),
    "Outcome": ("sandbox", True),
    "Sandbox": ("sandbox", True),
    "Toy": ("toys", True),
    "ToyError": ("toys", True),
    "audit": ("auditing", True),
    "find_toys": ("toys", True),
    "load_advisories": ("advisories", False),
    "toy_index": ("index", True),
    "uv_audit": ("auditing", True),
}

__all__ = [
    "AdvisoryService", "Completed", "LocalIndex", "Outcome", "Sandbox", "Toy", "ToyError", "audit", "find_toys",
    "load_advisories", "toy_index", "uv_audit",
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
