"""OSV advisories for PyPI packages: load the records in a folder, and decide which versions they affect.

This module is pure: no network, no threads. :mod:`pinlab.advisory_service` serves its answers
over HTTP the way osv.dev does, so that the real pip-audit can ask it.

Matching follows the OSV schema's evaluation rules (https://ossf.github.io/osv-schema/, section
"Evaluation") for ``ECOSYSTEM`` ranges of ``PyPI`` packages: events ``introduced`` (``"0"``
meaning every version), ``fixed``, ``last_affected`` and ``limit`` (``"*"`` meaning none), explicit
``versions`` lists, several ranges and several ``affected`` entries per record. Versions are
ordered by PEP 440 with :class:`packaging.version.Version`, so ``1.0a27 < 1.0a28 < 1.0rc1 < 1.0``;
names are compared after PEP 503 normalisation. ``GIT`` and ``SEMVER`` ranges say nothing about
PyPI version numbers and are ignored, as are other ecosystems' entries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from IPython.lib.pretty import RepresentationPrinter  # IPython calls _repr_pretty_; pinlab does not need it

ECOSYSTEM = "PyPI"
_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_RANGE_TYPES = ("ECOSYSTEM", "SEMVER", "GIT")
# The schema's timestamps are RFC 3339 in UTC with a "Z"; pip-audit parses exactly this form
# and fails on any other (pip_audit/_service/interface.py, _parse_rfc3339; google/osv.dev#857).
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


class AdvisoryError(ValueError):
    """An OSV record cannot be used; the message says where in the record and what is wrong."""


@dataclass(frozen=True)
class Event:
    """One event of a range: where a vulnerable stretch of versions starts or ends."""

    kind: str
    """``introduced``, ``fixed``, ``last_affected`` or ``limit``."""
    version: Version | None
    """The version; ``None`` for ``introduced: "0"`` (before everything) and ``limit: "*"`` (no limit)."""


@dataclass(frozen=True)
class Range:
    """An ``ECOSYSTEM`` range of a PyPI package: its events, in the order the record gives them."""

    events: tuple[Event, ...]

    def includes(self, version: Version) -> bool:
        """True if *version* is affected, by the schema's algorithm (events sorted by version)."""
        return self._before_limits(version) and self._included_by_events(version)

    def _included_by_events(self, version: Version) -> bool:
        affected = False
        for event in sorted((e for e in self.events if e.kind != "limit"), key=_event_order):
            if event.kind == "introduced" and (event.version is None or version >= event.version):
                affected = True
            elif event.kind == "fixed" and event.version is not None and version >= event.version:
                affected = False
            elif event.kind == "last_affected" and event.version is not None and version > event.version:
                affected = False
        return affected

    def _before_limits(self, version: Version) -> bool:
        limits = [event.version for event in self.events if event.kind == "limit"]
        return not limits or any(limit is None or version < limit for limit in limits)

    @property
    def fixed(self) -> tuple[Version, ...]:
        return tuple(e.version for e in self.events if e.kind == "fixed" and e.version is not None)

    @property
    def last_affected(self) -> tuple[Version, ...]:
        """The ``last_affected`` versions: every release after one (up to the next ``introduced``) is fixed."""
        return tuple(e.version for e in self.events if e.kind == "last_affected" and e.version is not None)

    @property
    def boundaries(self) -> tuple[Version, ...]:
        """Every version an event names: where being affected can change."""
        return tuple(e.version for e in self.events if e.version is not None)


@dataclass(frozen=True)
class Affected:
    """One ``affected`` entry for a PyPI package."""

    name: str
    """The package's name, PEP 503 normalised (``toyhost``)."""
    ranges: tuple[Range, ...]
    """Its ``ECOSYSTEM`` ranges (other range types are left out)."""
    versions: tuple[str, ...]
    """The explicit ``versions`` list, as written (PyPA records enumerate every affected release)."""

    def includes(self, version: Version) -> bool:
        return any(r.includes(version) for r in self.ranges) or any(
            _same_version(listed, version) for listed in self.versions
        )


