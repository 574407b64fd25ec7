"""Where a project's requirements are declared: a pyproject.toml, a wheel, an sdist, an installed copy.

Each input becomes one :class:`Source`: the requirements it declares, each with the place it was
declared (``dependencies``, an extra, a dependency group) and, in a pyproject.toml, its line.
Metadata files (a wheel's ``METADATA``, an sdist's ``PKG-INFO``, an installed distribution's
``METADATA``) are read with ``packaging.metadata``; ``pyproject.toml`` with ``tomllib``, PEP 735
groups with ``dependency-groups`` and Poetry's own tables with :mod:`pinlab.poetry`. An input that
cannot be read raises :class:`UnusableInput`, whose message is one line naming the input and what
is wrong with it.

What could not be checked is said, never passed over: a Source's ``unchecked`` names each part
of its requirements that is not in the file (a pyproject.toml's or an sdist's dynamic dependencies,
never a wheel's: its fields are final; an sdist whose metadata is older than 2.2, where ``setup.py``
computes them), and ``pinlab lint`` never calls it clean.
A pyproject.toml that declares no package at all (only ``[tool.*]`` tables: ruff, black) is
``skipped``, with the reason, so that a repository's other files are still checked; a uv
workspace root (``[tool.uv.workspace]``) brings its members along (:func:`read_sources`).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from packaging.markers import Marker
from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

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
    """The requirement as written in the file; for a Poetry dependency, as Poetry means it, in PEP 508
    (``orjson = {version = "3.10.12"}`` is ``orjson==3.10.12``)."""
    where: str
    """Where it is declared: ``dependencies``, ``extra 'docs'`` or ``dependency group 'test'``."""
    published: bool = True
    """False for a dependency group: it is not part of the published metadata, so users never see it."""
    extras: frozenset[str] = frozenset()
    """The extras it is declared in (``{'docs'}``), empty for the main dependencies."""
    line: int | None = None
    """The line of the file it is written on (1 is the first), where known: pyproject.toml inputs."""


@dataclass(frozen=True)
class Allowance:
    """One entry of ``[tool.pinlab] allow``: a finding the maintainers accept, and why."""

    code: str
    """The finding code it allows, e.g. ``PIN001``."""
    requirement: str
    """The dependency it allows it on, normalised (``toyhost``)."""
    reason: str
    """Why the maintainers accept it, in their words (required)."""
    line: int | None = None
    """The line of the entry in pyproject.toml."""


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
    """Things worth knowing that change no verdict."""
    unchecked: tuple[str, ...] = ()
    """What could not be checked, and why (e.g. dependencies computed at build time): never clean."""
    requires_python: str | None = None
    """The Requires-Python it declares, as written (``>=3.9,<4``), if any."""
    requires_python_line: int | None = None
    """The line of ``requires-python`` in a pyproject.toml."""
    allow: tuple[Allowance, ...] = ()
    """The findings its maintainers accept (``[tool.pinlab] allow`` of a pyproject.toml)."""
    skipped: str | None = None
    """Why nothing in it is package metadata, when that is so (a pyproject.toml of tool settings only)."""
    members: tuple[Path, ...] = ()
    """The folders of its uv workspace's members (``[tool.uv.workspace]``), when it is a workspace root."""


def read_sources(paths: Iterable[str | Path]) -> list[Source]:
    """Every input, each file read once (``proj`` and ``proj/pyproject.toml`` are one input), a uv
    workspace root followed by its members (and theirs)."""
    sources: list[Source] = []
    seen: set[str] = set()

    def add(path: Path) -> None:
        file = path / "pyproject.toml" if path.is_dir() else path
        identity = os.path.normcase(str(file.resolve()))
        if identity in seen:
            return
        seen.add(identity)
        source = read_source(path)
        sources.append(source)
        for member in source.members:
            add(member)

    for path in paths:
        add(Path(path))
    return sources


