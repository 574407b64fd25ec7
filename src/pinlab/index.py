"""The local package index the sandboxes install from: a folder of wheels, nothing online.

pip reads it with ``--no-index --find-links``, uv with ``--offline --no-index --find-links``.
Each index is a throwaway folder, so a chapter can add a patched fork or a substituted wheel
to its own index without touching anyone else's.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterable

from packaging.utils import canonicalize_name, parse_wheel_filename

from .toys import Toy, build_wheel, find_toys
from .workdir import ThrowawayDir


class LocalIndex(ThrowawayDir):
    """A folder of wheels in the temp directory; removed on ``close()`` or leaving ``with``."""

    def __init__(self, wheels: Iterable[Path] = ()) -> None:
        super().__init__("index")
        for wheel in wheels:
            self.add(wheel)

    def add(self, wheel: Path) -> Path:
        """Copy *wheel* into the index (replacing a file of the same name) and return its path."""
        target = self.path / Path(wheel).name
        shutil.copyfile(wheel, target)
        return target

    def remove(self, project: str) -> None:
        """Remove every release of *project* from the index."""
        for wheel in self.wheels():
            if parse_wheel_filename(wheel.name)[0] == canonicalize_name(project):
                wheel.unlink()

    def wheels(self) -> list[Path]:
        return sorted(self.path.glob("*.whl"))

    def releases(self) -> list[str]:
        """``name version`` of every wheel, the way a reader would list them."""
        lines = []
        for wheel in self.wheels():
            name, version, _build, _tags = parse_wheel_filename(wheel.name)
            lines.append(f"{name} {version}")
        return lines

    def __repr__(self) -> str:
        return "LocalIndex with " + (", ".join(self.releases()) or "no wheels")


def toy_index(*keys: str, examples: Path | None = None) -> LocalIndex:
    """An index of toy wheels: the releases named by *keys* (``'toyhost==1.0a27'`` or a bare
    project name for all its releases), or every toy when none is named."""
    toys = find_toys(examples)
    chosen = [toy for toy in toys if not keys or _matches(toy, keys)]
    missing = [key for key in keys if not any(_matches(toy, [key]) for toy in toys)]
    if missing:
        raise ValueError(f"no toy release matches {', '.join(map(repr, missing))}")
    return LocalIndex(build_wheel(toy) for toy in chosen)


def _matches(toy: Toy, keys: Iterable[str]) -> bool:
    for key in keys:
        name, _, version = key.partition("==")
        if canonicalize_name(name) == canonicalize_name(toy.name) and (
            not version or str(toy.version) == str(type(toy.version)(version))
        ):
            return True
    return False
