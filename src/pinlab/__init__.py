"""pinlab: see for yourself why a library must not pin its dependencies with ``==``."""

from .advisories import load_advisories
from .advisory_service import AdvisoryService
from .auditing import audit
from .index import LocalIndex, toy_index
from .process import Completed
from .sandbox import Outcome, Sandbox
from .toys import Toy, ToyError, find_toys

__all__ = [
    "AdvisoryService", "Completed", "LocalIndex", "Outcome", "Sandbox", "Toy", "ToyError", "audit", "find_toys",
    "load_advisories", "toy_index",
]
