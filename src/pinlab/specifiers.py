"""Which versions a specifier admits, decided by ``packaging`` (the library pip itself uses).

``admitted()`` applies PEP 440 the way an installer's finder does: a pre-release is admitted when
the specifier mentions one (``>=1.0a27``), when pre-releases are asked for (``--pre``), or when
no final release matches at all. :class:`Table` lays several specifiers side by side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

if TYPE_CHECKING:
    from IPython.lib.pretty import RepresentationPrinter  # IPython calls _repr_pretty_; pinlab does not need it


class SpecifierError(ValueError):
    """A specifier that ``packaging`` cannot read; the message quotes it."""


def admitted(spec: str, versions: Iterable[Version | str], prereleases: bool | None = None) -> list[Version]:
    """The *versions* that *spec* admits, oldest first (``prereleases=True`` is pip's ``--pre``)."""
    specifier = _specifier_set(spec)
    candidates = sorted({Version(str(version)) for version in versions})
    return list(specifier.filter(candidates, prereleases=prereleases))


def versions_around(boundaries: Iterable[Version]) -> tuple[Version, ...]:
    """Each of *boundaries*, its final release if it is a pre-release, and the next release at each
    of its segments (``2.2.0``: 2.2.0, 2.2.1, 2.3.0, 3.0.0), oldest first.

    Which final releases a specifier admits changes only at the versions it names, or at the next
    release of one of their segments (``==2.2.*`` up to 2.3.0, ``~=2.2`` up to 3.0.0). So, given
    every version the specifiers and the advisories name, these probes land in each stretch where
    the answers can differ: "does any release in the fixed range satisfy this requirement?" is
    answered by asking the probes, where the named versions alone miss what lies between them
    (``!=2.2.0,<3`` with a fix 2.2.0: the named 2.2.0 and 3 are both excluded, 2.2.1 is not).
    """
    found: set[Version] = set()
    for version in boundaries:
        found.add(version)
        release = (*version.release, 0, 0)[:max(3, len(version.release))]
        if version.is_prerelease or version.is_devrelease:
            found.add(Version(".".join(map(str, release))))
        for segment in range(len(release)):
            bumped = (*release[:segment], release[segment] + 1, *(0,) * (len(release) - segment - 1))
            found.add(Version(".".join(map(str, bumped))))
    return tuple(sorted(found))


@dataclass(frozen=True)
class Row:
    """One specifier and what it admits."""

    spec: str
    """The specifier as written, e.g. ``>=1.0a27`` (empty for a bare requirement)."""
    admitted: tuple[Version, ...]
    """The versions it admits, oldest first."""

    @property
    def newest(self) -> Version | None:
        """What an installer picks when nothing else constrains it: the newest admitted."""
        return self.admitted[-1] if self.admitted else None


@dataclass(frozen=True)
class Table:
    """Several specifiers against one project's versions, as a reader would tabulate them."""

    project: str
    """The project the specifiers are for, e.g. ``toyhost``."""
    versions: tuple[Version, ...]
    """The versions available, oldest first (the columns)."""
    rows: tuple[Row, ...]
    """One row per specifier, in the order given."""
    title: str = ""
    """The line printed above the table, saying what it shows (two tables side by side differ by it)."""

    def newest(self) -> dict[str, str]:
        """Requirement -> the version it would install, e.g. ``{'toyhost<2': '0.9'}``."""
        return {f"{self.project}{row.spec}": str(row.newest) if row.newest else "nothing" for row in self.rows}

    def __str__(self) -> str:
        header = ["requirement", *map(str, self.versions), "newest admitted"]
        body = [
            [f"{self.project}{row.spec}", *("yes" if v in row.admitted else "-" for v in self.versions),
             str(row.newest) if row.newest else "nothing"]
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
                 for line in [header, *body]]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join([self.title, *lines] if self.title else lines)

    def _repr_pretty_(self, printer: RepresentationPrinter, cycle: bool) -> None:
        printer.text(str(self))


#: How each setting of ``prereleases`` reads in a table's title.
_PRERELEASES = {
    None: "by default (a pre-release only where PEP 440 lets one in)",
    True: "with --pre (every pre-release)",
    False: "with no pre-release",
}


def table(project: str, specs: Iterable[str], versions: Iterable[Version | str],
          prereleases: bool | None = None, title: str | None = None) -> Table:
    """What each of *specs* admits among *versions* of *project*, under a title that says how
    pre-releases were treated (or *title*)."""
    columns = tuple(sorted({Version(str(version)) for version in versions}))
    rows = tuple(Row(spec, tuple(admitted(spec, columns, prereleases))) for spec in specs)
    if title is None:
        title = f"What each requirement admits among {project}'s releases, {_PRERELEASES[prereleases]}:"
    return Table(project, columns, rows, title)


def _specifier_set(spec: str) -> SpecifierSet:
    try:
        return SpecifierSet(spec)
    except InvalidSpecifier as exc:
        raise SpecifierError(f"invalid specifier {spec!r}: {exc}") from None