@dataclass(frozen=True)
class Advisory:
    """One OSV record, checked, with what is needed to match PyPI versions against it."""

    id: str
    """The record's id, e.g. ``TOYSEC-2026-1``."""
    aliases: tuple[str, ...]
    """Other ids for the same vulnerability (a CVE, a GHSA ...)."""
    summary: str
    """One line: what is wrong."""
    details: str = field(repr=False)
    """The longer description (Markdown)."""
    published: str | None
    """When it was published (RFC 3339, UTC)."""
    modified: str
    """When it was last changed (RFC 3339, UTC)."""
    withdrawn: str | None
    """When it was withdrawn, or ``None``: a withdrawn record affects nothing any more."""
    affected: tuple[Affected, ...]
    """Its PyPI ``affected`` entries."""
    record: Mapping[str, Any] = field(repr=False)
    """The record exactly as loaded: what the advisory service answers with."""
    source: str = ""
    """The file it came from, relative to the folder it was loaded from."""

    def affects(self, name: str, version: Version | str) -> bool:
        """True if the record says *version* of the PyPI package *name* is affected.

        The ranges alone decide: a withdrawn record still describes ranges, but
        :meth:`AdvisoryDatabase.query` leaves it out.
        """
        version = Version(str(version))
        wanted = canonicalize_name(name)
        return any(entry.name == wanted and entry.includes(version) for entry in self.affected)

    def names(self, name: str) -> bool:
        """True if the record has a PyPI ``affected`` entry for *name*."""
        wanted = canonicalize_name(name)
        return any(entry.name == wanted for entry in self.affected)

    @property
    def says_pypi_versions(self) -> bool:
        """False for a record that cannot match any PyPI version: no PyPI ``affected`` entry, or
        entries with only ``GIT``/``SEMVER`` ranges (commits, semver) and no ``versions`` list."""
        return any(entry.ranges or entry.versions for entry in self.affected)

    def fixed_versions(self, name: str) -> tuple[Version, ...]:
        """The versions of *name* this record calls fixed, lowest first."""
        wanted = canonicalize_name(name)
        found = {v for entry in self.affected if entry.name == wanted for r in entry.ranges for v in r.fixed}
        return tuple(sorted(found))

    def last_affected_versions(self, name: str) -> tuple[Version, ...]:
        """The versions of *name* this record calls the last affected, lowest first: the releases
        after one are not affected (OSV schema), though the record names none of them."""
        wanted = canonicalize_name(name)
        found = {v for entry in self.affected if entry.name == wanted for r in entry.ranges for v in r.last_affected}
        return tuple(sorted(found))

    def boundaries(self, name: str) -> tuple[Version, ...]:
        """Every version of *name* the record's events or ``versions`` list name, lowest first."""
        wanted = canonicalize_name(name)
        found = {v for entry in self.affected if entry.name == wanted for r in entry.ranges for v in r.boundaries}
        for entry in self.affected:
            if entry.name == wanted:
                found |= {v for v in map(_parsed, entry.versions) if v is not None}
        return tuple(sorted(found))

    def __str__(self) -> str:
        withdrawn = f" (withdrawn {self.withdrawn})" if self.withdrawn else ""
        return f"{self.id}: {self.summary}{withdrawn}"


@dataclass(frozen=True)
class Problem:
    """A file in the advisories folder that could not be loaded."""

    file: str
    """The file, relative to the folder."""
    reason: str
    """What is wrong with it, in one line."""

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True)
class AdvisoryDatabase:
    """The records of one folder, and the files that could not be loaded."""

    advisories: tuple[Advisory, ...]
    """Every record that loaded, in file order."""
    problems: tuple[Problem, ...] = ()
    """One entry per file that did not load (the other files still did)."""

    def query(self, name: str, version: Version | str | None = None) -> tuple[Advisory, ...]:
        """The records that affect *version* of PyPI package *name*, as osv.dev answers a query.

        Withdrawn records are left out. With no *version*, every record naming the package.
        """
        wanted = canonicalize_name(name)
        live = [advisory for advisory in self.advisories if advisory.withdrawn is None]
        if version is None:
            return tuple(a for a in live if any(entry.name == wanted for entry in a.affected))
        return tuple(a for a in live if a.affects(wanted, version))

    def __str__(self) -> str:
        lines = [str(advisory) for advisory in self.advisories]
        lines += [f"not loaded: {problem}" for problem in self.problems]
        return "\n".join(lines) or "no advisories"

    def _repr_pretty_(self, printer: RepresentationPrinter, cycle: bool) -> None:
        printer.text(str(self))


def load_advisories(folder: Path | str | None = None) -> AdvisoryDatabase:
    """Load every ``*.json`` OSV record under *folder* (default: the kit's ``examples/advisories``).

    A file that is not a usable record is reported in ``problems`` with its name and what is
    wrong; the others still load. Raises :class:`AdvisoryError` only if *folder* is not a folder.
    """
    if folder is None:
        from .toys import examples_dir

        folder = examples_dir() / "advisories"
    folder = Path(folder)
    if not folder.is_dir():
        raise AdvisoryError(f"{folder}: not a folder of advisories")
    advisories: list[Advisory] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.rglob("*.json")):
        name = path.relative_to(folder).as_posix()
        try:
            advisory = parse_advisory(_read_json(path), source=name)
        except AdvisoryError as exc:
            problems.append(Problem(name, str(exc)))
            continue
        if advisory.id in seen:
            problems.append(Problem(name, f"duplicate id {advisory.id!r} (already loaded from {seen[advisory.id]})"))
            continue
        seen[advisory.id] = name
        advisories.append(advisory)
    return AdvisoryDatabase(tuple(advisories), tuple(problems))


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise AdvisoryError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise AdvisoryError(f"invalid JSON: {exc}") from None


