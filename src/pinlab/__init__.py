"""pinlab: see for yourself why a library must not pin its dependencies with ``==``."""

from .index import LocalIndex, toy_index
from .process import Completed
from .sandbox import Outcome, Sandbox
from .toys import Toy, ToyError, find_toys

__all__ = ["Completed", "LocalIndex", "Outcome", "Sandbox", "Toy", "ToyError", "find_toys", "toy_index"]