def read_source(path: str | Path) -> Source:
    """Read the requirements of a pyproject.toml, a folder holding one, a wheel or an sdist."""
    path = Path(path)
    label = path.as_posix()
    if path.is_dir():
        path = path / "pyproject.toml"
        label = path.as_posix()
    if not path.exists():
        raise UnusableInput(f"{label}: no such file")
    if not path.is_file():  # a named pipe would block the read forever; a device, worse
        raise UnusableInput(f"{label}: not a regular file")
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
    """``[project]`` dependencies and optional-dependencies, ``[dependency-groups]``, Poetry's
    tables when ``[project]`` does not declare the dependencies, and ``[tool.pinlab]``."""
    label = label or path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnusableInput(f"{label}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnusableInput(f"{label}: cannot be read: {exc}") from None
    lines = TomlLines(text)
    project = data.get("project")
    poetry = data.get("tool", {}).get("poetry") if isinstance(data.get("tool"), dict) else None
    members, member_notes = _workspace_members(path, label, data)
    if project is None and not isinstance(poetry, dict):
        return _no_project(path, label, data, members, member_notes)
    if project is not None and not isinstance(project, dict):
        raise UnusableInput(f"{label}: [project] must be a table")
    project = project or {}
    name = project.get("name") or (poetry or {}).get("name")
    if not isinstance(name, str) or not name:
        raise UnusableInput(f"{label}: [project] has no name")
    dynamic = project.get("dynamic", [])
    version = project.get("version") if isinstance(project.get("version"), str) else None
    requires_python = project.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        raise UnusableInput(f"{label}: [project] requires-python must be a string")

    declared: list[Declared] = []
    declared += _parse_list(project.get("dependencies", []), label, "dependencies", "[project] dependencies",
                            lines=lines, table="project", key="dependencies")
    extras = project.get("optional-dependencies", {})
    if not isinstance(extras, dict):
        raise UnusableInput(f"{label}: [project.optional-dependencies] must be a table")
    for extra, items in extras.items():
        declared += _parse_list(items, label, f"extra '{extra}'", f"[project.optional-dependencies] {extra}",
                                extras=frozenset({extra}), lines=lines, table="project.optional-dependencies",
                                key=extra)
    declared += _dependency_groups(data.get("dependency-groups", {}), label, lines)

    python_line = lines.key_line("project", "requires-python") if requires_python else None
    unchecked: list[str] = []
    # Poetry reads [tool.poetry.dependencies] when there is no [project] table, or when [project]
    # says its dependencies are dynamic (Poetry 2); otherwise they only enrich [project]'s. Its
    # groups are its own tables either way.
    poetry_main = isinstance(poetry, dict) and ("project" not in data or "dependencies" in dynamic)
    if isinstance(poetry, dict):
        from .poetry import read_poetry

        found = read_poetry(poetry, label, lines, main=poetry_main, base=path.parent)
        declared += found.declared
        unchecked += found.unchecked
        version = version or found.version
        if requires_python is None and found.requires_python is not None:
            requires_python, python_line = found.requires_python, found.requires_python_line
    unchecked += [
        f"{key} are dynamic (computed when the project is built): lint the built wheel to check them"
        for key in ("dependencies", "optional-dependencies")
        if key in dynamic and not (poetry_main and key == "dependencies")
    ]
    if "requires-python" in dynamic and requires_python is None:
        unchecked.append("requires-python is dynamic (computed when the project is built), so a capped "
                         "requires-python (PIN004) cannot be ruled out: lint the built wheel")
    return Source(label, "pyproject", name, version, tuple(declared), unchecked=tuple(unchecked),
                  requires_python=requires_python, requires_python_line=python_line,
                  allow=_allowances(data, label, lines), members=members or (), notes=member_notes)


def _workspace_members(path: Path, label: str, data: dict) -> tuple[tuple[Path, ...] | None, tuple[str, ...]]:
    """The member folders of a uv workspace root (``[tool.uv.workspace]``), and notes on folders
    that match but hold no pyproject.toml; None for a pyproject.toml that is no workspace root.

    As uv documents them: ``members`` are globs or paths relative to the root, ``exclude`` globs
    win over them, and a member is a folder with a pyproject.toml."""
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    workspace = uv.get("workspace") if isinstance(uv, dict) else None
    if workspace is None:
        return None, ()
    where = "[tool.uv.workspace]"
    if not isinstance(workspace, dict):
        raise UnusableInput(f"{label}: {where} must be a table")
    root = path.parent

    def matched(key: str) -> list[Path]:
        patterns = workspace.get(key, [])
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise UnusableInput(f"{label}: {where} {key} must be a list of strings (globs)")
        found = []
        for pattern in patterns:
            try:
                found += [folder for folder in root.glob(pattern) if folder.is_dir()]
            except (ValueError, NotImplementedError) as exc:  # "", an absolute path, "a/**b"
                raise UnusableInput(f"{label}: {where} {key}: invalid glob {pattern!r} ({exc})") from None
        return found

    excluded = {folder.resolve() for folder in matched("exclude")}
    folders = sorted({folder for folder in matched("members") if folder.resolve() not in excluded},
                     key=lambda folder: folder.as_posix())
    members = tuple(folder for folder in folders if (folder / "pyproject.toml").is_file())
    notes = tuple(f"{folder.relative_to(root).as_posix()} matches {where} members but holds no pyproject.toml: "
                  "not a member, not linted" for folder in folders if folder not in members)
    return members, notes


def _no_project(path: Path, label: str, data: dict, members: tuple[Path, ...] | None = None,
                notes: tuple[str, ...] = ()) -> Source:
    """A pyproject.toml without [project] or [tool.poetry]: a uv workspace root, tool settings,
    or setup.py's metadata."""
    if members is not None:
        # A virtual workspace root (uv's term): it publishes nothing itself; its members do.
        if not members:
            return Source(label, "config", "", None, (), notes=notes, unchecked=(
                "a uv workspace root with no [project] table, and no folder with a pyproject.toml matches its "
                "[tool.uv.workspace] members: nothing here was linted",))
        names = ", ".join(member.relative_to(path.parent).as_posix() for member in members)
        return Source(label, "config", "", None, (), notes=notes, members=members,
                      skipped=f"a uv workspace root with no [project] table, no package metadata; "
                              f"its members are linted: {names}")
    tools = ", ".join(f"[tool.{tool}]" for tool in data.get("tool", {})) if isinstance(data.get("tool"), dict) else ""
    setup = [name for name in ("setup.py", "setup.cfg") if (path.parent / name).is_file()]
    if setup or "build-system" in data:
        # A package whose metadata the build backend computes (setuptools reading setup.py, say).
        where = " and ".join(setup) if setup else "its build backend"
        reason = (f"no [project] table: the requirements are computed by {where} when the package is built; "
                  "lint the built wheel to check them")
        return Source(label, "pyproject", "", None, (), unchecked=(reason,))
    reason = f"it holds only tool settings ({tools})" if tools else "it has no [project] table"
    return Source(label, "config", "", None, (), skipped=f"{reason}, no package metadata")


def _allowances(data: dict, label: str, lines: TomlLines) -> tuple[Allowance, ...]:
    """``[tool.pinlab] allow = [{code = "PIN001", requirement = "foo", reason = "..."}]``."""
    tool = data.get("tool", {})
    settings = tool.get("pinlab", {}) if isinstance(tool, dict) else {}
    if not isinstance(settings, dict):
        raise UnusableInput(f"{label}: [tool.pinlab] must be a table")
    unknown = sorted(set(settings) - {"allow"})
    if unknown:
        raise UnusableInput(f"{label}: [tool.pinlab] has an unknown key {unknown[0]!r} (only 'allow' is known)")
    entries = settings.get("allow", [])
    if not isinstance(entries, list):
        raise UnusableInput(f"{label}: [tool.pinlab] allow must be a list of tables")
    allowed = []
    for number, entry in enumerate(entries):
        where = f"[tool.pinlab] allow[{number}]"
        if not isinstance(entry, dict):
            raise UnusableInput(f"{label}: {where} must be a table like "
                                '{code = "PIN001", requirement = "NAME", reason = "why it is acceptable"}')
        extra_keys = sorted(set(entry) - {"code", "requirement", "reason"})
        if extra_keys:
            raise UnusableInput(f"{label}: {where} has an unknown key {extra_keys[0]!r} "
                                "(known: code, requirement, reason)")
        for key in ("code", "requirement", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                why = "say why this finding is acceptable" if key == "reason" else "a string is required"
                raise UnusableInput(f"{label}: {where} has no {key}: {why}")
        from packaging.utils import canonicalize_name

        allowed.append(Allowance(entry["code"].strip().upper(), canonicalize_name(entry["requirement"]),
                                 entry["reason"].strip(), lines.allow_line(number)))
    return tuple(allowed)


class TomlLines:
    """Where things are written in a TOML file's text, for reports that point at a line.

    tomllib gives values, not positions, so the position is found in the text: the table's
    header, the key inside it, then the first line at or after the key holding the value as a
    TOML string (``"..."`` or ``'...'``). Good enough for requirements, which are plain strings.
    """

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [(number, self._normal(match.group(1))) for number, line in enumerate(self.lines, 1)
                        if (match := self._HEADER.match(line))]

    @staticmethod
    def _normal(name: str) -> str:
        return ".".join(part.strip().strip('"').strip("'") for part in name.split("."))

    def table_span(self, table: str) -> tuple[int, int] | None:
        """The first and last line of ``[table]`` (after its header, up to the next header)."""
        for position, (number, name) in enumerate(self.headers):
            if name == table:
                end = self.headers[position + 1][0] - 1 if position + 1 < len(self.headers) else len(self.lines)
                return number, end
        return None

    def key_line(self, table: str, key: str) -> int | None:
        """The line where ``key = ...`` is written in ``[table]`` (or first ``key.part = ...``, a
        dotted key); None if not found."""
        span = self.table_span(table)
        if span is None:
            return None
        pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.]""")
        return next((n for n in range(span[0], span[1] + 1) if pattern.match(self.lines[n - 1])), None)

    def value_line(self, value: str, table: str, key: str, used: set[int] | None = None) -> int | None:
        """The line of the string *value* written under ``key`` of ``[table]`` (a list item)."""
        start = self.key_line(table, key)
        if start is None:
            return None
        quoted = (json.dumps(value), f"'{value}'")
        for number in range(start, len(self.lines) + 1):
            if any(q in self.lines[number - 1] for q in quoted) and (used is None or number not in used):
                if used is not None:
                    used.add(number)
                return number
        return start  # written some other way (a multi-line string): the key's line is the best we know

    def allow_line(self, number: int) -> int | None:
        """The line of the *number*-th entry of ``[tool.pinlab] allow`` (an inline table each,
        or ``[[tool.pinlab.allow]]`` headers)."""
        start = self.key_line("tool.pinlab", "allow")
        if start is not None:
            tables = [n for n in range(start, len(self.lines) + 1) if "{" in self.lines[n - 1]]
        else:
            tables = [n for n, name in self.headers if name == "tool.pinlab.allow"]
        return tables[number] if number < len(tables) else start


def _parse_list(items: object, label: str, where: str, described: str, published: bool = True,
                extras: frozenset[str] = frozenset(), lines: TomlLines | None = None, table: str = "",
                key: str = "") -> list[Declared]:
    """*described* names the list in messages (``[project] dependencies``); *table* and *key*
    say where it is written, to find each requirement's line."""
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise UnusableInput(f"{label}: {described} must be a list of strings")
    used: set[int] = set()  # the same string twice in one list is on two lines
    return [Declared(_requirement(item, label, described), item, where, published, extras,
                     lines.value_line(item, table, key, used) if lines else None)
            for item in items]


def _dependency_groups(groups: object, label: str, lines: TomlLines | None = None) -> list[Declared]:
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
                                published=False, lines=lines, table="dependency-groups", key=group)
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
    """A Source from core metadata text (METADATA or PKG-INFO), parsed by ``packaging.metadata``;
    *kind* is ``wheel`` or ``sdist`` (only an sdist's ``Dynamic`` fields leave something unchecked)."""
    raw, _unparsed = parse_email(text)
    name = raw.get("name")
    if not name:
        raise UnusableInput(f"{label}: its metadata has no Name")
    source = from_requires_dist(name, raw.get("version"), raw.get("requires_dist", []), label, kind,
                                requires_python=raw.get("requires_python"))
    unchecked = []
    metadata_version = raw.get("metadata_version", "")
    if kind == "sdist" and _older_than_2_2(metadata_version):
        # Before metadata 2.2 (PEP 643) nothing promised that an sdist's PKG-INFO says what the
        # built wheel will require; setuptools wrote none at all (requests 2.25.1).
        listed = f"lists {len(source.declared)}" if source.declared else "lists none"
        unchecked.append(f"its PKG-INFO is metadata {metadata_version}, older than 2.2, so its requirements "
                         f"are computed by setup.py when it is built (it {listed}); lint the built wheel")
    elif kind == "sdist":
        # Dynamic (PEP 643) is a promise about an sdist only: a field it names may differ in the
        # wheel built from it. A wheel's METADATA (and so an installed copy's) is final, every field,
        # even where a backend copied Dynamic into it (hatchling does, for a build hook's
        # dependencies: apache-airflow 2.10.4), so a wheel's requirements are linted as written.
        dynamic = {field.lower() for field in raw.get("dynamic", [])}
        if "requires-dist" in dynamic:
            unchecked.append("Requires-Dist is dynamic (computed when the project is built): lint the built wheel")
        if "requires-python" in dynamic:
            # PIN004 judges Requires-Python: a value the build may still change was not checked.
            unchecked.append("Requires-Python is dynamic (computed when the project is built), so a capped "
                             "requires-python (PIN004) cannot be ruled out: lint the built wheel")
    return replace(source, unchecked=(*source.unchecked, *unchecked))


def _older_than_2_2(metadata_version: str) -> bool:
    try:
        return Version(metadata_version) < Version("2.2")
    except InvalidVersion:
        return True  # no usable Metadata-Version: promise nothing


def from_requires_dist(name: str, version: str | None, requires_dist: list[str], label: str, kind: str,
                       requires_python: str | None = None) -> Source:
    """A Source from ``Requires-Dist`` values, where an extra is part of each one's marker."""
    declared = []
    for written in requires_dist:
        requirement = _requirement(written, label, "Requires-Dist")
        extras = frozenset(extras_of(requirement.marker))
        declared.append(Declared(requirement, written, _place(requirement.marker), extras=extras))
    return Source(label, kind, name, version, tuple(declared), requires_python=requires_python)


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
