"""Where a patch stops: a project's releases, the advisories on each, and which of them each
dependent release admits, computed from the wheels in a local index.

A text table, so that it reads the same in a terminal, a notebook and the guide. Each dependent
release's requirement is read from its wheel's metadata (``Requires-Dist``) and evaluated with
:mod:`packaging`; each release's advisories come from an
:class:`~pinlab.advisories.AdvisoryDatabase`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.metadata import Metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from .advisories import AdvisoryDatabase
from .index import LocalIndex


@dataclass(frozen=True)
class Dependent:
    """A release in the index that requires the project."""

    name: str
    """Canonical project name."""
    version: Version
    """Its version."""
    requirement: Requirement
    """Its requirement on the project, from its wheel's metadata."""

    def admits(self, release: Version) -> bool:
        # A pre-release is a real candidate here: the index holds alphas and the story is about them.
        return self.requirement.specifier.contains(release, prereleases=True)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class Release:
    """One release of the project, and the advisories that affect it."""

    version: Version
    advisories: tuple[str, ...]
    """Ids of the advisories that affect this release (empty: none known)."""


@dataclass(frozen=True)
class Timeline:
    """A project's releases (oldest first) against what each dependent release admits."""

    project: str
    releases: tuple[Release, ...]
    dependents: tuple[Dependent, ...]

    @property
    def fixed(self) -> tuple[Version, ...]:
        """Releases that no advisory affects, after the first one that some advisory does."""
        affected = [release.version for release in self.releases if release.advisories]
        if not affected:
            return ()
        return tuple(r.version for r in self.releases if not r.advisories and r.version > min(affected))

    def blockers(self) -> tuple[Dependent, ...]:
        """The dependent releases that admit none of the fixed releases: where the patch stops."""
        return tuple(d for d in self.dependents if self.fixed and not any(d.admits(v) for v in self.fixed))

    def __str__(self) -> str:
        header = [f"{self.project} release", "known vulnerable"] + [str(d) for d in self.dependents]
        second = ["", ""] + [str(d.requirement) for d in self.dependents]
        rows = [header, second]
        for release in self.releases:
            cells = [str(release.version), ", ".join(release.advisories) or "no"]
            for dependent in self.dependents:
                admitted = dependent.admits(release.version)
                if not admitted and release.version in self.fixed:
                    cells.append("refused: a fix")
                else:
                    cells.append("admitted" if admitted else "refused")
            rows.append(cells)
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
        if self.fixed:
            lines.append("")
        blockers = self.blockers()
        for dependent in self.dependents if self.fixed else ():
            if dependent in blockers:
                lines.append(f"{dependent} ({dependent.requirement}) admits no fixed release: the patch stops here.")
            else:
                admitted = ", ".join(str(v) for v in self.fixed if dependent.admits(v))
                lines.append(f"{dependent} ({dependent.requirement}) admits the fixed {admitted}.")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # type: ignore[no-untyped-def]
        printer.text(str(self))


def patch_timeline(index: LocalIndex, project: str, advisories: AdvisoryDatabase) -> Timeline:
    """The releases of *project* in *index*, their advisories, and every release in *index*
    that depends on *project* with what its requirement admits."""
    wanted = canonicalize_name(project)
    versions, dependents = [], []
    for wheel in index.wheels():
        name, version, _build, _tags = parse_wheel_filename(wheel.name)
        if name == wanted:
            versions.append(version)
            continue
        for requirement in _requirements(wheel):
            if canonicalize_name(requirement.name) == wanted:
                dependents.append(Dependent(name, version, requirement))
    releases = [Release(v, tuple(a.id for a in advisories.query(wanted, v))) for v in sorted(set(versions))]
    return Timeline(wanted, tuple(releases), tuple(sorted(dependents, key=lambda d: (d.name, d.version))))


def _requirements(wheel: Path) -> list[Requirement]:
    """The unconditional ``Requires-Dist`` of *wheel* (those behind an extra or a false marker left out)."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        metadata = Metadata.from_email(archive.read(names[0]), validate=False)
    return [r for r in metadata.requires_dist or [] if r.marker is None or r.marker.evaluate({"extra": ""})]
