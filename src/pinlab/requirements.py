"""Where a project's requirements are declared: a pyproject.toml, a wheel, an sdist, an installed copy.

Each input becomes one :class:`Source`: the requirements it declares, each with the place it was
declared (``dependencies``, an extra, a dependency group). Metadata files (a wheel's ``METADATA``,
an sdist's ``PKG-INFO``, an installed distribution's ``METADATA``) are read with
``packaging.metadata``; ``pyproject.toml`` with ``tomllib`` and PEP 735 groups with
``dependency-groups``. An input that cannot be read raises :class:`UnusableInput`, whose message
is one line naming the input and what is wrong with it.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from packaging.markers import Marker
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class UnusableInput(ValueError):
    """An input cannot be read; the message names it and says what is wrong, in one line."""


@dataclass(frozen=True)
class Declared:
    """One requirement, as its project declares it."""

    requirement: Requirement
    """The parsed requirement (name, specifier, extras, marker)."""
    written: str
    """The requirement as written in the file."""
    where: str
    """Where it is declared: ``dependencies``, ``extra 'docs'`` or ``dependency group 'test'``."""
    published: bool = True
    """False for a dependency group: it is not part of the published metadata, so users never see it."""


@dataclass(frozen=True)
class Source:
    """One input and the requirements it declares."""

    label: str
    """The input as a reader would name it: the path given (forward slashes), or ``installed NAME``."""
    kind: str
    """``pyproject``, ``wheel``, ``sdist`` or ``installed``."""
    project: str
    """The declaring project's name, as written in its metadata."""
    version: str | None
    """Its version (None for a pyproject.toml whose version is dynamic)."""
    declared: tuple[Declared, ...]
    """Every requirement, in the order declared."""
    notes: tuple[str, ...] = ()
    """What could not be checked and why (e.g. dependencies computed at build time)."""


def read_source(path: str | Path) -> Source:
    """Read the requirements of a pyproject.toml, a folder holding one, a wheel or an sdist."""
    path = Path(path)
    label = path.as_posix()
    if path.is_dir():
        path = path / "pyproject.toml"
        label = path.as_posix()
    if not path.exists():
        raise UnusableInput(f"{label}: no such file")
    name = path.name.lower()
    if name.endswith(".whl"):
        return read_wheel(path, label)
    if name.endswith((".tar.gz", ".zip")):
        return read_sdist(path, label)
    if name.endswith(".toml"):
        return read_pyproject(path, label)
    raise UnusableInput(f"{label}: not a pyproject.toml, a folder holding one, a wheel (.whl) or an sdist (.tar.gz)")


# -- pyproject.toml -------------------------------------------------------------------------------