def parse_advisory(record: object, source: str = "") -> Advisory:
    """Check one OSV record (already parsed from JSON); raise :class:`AdvisoryError` naming the problem."""
    if not isinstance(record, dict):
        raise AdvisoryError(f"the record is a JSON {type(record).__name__}, not an object")
    identifier = _string(record, "id", "")
    modified = _timestamp(record, "modified", "", required=True)
    assert modified is not None  # required: _timestamp raised otherwise
    published = _timestamp(record, "published", "")
    withdrawn = _timestamp(record, "withdrawn", "")
    aliases = _strings(record, "aliases", "")
    affected = record.get("affected", [])
    if not isinstance(affected, list):
        raise AdvisoryError("'affected' must be a list")
    entries = []
    for number, entry in enumerate(affected):
        parsed = _affected(entry, f"affected[{number}]")
        if parsed is not None:
            entries.append(parsed)
    return Advisory(
        id=identifier,
        aliases=aliases,
        summary=_optional_string(record, "summary", ""),
        details=_optional_string(record, "details", ""),
        published=published,
        modified=modified,
        withdrawn=withdrawn,
        affected=tuple(entries),
        record=record,
        source=source,
    )


def _affected(entry: object, where: str) -> Affected | None:
    """A PyPI affected entry, or None for another ecosystem's (not ours to judge)."""
    if not isinstance(entry, dict):
        raise AdvisoryError(f"{where} must be an object")
    package = entry.get("package")
    if not isinstance(package, dict):
        raise AdvisoryError(f"{where} has no 'package' object")
    ecosystem = _string(package, "ecosystem", f"{where}.package")
    name = _string(package, "name", f"{where}.package")
    ranges = entry.get("ranges", [])
    if not isinstance(ranges, list):
        raise AdvisoryError(f"{where}.ranges must be a list")
    versions = _strings(entry, "versions", where)
    if ecosystem != ECOSYSTEM:
        return None
    parsed = [_range(one, f"{where}.ranges[{number}]") for number, one in enumerate(ranges)]
    return Affected(canonicalize_name(name), tuple(r for r in parsed if r is not None), versions)


def _range(data: object, where: str) -> Range | None:
    if not isinstance(data, dict):
        raise AdvisoryError(f"{where} must be an object")
    kind = data.get("type")
    if kind not in _RANGE_TYPES:
        raise AdvisoryError(f"{where}.type must be one of {', '.join(_RANGE_TYPES)}, not {kind!r}")
    events = data.get("events")
    if not isinstance(events, list) or not events:
        raise AdvisoryError(f"{where}.events must be a non-empty list")
    if kind != "ECOSYSTEM":
        return None  # GIT ranges name commits, SEMVER ranges semver: neither orders PyPI versions
    parsed = tuple(_event(event, f"{where}.events[{number}]") for number, event in enumerate(events))
    if not any(event.kind == "introduced" for event in parsed):
        raise AdvisoryError(f"{where}.events has no 'introduced' event")
    return Range(parsed)


def _event(data: object, where: str) -> Event:
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in _EVENT_KINDS:
        raise AdvisoryError(f"{where} must be an object with one key: {', '.join(_EVENT_KINDS)}")
    kind, value = next(iter(data.items()))
    if not isinstance(value, str):
        raise AdvisoryError(f"{where}.{kind} must be a string, not {value!r}")
    if (kind, value) in {("introduced", "0"), ("limit", "*")}:
        return Event(kind, None)
    try:
        return Event(kind, Version(value))
    except InvalidVersion:
        raise AdvisoryError(f"{where}.{kind}: invalid version {value!r}") from None


def _parsed(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _same_version(listed: str, version: Version) -> bool:
    # PyPA records list releases as PyPI shows them, and some old ones are not PEP 440:
    # those can only match by their exact text.
    try:
        return Version(listed) == version
    except InvalidVersion:
        return listed == str(version)


def _where(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else f"'{key}'"


def _string(data: dict, key: str, parent: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise AdvisoryError(f"{_where(parent, key)} must be a non-empty string, not {value!r}")
    return value


def _optional_string(data: dict, key: str, parent: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise AdvisoryError(f"{_where(parent, key)} must be a string, not {value!r}")
    return value


def _strings(data: dict, key: str, parent: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AdvisoryError(f"{_where(parent, key)} must be a list of strings")
    return tuple(value)


def _timestamp(data: dict, key: str, parent: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise AdvisoryError(
            f"{_where(parent, key)} must be an RFC 3339 time in UTC such as '2026-06-25T00:00:00Z', not {value!r}"
        )
    return value


def _event_order(event: Event) -> tuple[int, Version | int, int]:
    # "introduced: 0" comes before every version; at equal versions, keep the schema's kind order.
    if event.version is None:
        return (0, 0, 0)
    return (1, event.version, _EVENT_KINDS.index(event.kind))
