"""A stand-in for :mod:`pinlab.advisories` (chapter 2's OSV loader and matcher) until it lands.

It offers the same interface that ``pinlab explain`` uses from that module: ``load_advisories``
returning a database with ``advisories``, ``problems`` and ``query(name, version)``, whose
advisories have ``id``, ``aliases`` and ``fixed_versions(name)``. It understands only what the
kit's records use: ``ECOSYSTEM`` ranges of ``PyPI`` packages with ``introduced``/``fixed``/
``last_affected`` events, explicit ``versions`` lists and ``withdrawn``. Replace every import of
this module by ``pinlab.advisories`` and delete it once that module is on main.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    withdrawn: str | None
    affected: tuple[dict, ...]

    def affects(self, name: str, version: str) -> bool:
        wanted, installed = canonicalize_name(name), Version(version)
        for entry in self._entries(wanted):
            if any(_same(listed, installed) for listed in entry.get("versions", [])):
                return True
            for rng in entry.get("ranges", []):
                if rng.get("type") == "ECOSYSTEM" and _in_range(rng["events"], installed):
                    return True
        return False

    def fixed_versions(self, name: str) -> tuple[Version, ...]:
        fixed = {Version(event["fixed"]) for entry in self._entries(canonicalize_name(name))
                 for rng in entry.get("ranges", []) for event in rng["events"] if "fixed" in event}
        return tuple(sorted(fixed))

    def _entries(self, wanted: str) -> list[dict]:
        return [entry for entry in self.affected
                if entry["package"]["ecosystem"] == "PyPI" and canonicalize_name(entry["package"]["name"]) == wanted]


@dataclass(frozen=True)
class AdvisoryDatabase:
    advisories: tuple[Advisory, ...]
    problems: tuple[str, ...] = ()

    def query(self, name: str, version: str) -> tuple[Advisory, ...]:
        return tuple(a for a in self.advisories if a.withdrawn is None and a.affects(name, version))


def load_advisories(folder: Path) -> AdvisoryDatabase:
    advisories, problems = [], []
    for path in sorted(Path(folder).rglob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            advisories.append(Advisory(record["id"], tuple(record.get("aliases", [])), record.get("withdrawn"),
                                       tuple(record.get("affected", []))))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path.relative_to(folder).as_posix()}: {exc}")
    return AdvisoryDatabase(tuple(advisories), tuple(problems))


def _in_range(events: list[dict], version: Version) -> bool:
    # The OSV schema's evaluation: walk the events in version order ("introduced: 0" first).
    def order(event: dict) -> tuple[int, Version]:
        value = next(iter(event.values()))
        return (0, Version("0")) if value == "0" else (1, Version(value))

    affected = False
    for event in sorted(events, key=order):
        kind, value = next(iter(event.items()))
        if kind == "introduced" and (value == "0" or version >= Version(value)):
            affected = True
        elif kind == "fixed" and version >= Version(value):
            affected = False
        elif kind == "last_affected" and version > Version(value):
            affected = False
    return affected


def _same(listed: str, version: Version) -> bool:
    try:
        return Version(listed) == version
    except InvalidVersion:
        return listed == str(version)