def read_pyproject(path: Path, label: str | None = None) -> Source:
    """``[project]`` dependencies and optional-dependencies, and ``[dependency-groups]``."""
    label = label or path.as_posix()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UnusableInput(f"{label}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnusableInput(f"{label}: cannot be read: {exc}") from None
    project = data.get("project")
    if not isinstance(project, dict):
        raise UnusableInput(f"{label}: no [project] table, so nothing here is published metadata")
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise UnusableInput(f"{label}: [project] has no name")
    dynamic = project.get("dynamic", [])
    version = project.get("version") if isinstance(project.get("version"), str) else None

    declared: list[Declared] = []
    declared += _parse_list(project.get("dependencies", []), label, "dependencies", "[project] dependencies")
    extras = project.get("optional-dependencies", {})
    if not isinstance(extras, dict):
        raise UnusableInput(f"{label}: [project.optional-dependencies] must be a table")
    for extra, items in extras.items():
        declared += _parse_list(items, label, f"extra '{extra}'", f"[project.optional-dependencies] {extra}")
    declared += _dependency_groups(data.get("dependency-groups", {}), label)

    notes = tuple(
        f"{key} are dynamic (computed when the project is built): lint the built wheel to check them"
        for key in ("dependencies", "optional-dependencies") if key in dynamic
    )
    return Source(label, "pyproject", name, version, tuple(declared), notes)


def _parse_list(items: object, label: str, where: str, key: str, published: bool = True) -> list[Declared]:
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise UnusableInput(f"{label}: {key} must be a list of strings")
    return [Declared(_requirement(item, label, key), item, where, published) for item in items]


def _dependency_groups(groups: object, label: str) -> list[Declared]:
    """PEP 735 groups. Each requirement is reported in the group that writes it; included groups
    are checked (existence, cycles) by ``dependency-groups`` but not repeated."""
    from dependency_groups import DependencyGroupResolver

    if not isinstance(groups, dict):
        raise UnusableInput(f"{label}: [dependency-groups] must be a table")
    declared: list[Declared] = []
    for group, items in groups.items():
        if not isinstance(items, list):
            raise UnusableInput(f"{label}: [dependency-groups] {group} must be a list")
        strings = [item for item in items if isinstance(item, str)]
        declared += _parse_list(strings, label, f"dependency group '{group}'", f"[dependency-groups] {group}",
                                published=False)
    resolver = DependencyGroupResolver(groups)
    for group in groups:
        try:
            resolver.resolve(group)
        except (ValueError, TypeError, LookupError) as exc:  # CyclicDependencyError is a ValueError
            raise UnusableInput(f"{label}: [dependency-groups] {group}: {_first_line(exc)}") from None
    return declared


# -- built distributions and installed ones ------------------------------------------------------

def read_wheel(path: Path, label: str | None = None) -> Source:
    """The ``Requires-Dist`` of a wheel's ``*.dist-info/METADATA``."""
    label = label or path.as_posix()
    if not zipfile.is_zipfile(path):
        raise UnusableInput(f"{label}: not a wheel (not a zip archive)")
    with zipfile.ZipFile(path) as archive:
        # METADATA sits in the one top-level .dist-info folder (the binary distribution format spec).
        found = [name for name in archive.namelist()
                 if len(PurePosixPath(name).parts) == 2 and PurePosixPath(name).parent.suffix == ".dist-info"
                 and PurePosixPath(name).name == "METADATA"]
        if len(found) != 1:
            what = "no" if not found else "more than one"
            raise UnusableInput(f"{label}: not a wheel ({what} .dist-info/METADATA inside)")
        text = archive.read(found[0]).decode("utf-8", errors="replace")
    return from_metadata(text, label, "wheel")


def read_sdist(path: Path, label: str | None = None) -> Source:
    """The ``Requires-Dist`` of an sdist's top-level ``PKG-INFO`` (.tar.gz, or a legacy .zip)."""
    label = label or path.as_posix()
    text = _pkg_info_from_tar(path, label) if path.name.lower().endswith(".tar.gz") else _pkg_info_from_zip(path, label)
    return from_metadata(text, label, "sdist")


def _pkg_info_from_tar(path: Path, label: str) -> str:
    try:
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                if _is_top_pkg_info(member.name) and member.isfile():
                    handle = archive.extractfile(member)
                    if handle is not None:
                        return handle.read().decode("utf-8", errors="replace")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnusableInput(f"{label}: not an sdist (not a gzipped tar archive: {_first_line(exc)})") from None
    raise UnusableInput(f"{label}: not an sdist (no PKG-INFO in its top folder)")


def _pkg_info_from_zip(path: Path, label: str) -> str:
    if not zipfile.is_zipfile(path):
        raise UnusableInput(f"{label}: not an sdist (not a zip archive)")
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if _is_top_pkg_info(name):
                return archive.read(name).decode("utf-8", errors="replace")
    raise UnusableInput(f"{label}: not a wheel or an sdist (no PKG-INFO in its top folder)")


def _is_top_pkg_info(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return len(parts) == 2 and parts[1] == "PKG-INFO"


def from_metadata(text: str, label: str, kind: str) -> Source:
    """A Source from core metadata text (METADATA or PKG-INFO), parsed by ``packaging.metadata``."""
    raw, _unparsed = parse_email(text)
    name = raw.get("name")
    if not name:
        raise UnusableInput(f"{label}: its metadata has no Name")
    source = from_requires_dist(name, raw.get("version"), raw.get("requires_dist", []), label, kind)
    if "requires-dist" in {field.lower() for field in raw.get("dynamic", [])}:
        note = "Requires-Dist is dynamic (computed when the project is built): lint the built wheel"
        source = replace(source, notes=(*source.notes, note))
    return source


def from_requires_dist(name: str, version: str | None, requires_dist: list[str], label: str, kind: str) -> Source:
    """A Source from ``Requires-Dist`` values, where an extra is part of each one's marker."""
    declared = []
    for written in requires_dist:
        requirement = _requirement(written, label, "Requires-Dist")
        declared.append(Declared(requirement, written, _place(requirement.marker)))
    return Source(label, kind, name, version, tuple(declared))


def _place(marker: Marker | None) -> str:
    """``dependencies``, or ``extra 'NAME'`` when the marker gates the requirement on an extra."""
    return ", ".join(f"extra '{extra}'" for extra in sorted(extras_of(marker))) or "dependencies"


def extras_of(marker: Marker | None) -> set[str]:
    """The extras a marker gates on: ``{'docs'}`` for ``extra == "docs" and python_version < "3.12"``."""
    return _extras_in(marker._markers) if marker is not None else set()


def _extras_in(tree: object) -> set[str]:
    # packaging parses a marker but has no public API for "which extra gates this requirement",
    # so walk its parsed tree: nested lists of (Variable, Op, Value) tuples joined by "and"/"or".
    found: set[str] = set()
    if isinstance(tree, list):
        for item in tree:
            found |= _extras_in(item)
    elif isinstance(tree, tuple) and len(tree) == 3:
        left, op, right = tree
        names = {type(left).__name__: left.value, type(right).__name__: right.value}
        if op.value == "==" and names.get("Variable") == "extra" and "Value" in names:
            found.add(names["Value"])
    return found


def _requirement(written: str, label: str, key: str) -> Requirement:
    try:
        return Requirement(written)
    except InvalidRequirement as exc:
        raise UnusableInput(f"{label}: invalid requirement {written!r} in {key}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    # packaging's messages continue with the offending text and a caret on further lines.
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
