"""The local package index the sandboxes install from: a folder of wheels, nothing online.

pip reads it with ``--no-index --find-links``, uv with ``--offline --no-index --find-links``.
Each index is a throwaway folder, so a chapter can add a patched fork or a substituted wheel
to its own index without touching anyone else's.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from .process import Placeholders
from .toys import Toy, build_wheel, find_toys
from .workdir import ThrowawayDir


class LocalIndex(ThrowawayDir):
    """A folder of wheels in the temp directory; removed on ``close()`` or leaving ``with``."""

    def __init__(self, wheels: Iterable[Path] = ()) -> None:
        super().__init__("index")
        # sha256 -> how outputs name it. Toy wheels are built on the reader's machine, so their
        # hashes differ between machines (line endings of a checkout, the backend's version);
        # outputs name them instead, the way machine paths become <index>.
        self._hash_names: dict[str, str] = {}
        for wheel in wheels:
            self.add(wheel)

    def add(self, wheel: Path) -> Path:
        """Copy *wheel* into the index (replacing a file of the same name) and return its path."""
        target = self.path / Path(wheel).name
        shutil.copyfile(wheel, target)
        self._hash_names.setdefault(sha256(target), f"<hash of {target.name}>")
        return target

    def substitute(self, wheel: Path) -> Path:
        """Replace the wheel of the same file name with *wheel*: same project and version, other
        content, as someone who controls an index or a mirror could do. Returns its path."""
        target = self.path / Path(wheel).name
        if not target.is_file():
            raise ValueError(f"cannot substitute {target.name}: the index has no wheel of that name")
        digest = sha256(Path(wheel))
        if digest == sha256(target):
            raise ValueError(f"cannot substitute {target.name}: {wheel} has the same content")
        shutil.copyfile(wheel, target)
        self._hash_names.setdefault(digest, f"<hash of substituted {target.name}>")
        return target

    def digest(self, filename: str) -> str:
        """The sha256 of the wheel *filename* in the index, as lock files record it."""
        target = self.path / filename
        if not target.is_file():
            raise ValueError(f"no wheel {filename!r} in the index")
        return sha256(target)

    @property
    def placeholders(self) -> Placeholders:
        """The names outputs use for this index's path and for the hashes of its wheels."""
        return Placeholders(self.shown_as("<index>"), dict(self._hash_names))

    def remove(self, project: str) -> None:
        """Remove every release of *project* from the index."""
        for wheel in self.wheels():
            if parse_wheel_filename(wheel.name)[0] == canonicalize_name(project):
                wheel.unlink()

    def wheels(self) -> list[Path]:
        return sorted(self.path.glob("*.whl"))

    def versions(self, project: str) -> list[Version]:
        """The versions of *project* in the index, oldest first."""
        found = [parse_wheel_filename(wheel.name) for wheel in self.wheels()]
        return sorted({version for name, version, _build, _tags in found if name == canonicalize_name(project)})

    def releases(self) -> list[str]:
        """``name version`` of every wheel, the way a reader would list them."""
        lines = []
        for wheel in self.wheels():
            name, version, _build, _tags = parse_wheel_filename(wheel.name)
            lines.append(f"{name} {version}")
        return lines

    def __repr__(self) -> str:
        return "LocalIndex with " + (", ".join(self.releases()) or "no wheels")


def sha256(path: Path) -> str:
    """The hex sha256 of a file, the digest pip's and uv's ``--hash=sha256:...`` record."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
