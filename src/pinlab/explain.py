"""``pinlab explain``: for each vulnerable installed package, can its fix be installed, and if not, why not?

pip-audit says which installed package is vulnerable and which versions fix it. It does not say
what keeps those versions out. This module crosses the vulnerabilities with the environment's
installed requirements.

**Per advisory.** Each advisory keeps its own affected versions. A release *fixes* an advisory
when the advisory does not affect it (not only when it is the exact version of a ``fixed``
event: after an OSV ``last_affected`` version, every release does). An advisory no release fixes
is reported as such and decides nothing else. Each advisory gets its own verdict, and so does the
package: it is *blocked* when every release that escapes all of its fixable advisories is
excluded by some installed requirement (``toyhost-export 0.3a1 requires toyhost==1.0a27``). A
requirement is named as a blocker only if it excludes every one of those releases (or, when none
does alone, if it is one of those that exclude them together): ``!=2.2.0`` excludes one release,
not a fix 2.2.0 and all that follows it.

Which releases are weighed: the fix versions the advisories name, the versions the installed
requirements on the package name and admit (``sqlparse>=0.5.5`` names 0.5.5; a cap ``<3`` names
a version it excludes, which need not exist), and the package's releases in the ``--find-links``
folder, when newer than the installed version: those are the releases the verdict shows. To
judge a fixed range whole, versions just past every boundary are asked too
(:func:`pinlab.specifiers.versions_around`: 2.2.1 after 2.2.0). From an OSV record
(``--advisories``) its ranges decide exactly what is affected. An audit report (pip-audit, uv
audit) gives only fix versions, so a release counts as fixed when it is at or after a fix newer
than the installed version, and not on the major.minor branch of a later fix that it precedes
(fixes 1.26.18 and 2.0.7: 1.26.20 is fixed, 2.0.3 is not).

For each blocker it gives the chain of requirements from what the user installed directly, and,
given a folder of newer releases (``--find-links``), the release of the blocker that lets a fix in
and that the environment's interpreter can install (its Requires-Python and wheel tags): the way out.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from .audit_reports import AuditData, Vulnerability, read_audit_file
from .environment import Edge, Environment, Installed, applies
from .requirements import UnusableInput
from .specifiers import versions_around

__all__ = ["Vulnerability", "explain", "from_audit_json", "from_advisories", "format_text", "as_json"]


@dataclass(frozen=True)
class Upgrade:
    """Something else a way out needs newer than installed, with nothing installed against it."""

    name: str
    """The installed distribution's name."""
    installed: str
    """Its installed version."""
    requirement: str
    """What the way out requires of it, as written."""


@dataclass(frozen=True)
class WayOut:
    """A newer release of a blocker, in the ``--find-links`` folder, that lets a fix in."""

    release: str
    """``name version`` of that release."""
    file: str
    """Its file name in the folder."""
    requirement: str | None
    """Its requirement on the vulnerable package, as written; None if it has none (or it is unknown)."""
    admits: str | None
    """The lowest release that fixes every advisory and that its requirement admits; None if unknown."""
    known: bool = True
    """False for an sdist whose metadata does not say its requirements (Metadata-Version before
    2.2, or Requires-Dist dynamic): only building it tells."""
    collisions: tuple[str, ...] = ()
    """Its other requirements that another installed requirement contradicts
    (``b>=2, but c 1.0 requires b<2``): following this way out means changing that one too."""
    upgrades: tuple[Upgrade, ...] = ()
    """What else it needs newer than installed, with nothing installed against it."""


@dataclass(frozen=True)
class Blocker:
    """An installed distribution whose requirement excludes the releases that fix the package."""

    distribution: str
    """``name version`` of the blocker."""
    requirement: str
    """Its requirement on the vulnerable package, as written in its metadata."""
    path: tuple[str, ...]
    """How it got here: ``name version`` from something installed directly down to the blocker."""
    way_out: WayOut | None = None
    """A newer release of the blocker that admits a fix, if the ``--find-links`` folder has one."""

    def __str__(self) -> str:
        return f"{self.distribution} requires {self.requirement}"


@dataclass(frozen=True)
class AdvisoryVerdict:
    """One advisory on a vulnerable package, on its own."""

    id: str
    """The advisory's id."""
    fixed: tuple[str, ...]
    """The fix versions it names that are newer than the installed version, lowest first."""
    fixable: bool
    """True if a release that escapes it can be installed here (its own verdict is ``upgradable``)."""
    fixed_after: tuple[str, ...] = ()
    """Its OSV ``last_affected`` versions, at or after the installed one: every release after one
    escapes it, though the record names none of them."""
    verdict: str = "no fix"
    """Its own verdict, as if it were the only one: ``upgradable``, ``blocked``, or ``no fix`` (no
    release known to pinlab escapes it: it is reported, and decides nothing else)."""
    blocked_by: tuple[str, ...] = ()
    """For ``blocked``: the requirements that keep every release escaping it out
    (``requests 2.29.0 requires urllib3<1.27,>=1.21.1``)."""


@dataclass(frozen=True)
class Verdict:
    """One vulnerable installed package, and whether a release fixing it could be installed."""

    package: str
    """The vulnerable package's name, as installed."""
    version: str
    """The installed version."""
    advisories: tuple[str, ...]
    """The ids of the advisories that affect it."""
    aliases: tuple[str, ...]
    """Other ids of the same vulnerabilities (CVE ...)."""
    fixed: tuple[str, ...]
    """The named releases (fixes, versions a requirement names and admits, the folder's releases)
    newer than the installed one that escape every fixable advisory, lowest first; empty if the
    fixed range starts past an OSV ``last_affected`` and nothing names a release in it."""
    verdict: str
    """``upgradable``, ``blocked``, or ``no fix`` (no known release escapes its fixable advisories,
    or none is fixable)."""
    blockers: tuple[Blocker, ...]
    """For ``blocked``: the installed distributions whose requirements exclude every one of ``fixed``."""
    path: tuple[str, ...]
    """How the vulnerable package got here, from something installed directly."""
    each_advisory: tuple[AdvisoryVerdict, ...] = ()
    """Each advisory on its own: its fixes, and whether any release escapes it."""
    fixed_from: str = ""
    """Where the releases escaping every fixable advisory start, as a specifier: ``>=2.2.0``, or
    ``>2.2.2`` after an OSV ``last_affected`` version; empty for ``no fix``."""
    narrowed_by: tuple[str, ...] = ()
    """For ``upgradable``: installed requirements that exclude the lowest fixed release, though not
    every one (``botocore 1.35.0 requires urllib3!=2.2.0,<3``)."""
    install: str = ""
    """For ``upgradable``: what to ask the installer for (``urllib3>=2.2.0,!=2.2.0``)."""
    requires_python: str = ""
    """For ``blocked`` with no blocker: the Requires-Python of the fixed releases in the
    ``--find-links`` folder, every one of which refuses the environment's Python (``>=3.9``)."""
    python: str = ""
    """With ``requires_python``: the environment's Python (``3.8.18``)."""


@dataclass(frozen=True)
class Explanation:
    """Every vulnerable installed package and its verdict."""

    verdicts: tuple[Verdict, ...]
    """One per vulnerable installed package, by name."""
    installed: int
    """How many distributions the environment has."""
    notes: tuple[str, ...] = ()
    """What in the vulnerability data or the folder did not apply, and why."""
    not_checked: tuple[str, ...] = ()
    """Installed distributions the vulnerability data may concern but that could not be checked
    (``toyhost 1.0a28: the report audited 1.0a27``)."""

    @property
    def exit_status(self) -> int:
        """1 if some fix is blocked or something could not be checked, else 0."""
        blocked = any(verdict.verdict == "blocked" for verdict in self.verdicts)
        return 1 if blocked or self.not_checked else 0


@dataclass(frozen=True)
class Vulnerabilities:
    """What the vulnerability data says about one environment."""

    found: tuple[Vulnerability, ...]
    """The advisories that affect an installed version."""
    notes: tuple[str, ...] = ()
    """What did not apply, and why."""
    not_checked: tuple[str, ...] = ()
    """Installed distributions the data may concern but that could not be checked, and why."""


@dataclass(frozen=True)
class _Release:
    """One file of the ``--find-links`` folder."""

    version: Version
    file: Path
    tags: frozenset[str] | None
    """A wheel's tags, from its file name; None for an sdist."""


def explain(environment: Environment, vulnerabilities: Vulnerabilities | Iterable[Vulnerability],
            find_links: str | Path | None = None, notes: Iterable[str] = ()) -> Explanation:
    """The verdict for each vulnerable package of *environment*."""
    if not isinstance(vulnerabilities, Vulnerabilities):
        vulnerabilities = Vulnerabilities(tuple(vulnerabilities))
    by_package: dict[str, list[Vulnerability]] = {}
    for vulnerability in vulnerabilities.found:
        by_package.setdefault(canonicalize_name(vulnerability.package), []).append(vulnerability)
    folder_notes: list[str] = []
    releases = _releases(Path(find_links), folder_notes) if find_links is not None else {}
    verdicts = []
    not_checked = list(vulnerabilities.not_checked)
    if environment.unreadable:
        # Installed, yet without a name and version to match an advisory or a report line against:
        # whatever they are, nothing here can say they are not vulnerable.
        count = len(environment.unreadable)
        not_checked.append(
            f"{count} installed distribution{'s' * (count != 1)} whose metadata cannot be read, so no advisory "
            f"can be matched to {'them' if count != 1 else 'it'}: "
            + "; ".join(f"{Path(u.folder).name} ({u.problem})" for u in environment.unreadable))
    for package, found in sorted(by_package.items()):
        dist = environment.get(package)
        if dist is None:
            continue
        if _version(dist.version) is None:
            not_checked.append(f"{dist}: version not comparable (not PEP 440), skipped")
            continue
        verdicts.append(_verdict(environment, dist, found, releases, folder_notes))
    all_notes = (*notes, *vulnerabilities.notes, *dict.fromkeys(folder_notes))
    return Explanation(tuple(verdicts), len(environment.distributions), tuple(all_notes), tuple(not_checked))


def _verdict(environment: Environment, dist: Installed, found: list[Vulnerability],
             releases: dict[str, list[_Release]], notes: list[str]) -> Verdict:
    installed = Version(dist.version)
    ids = tuple(v.id for v in found)
    aliases = tuple(alias for v in found for alias in v.aliases)
    path = tuple(map(str, environment.path_to(dist.name)))
    edges = [edge for edge in environment.requirements_on(dist.name) if edge.source.key != dist.key]
    specifiers = [edge.requirement.specifier for edge in edges]
    folder = releases.get(dist.key, [])
    # Two sets of versions: the *named* ones (fixes, releases the requirements or the folder name)
    # are what the verdict shows; the *probes* add the versions just past every boundary, so that
    # a fixed range is judged whole, not only at the versions someone happened to name.
    candidates = _candidates(installed, found, specifiers, folder)
    probes = _probes(installed, found, specifiers, folder, candidates)
    # What keeps each release out: the environment's one rule, which the picture uses too.
    excluded_by = {p: environment.excluding(dist.name, p) for p in probes}
    each = tuple(_refused_by_python(_advisory_verdict(v, installed, probes, edges, excluded_by), v, candidates,
                                    excluded_by, folder, environment) for v in found)
    fixable = [v for v, verdict in zip(found, each, strict=True) if verdict.verdict != "no fix"]
    fixing = tuple(p for p in probes if fixable and not any(affects(v, p) for v in fixable))
    if not fixing:
        return Verdict(dist.name, dist.version, ids, aliases, (), "no fix", (), path, each)
    escaping = tuple(c for c in candidates if c in fixing)
    shown = tuple(map(str, escaping))
    fixed_from = _fixed_from(fixing[0], escaping, fixable, installed)
    together = _blocking(edges, [excluded_by[p] for p in fixing])
    if together is None:
        refusing = _python_refuses(escaping, excluded_by, folder, environment)
        if refusing:
            return Verdict(dist.name, dist.version, ids, aliases, shown, "blocked", (), path, each, fixed_from,
                           requires_python=refusing, python=environment.markers["python_full_version"])
        narrowing = excluded_by[fixing[0]]
        install = dist.name + _install(fixed_from, narrowing, fixing, escaping, fixable, excluded_by)
        return Verdict(dist.name, dist.version, ids, aliases, shown, "upgradable", (), path, each, fixed_from,
                       tuple(f"{edge.source} requires {edge.written}" for edge in narrowing), install)
    way_in = escaping or fixing
    blockers = tuple(
        Blocker(str(edge.source), edge.written, tuple(map(str, environment.path_to(edge.source.name))),
                _way_out(edge, found, fixable, installed, way_in, releases, environment, notes))
        for edge in together
    )
    return Verdict(dist.name, dist.version, ids, aliases, shown, "blocked", blockers, path, each, fixed_from)


def _refused_by_python(verdict: AdvisoryVerdict, vulnerability: Vulnerability, candidates: tuple[Version, ...],
                       excluded_by: dict[Version, tuple[Edge, ...]], folder: list[_Release],
                       environment: Environment) -> AdvisoryVerdict:
    """An advisory ``upgradable`` on its own is ``blocked`` when the folder's releases escaping it
    all refuse the environment's Python (see :func:`_python_refuses`)."""
    if verdict.verdict != "upgradable":
        return verdict
    escaping = tuple(c for c in candidates if not affects(vulnerability, c))
    refusing = _python_refuses(escaping, excluded_by, folder, environment)
    if not refusing:
        return verdict
    return replace(verdict, fixable=False, verdict="blocked",
                   blocked_by=(f"Requires-Python {refusing} of every fixed release in the --find-links folder",))


def _python_refuses(escaping: tuple[Version, ...], excluded_by: dict[Version, tuple[Edge, ...]],
                    folder: list[_Release], environment: Environment) -> str:
    """The Requires-Python of the fixed releases an upgrade could pick, when the folder holds each
    of them and every file of theirs refuses the environment's Python; else empty. A fixed release
    the folder does not hold, or whose Requires-Python cannot be read, may install: nothing is said."""
    python = environment.markers.get("python_full_version")
    admitted = [version for version in escaping if not excluded_by[version]]
    files = [[release for release in folder if release.version == version] for version in admitted]
    if not python or not admitted or not all(files):
        return ""
    refused: list[str] = []
    for release in (release for same_version in files for release in same_version):
        try:
            requires_python = _refused_python(_core_metadata(release.file), python)
        except (UnusableInput, InvalidSpecifier):
            return ""  # the way-out search notes what is wrong with the file
        if requires_python is None:
            return ""
        refused.append(requires_python)
    return "; ".join(dict.fromkeys(refused))


def _refused_python(metadata: dict, python: str) -> str | None:
    """The release's Requires-Python if it excludes *python*, else None (also when it has none).
    An unreadable one raises InvalidSpecifier."""
    requires_python = metadata.get("requires_python")
    if requires_python and not SpecifierSet(requires_python).contains(python, prereleases=True):
        return str(requires_python)
    return None


def _install(fixed_from: str, narrowing: tuple[Edge, ...], fixing: tuple[Version, ...],
             escaping: tuple[Version, ...], fixable: list[Vulnerability],
             excluded_by: dict[Version, tuple[Edge, ...]]) -> str:
    """What to ask the installer for: the fixed range, less what the requirements that exclude
    its start leave out of it (botocore's ``!=2.2.0``); the installer applies the rest of them."""
    leaving_out = [one for edge in narrowing for one in edge.requirement.specifier
                   if not one.contains(fixing[0], prereleases=True)]
    lower = [Version(one.version) for one in leaving_out if one.operator in (">=", ">")]
    if lower and max(lower) > fixing[0] and any(affects(v, max(lower)) for v in fixable):
        # A requirement's lower bound (>=2) lands before a later branch's fix (2.0.7): ask for
        # the lowest fixed release everything admits instead.
        admitted = [p for p in fixing if not excluded_by[p]]
        return f">={next((c for c in escaping if c in admitted), admitted[0])}"
    return _joined([Specifier(fixed_from), *leaving_out])


def _joined(specifiers: list[Specifier]) -> str:
    """``>=2.2.0,!=2.2.0``: in the order given, once each, and of the lower bounds only the highest
    (``>=1.26.18`` and ``>=2`` read ``>=2``)."""
    lower = [one for one in specifiers if one.operator in (">=", ">")]
    highest = max(lower, key=lambda one: (Version(one.version), one.operator == ">"), default=None)
    kept = [one for one in specifiers if one.operator not in (">=", ">") or one is highest]
    return ",".join(dict.fromkeys(map(str, kept)))


def _advisory_verdict(vulnerability: Vulnerability, installed: Version, probes: tuple[Version, ...],
                      edges: list[Edge], excluded_by: dict[Version, tuple[Edge, ...]]) -> AdvisoryVerdict:
    """One advisory's own verdict: could a release that escapes it, whatever the others say, be installed?"""
    fixes = tuple(str(f) for f in _useful_fixes(vulnerability, installed))
    after = _fixed_after(vulnerability, installed)
    escaping = [p for p in probes if not affects(vulnerability, p)]
    if not escaping:
        return AdvisoryVerdict(vulnerability.id, fixes, False, after)
    blocking = _blocking(edges, [excluded_by[p] for p in escaping])
    if blocking is None:
        return AdvisoryVerdict(vulnerability.id, fixes, True, after, "upgradable")
    return AdvisoryVerdict(vulnerability.id, fixes, False, after, "blocked",
                           tuple(f"{edge.source} requires {edge.written}" for edge in blocking))


def _blocking(edges: list[Edge], excluded_by: list[tuple[Edge, ...]]) -> list[Edge] | None:
    """None if some fixed release is excluded by nothing; else the requirements that block: those
    that exclude every fixed release, or if none does alone, those that block together."""
    if not all(excluded_by):
        return None
    alone = [edge for edge in edges if all(edge in excluding for excluding in excluded_by)]
    return alone or _together(edges, excluded_by)


def _together(edges: list[Edge], excluded_by: list[tuple[Edge, ...]]) -> list[Edge]:
    """The requirements that together exclude every fixed release: each one that is alone in
    excluding some of them; for a release several exclude and none of those is named yet, all of them."""
    named = {excluding[0] for excluding in excluded_by if len(excluding) == 1}
    for excluding in excluded_by:
        if not named & set(excluding):
            named |= set(excluding)
    return [edge for edge in edges if edge in named]


def _fixed_from(lowest: Version, escaping: tuple[Version, ...], fixable: list[Vulnerability],
                installed: Version) -> str:
    """The start of the fixed releases as a specifier: ``>=`` the lowest if it is a named release,
    else ``>`` the last affected version it follows (OSV ``last_affected``: no release is named)."""
    if lowest in escaping:
        return f">={lowest}"
    after = [Version(last) for v in fixable for last in _fixed_after(v, installed) if Version(last) < lowest]
    return f">{max(after)}" if after else f">={lowest}"


def _fixed_after(vulnerability: Vulnerability, installed: Version) -> tuple[str, ...]:
    if vulnerability.advisory is None:
        return ()
    return tuple(str(v) for v in vulnerability.advisory.last_affected_versions(vulnerability.package)
                 if v >= installed)


# -- which releases an advisory affects -------------------------------------------------------------

def affects(vulnerability: Vulnerability, version: Version) -> bool:
    """True if *vulnerability* affects *version* of its package (see the module's docstring)."""
    if vulnerability.advisory is not None:
        return vulnerability.advisory.affects(vulnerability.package, version)
    installed = _version(vulnerability.version)
    if installed is not None and version == installed:
        return True
    useful = _useful_fixes(vulnerability, installed)
    at_or_before = [fix for fix in useful if fix <= version]
    if not at_or_before:
        return True
    later = [fix for fix in useful if fix > version]
    # Before a later fix on that fix's own branch: that branch was affected until its fix.
    return bool(later) and _branch(later[0]) == _branch(version)


def _branch(version: Version) -> tuple[int, int]:
    """major.minor, with 2 read as 2.0 (Version("2").release is only (2,))."""
    major, minor = (*version.release, 0)[:2]
    return major, minor


def _useful_fixes(vulnerability: Vulnerability, installed: Version | None) -> list[Version]:
    """The named fixes newer than the installed version, lowest first (older ones fixed older branches)."""
    fixes = {v for v in map(_version, vulnerability.fix_versions) if v is not None}
    return sorted(v for v in fixes if installed is None or v > installed)


def _candidates(installed: Version, found: list[Vulnerability], specifiers: Iterable[SpecifierSet],
                folder: list[_Release]) -> tuple[Version, ...]:
    """The releases weighed as fixes: newer than *installed*, named by an advisory, a requirement
    or the folder."""
    named: set[Version] = {fix for v in found for fix in _useful_fixes(v, installed)}
    for v in found:
        if v.advisory is not None:
            named |= set(v.advisory.fixed_versions(v.package))
    for specifier in specifiers:
        # Only the versions a requirement admits: a cap (<3) or an exclusion (!=2.2.0) names a
        # version it keeps out, which need not exist and is no fix to offer.
        named |= {v for v in _named_by(specifier) if _admits(specifier, v)}
    named |= {release.version for release in folder}
    return tuple(sorted(v for v in named if v > installed))


def _probes(installed: Version, found: list[Vulnerability], specifiers: Iterable[SpecifierSet],
            folder: list[_Release], candidates: tuple[Version, ...]) -> tuple[Version, ...]:
    """The named candidates, and the versions around every boundary the advisories and the
    requirements name (see :func:`pinlab.specifiers.versions_around`), newer than *installed*."""
    boundaries: set[Version] = {installed, *candidates, *(release.version for release in folder)}
    for v in found:
        boundaries |= set(_useful_fixes(v, installed))
        if v.advisory is not None:
            boundaries |= set(v.advisory.boundaries(v.package))
    for specifier in specifiers:
        boundaries |= _named_by(specifier)
    return tuple(sorted({*candidates, *(v for v in versions_around(boundaries) if v > installed)}))


def _named_by(specifier: SpecifierSet) -> set[Version]:
    named = set()
    for one in specifier:
        version = _version(one.version.removesuffix(".*"))
        if version is not None:
            named.add(version)
    return named


def _admits(specifier: SpecifierSet, version: Version) -> bool:
    # A fix may itself be a pre-release (1.0a28): the question is whether the requirement allows it.
    return specifier.contains(version, prereleases=True)


def fixed_versions(installed: Version, fixes_per_advisory: Iterable[Iterable[str]]) -> tuple[Version, ...]:
    """The named fixes newer than *installed* that fix every fixable advisory (by fix versions only).

    An advisory with no fix newer than *installed* is left out: it is reported, and blocks nothing.
    """
    found = [Vulnerability(f"advisory {number}", "package", str(installed), tuple(fixes))
             for number, fixes in enumerate(fixes_per_advisory)]
    candidates = _candidates(installed, found, (), [])
    fixable = [v for v in found if any(not affects(v, c) for c in candidates)]
    if not fixable:
        return ()
    return tuple(c for c in candidates if not any(affects(v, c) for v in fixable))


# -- the way out: a newer release of a blocker ------------------------------------------------------

def _way_out(edge: Edge, found: list[Vulnerability], fixable: list[Vulnerability], installed: Version,
             escaping: tuple[Version, ...], releases: dict[str, list[_Release]], environment: Environment,
             notes: list[str]) -> WayOut | None:
    """The newest release of the blocker in the folder, newer than the installed one, that this
    interpreter can install and whose requirement admits a release fixing every advisory (or
    that no longer requires the package). One with no collision with what is installed comes
    first; an sdist whose requirements are unknown is offered only if nothing better is found."""
    blocker = _version(edge.source.version)
    if blocker is None:
        notes.append(f"--find-links: {edge.source} has a version that is not comparable (not PEP 440): "
                     "its newer releases were not looked for")
        return None
    extras = {""} | {extra for e in environment.edges if e.target.key == edge.source.key
                     for extra in e.requirement.extras}
    found_ways: list[WayOut] = []
    for release in sorted(releases.get(edge.source.key, []), key=lambda r: r.version, reverse=True):
        if release.version <= blocker:
            break
        way = _consider(release, edge, found, fixable, installed, escaping, releases, environment, extras, notes)
        if way is not None:
            found_ways.append(way)
    for wanted in (lambda w: w.known and not w.collisions, lambda w: w.known, lambda w: True):
        for way in found_ways:
            if wanted(way):
                return way
    return None


def _consider(release: _Release, edge: Edge, found: list[Vulnerability], fixable: list[Vulnerability],
              installed: Version, escaping: tuple[Version, ...], releases: dict[str, list[_Release]],
              environment: Environment, extras: set[str], notes: list[str]) -> WayOut | None:
    name = f"{edge.source.name} {release.version}"
    if release.tags is not None and environment.tags is not None and not release.tags & environment.tags:
        notes.append(f"--find-links: {release.file.name} is not for this interpreter "
                     f"(Python {environment.markers.get('python_full_version', '?')}): skipped")
        return None
    if release.tags is not None and environment.tags is None:
        notes.append("--find-links: this interpreter's wheel tags are not known (neither packaging nor a known "
                     "platform): wheels were not checked against them")
    try:
        metadata = _core_metadata(release.file)
    except UnusableInput as exc:
        notes.append(f"--find-links: {exc}: skipped")
        return None
    python = environment.markers.get("python_full_version")
    if python:
        try:
            requires_python = _refused_python(metadata, python)
        except InvalidSpecifier:
            notes.append(f"--find-links: {release.file.name}: invalid Requires-Python "
                         f"{metadata.get('requires_python')!r}: skipped")
            return None
        if requires_python is not None:
            notes.append(f"--find-links: {name} requires Python {requires_python}, not {python}: skipped")
            return None
    if release.tags is None and not _says_its_requirements(metadata):
        return WayOut(name, release.file.name, None, None, known=False)
    try:
        requirements = [(Requirement(written), written) for written in metadata.get("requires_dist", [])]
    except InvalidRequirement as exc:
        notes.append(f"--find-links: {release.file.name}: invalid Requires-Dist ({exc}): skipped")
        return None
    active = [(r, w) for r, w in requirements if applies(r, environment.markers, extras)]
    on_package = [(r, w) for r, w in active if canonicalize_name(r.name) == edge.target.key]
    if on_package:
        specifiers = [r.specifier for r, _ in on_package]
        candidates = set(escaping) | {c for s in specifiers for c in _named_by(s) if c > installed}
        fixing = sorted(c for c in candidates if not any(affects(v, c) for v in fixable))
        admitted = [c for c in fixing if all(_admits(s, c) for s in specifiers)]
        if not admitted:
            return None
        written: str | None = "; ".join(w for _, w in on_package)
        admits: str | None = str(admitted[0])
    else:
        written, admits = None, str(escaping[0])
    collisions, upgrades = [], []
    for requirement, text in active:
        dist = environment.get(requirement.name)
        if canonicalize_name(requirement.name) == edge.target.key or dist is None \
                or _installed_satisfies(requirement.specifier, dist.version):
            continue
        against = _contradicting(requirement, environment, dist, edge.source)
        if against:
            collisions.append(f"{text}, but {'; '.join(f'{e.source} requires {e.written}' for e in against)}")
        else:
            upgrades.append(Upgrade(dist.name, dist.version, text))
    return WayOut(name, release.file.name, written, admits, True, tuple(collisions), tuple(upgrades))


def _contradicting(requirement: Requirement, environment: Environment, dist: Installed,
                   blocker: Installed) -> list[Edge]:
    """The installed requirements on *dist* (other than the blocker's own) that admit none of the
    versions *requirement* admits, among the versions either of them names."""
    others = [e for e in environment.requirements_on(dist.name) if e.source.key not in (blocker.key, dist.key)]
    named = _named_by(requirement.specifier) | {v for e in others for v in _named_by(e.requirement.specifier)}
    wanted = [v for v in named if _admits(requirement.specifier, v)]
    return [e for e in others if wanted and not any(_admits(e.requirement.specifier, v) for v in wanted)]


def _installed_satisfies(specifier: SpecifierSet, version: str) -> bool:
    parsed = _version(version)
    return parsed is not None and _admits(specifier, parsed)


def _says_its_requirements(metadata: dict) -> bool:
    """True if an sdist's PKG-INFO can be trusted for Requires-Dist: Metadata-Version 2.2 or
    later (PEP 643), with Requires-Dist not dynamic. Before that, an empty one means nothing."""
    try:
        recent = Version(metadata.get("metadata_version", "1.0")) >= Version("2.2")
    except InvalidVersion:
        return False
    return recent and "requires-dist" not in {field.lower() for field in metadata.get("dynamic", [])}


def _core_metadata(file: Path) -> dict:
    """A wheel's ``*.dist-info/METADATA`` or an sdist's ``PKG-INFO``, parsed by packaging.metadata."""
    label = f"{file.name} is not a usable {'wheel' if file.name.endswith('.whl') else 'sdist'}"
    try:
        if file.name.endswith(".whl"):
            with zipfile.ZipFile(file) as archive:
                found = [n for n in archive.namelist() if len(PurePosixPath(n).parts) == 2
                         and PurePosixPath(n).parent.suffix == ".dist-info" and PurePosixPath(n).name == "METADATA"]
                if len(found) != 1:
                    raise UnusableInput(f"{label} ({'no' if not found else 'more than one'} .dist-info/METADATA)")
                text = archive.read(found[0]).decode("utf-8", errors="replace")
        else:
            with tarfile.open(file, "r:gz") as archive:
                member = next((m for m in archive.getmembers() if len(PurePosixPath(m.name).parts) == 2
                               and PurePosixPath(m.name).name == "PKG-INFO" and m.isfile()), None)
                handle = archive.extractfile(member) if member is not None else None
                if handle is None:
                    raise UnusableInput(f"{label} (no PKG-INFO in its top folder)")
                text = handle.read().decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        raise UnusableInput(f"{label} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
    raw, _unparsed = parse_email(text)
    return dict(raw)


def _releases(folder: Path, notes: list[str]) -> dict[str, list[_Release]]:
    """Wheels and sdists in *folder* by project (file names parsed by packaging)."""
    if not folder.is_dir():
        raise UnusableInput(f"--find-links {folder.as_posix()}: not a folder")
    found: dict[str, list[_Release]] = {}
    for file in sorted(folder.iterdir()):
        try:
            if file.name.endswith(".whl"):
                name, version, _build, tags = parse_wheel_filename(file.name)
                release = _Release(version, file, frozenset(map(str, tags)))
            elif file.name.endswith(".tar.gz"):
                name, version = parse_sdist_filename(file.name)
                release = _Release(version, file, None)
            else:
                continue  # not a distribution: a folder of links may hold other files
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            notes.append(f"--find-links: {file.name} is not named as a wheel or an sdist is: skipped")
            continue
        found.setdefault(str(name), []).append(release)
    return found


def _same_version(one: str, other: str) -> bool:
    parsed = _version(one), _version(other)
    return parsed[0] == parsed[1] if None not in parsed else one == other


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


# -- vulnerability data --------------------------------------------------------------------------

def check_not_empty(environment: Environment, label: str) -> None:
    """Refuse an environment with no distributions: there would be nothing to explain."""
    if not environment.distributions:
        raise UnusableInput(f"{label}: no distribution is installed in that environment: nothing to check")


def from_audit_json(path: str | Path, environment: Environment) -> Vulnerabilities:
    """The vulnerabilities in a pip-audit or uv audit JSON report, checked against *environment*.

    Refused (:class:`UnusableInput`): a report that audited nothing, and one made for another
    environment (most of what it names is not installed at that version). Entries that do not
    match are noted, and the installed packages they concern are *not checked*.
    """
    label = f"--audit-json {Path(path).as_posix()}"
    data = read_audit_file(path, label)
    return _from_audit(data, environment, label)


# pip-audit's skip reason for a package its PyPI service does not know (pip_audit/_service/pypi.py).
_NOT_ON_PYPI = "not found on PyPI"


def _from_audit(data: AuditData, environment: Environment, label: str) -> Vulnerabilities:
    if data.audited == 0:
        skipped = [p for p in data.packages if p.skip_reason is not None]
        if skipped:
            first = skipped[0]
            raise UnusableInput(f"{label}: {data.tool} audited nothing: all {len(skipped)} dependencies were "
                                f"skipped ({first.name}: {first.skip_reason})")
        raise UnusableInput(f"{label}: {data.tool} audited nothing: the report lists no package")
    audited = [p for p in data.packages if p.skip_reason is None]
    mismatched = [p for p in audited if not _installed_as(environment, p.name, p.version)]
    if audited and len(mismatched) * 2 > len(audited):
        example = mismatched[0]
        dist = environment.get(example.name)
        here = f"{dist.version} is installed" if dist is not None else "not installed"
        raise UnusableInput(
            f"{label}: made for another environment: {len(mismatched)} of the {len(audited)} packages it names "
            f"are not installed here at that version (e.g. {example.name} {example.version}: {here}); "
            f"run {data.tool} on this environment, or give explain its --python")
    notes: list[str] = []
    not_checked: list[str] = []
    found: list[Vulnerability] = []
    for package in data.packages:
        if package.skip_reason is not None:
            dist = environment.get(package.name)
            if dist is not None and _NOT_ON_PYPI in package.skip_reason and _from_local_folder(dist):
                # The project itself, installed from its folder to be audited (the CI recipe):
                # PyPI does not have it. The note says what happened, not that it is safe.
                notes.append(f"{data.tool} skipped {dist}: not on PyPI, and installed from a local folder (the "
                             "project itself?): no advisory was looked up for it")
            elif dist is not None and _NOT_ON_PYPI in package.skip_reason:
                # PyPI answered 404 for NAME/VERSION: a local version (torch 2.5.1+cpu, a
                # setuptools-scm +g<hash> build), a deleted release, a private package. Any of
                # them may carry a public advisory that pip-audit never looked up.
                not_checked.append(f"{dist}: {data.tool} could not find this release on PyPI "
                                   f"({_why_not_on_pypi(dist)}), so it was not audited")
            elif dist is not None:
                not_checked.append(f"{dist}: {data.tool} skipped it ({package.skip_reason})")
            continue
        dist = environment.get(package.name)
        if dist is None:
            notes.append(f"{data.tool}'s report names {package.name} {package.version}, "
                         "which is not installed in this environment")
        elif not _same_version(dist.version, package.version or ""):
            not_checked.append(f"{dist}: the report audited {package.version}: run {data.tool} again")
        else:
            found += package.vulns
    if data.lists_every_package:
        named = {p.name for p in data.packages}
        missing = [dist for dist in environment.distributions if dist.key not in named]
        if missing:
            not_checked.append(f"{_counted(missing)} not in the report: {_first_few(missing)}")
        return Vulnerabilities(tuple(found), tuple(notes), tuple(not_checked))
    # uv audit audits a project's lock, and its report names only the vulnerable packages: of the
    # others it says how many it audited (summary.audited_packages), never which, nor at which
    # version. A count cannot show that a package was audited at its installed version (the lock
    # audited, then `uv pip install idna==3.6` in the environment: the counts still match), nor
    # that what came from a local folder (tool.uv.sources path = ...) was looked up: so every
    # installed distribution the report does not name is not checked, always.
    named_here = {p.name for p in data.packages if _installed_as(environment, p.name, p.version)}
    unshown = [dist for dist in environment.distributions if dist.key not in named_here]
    if unshown:
        not_checked.append(
            f"{_counted(unshown)} not shown to be audited: {data.tool} audited {data.audited} "
            f"package{'s' * (data.audited != 1)} (a project's lock), this environment has "
            f"{len(environment.distributions)}, and its report names only the vulnerable ones: {_first_few(unshown)}")
    return Vulnerabilities(tuple(found), tuple(notes), tuple(not_checked))


def _from_local_folder(dist: Installed) -> bool:
    """True if *dist* was installed from a folder (PEP 610: a ``file:`` URL that is no archive):
    the project itself, editable or not."""
    url = (dist.direct_url or "").lower()
    return url.startswith("file:") and not url.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"))


def _why_not_on_pypi(dist: Installed) -> str:
    """A guess at why PyPI has no such release, for the reader to check."""
    version = _version(dist.version)
    if version is not None and version.local is not None:
        return "a local version?"
    return "a private package, or a release deleted from PyPI?"


def _counted(dists: list[Installed]) -> str:
    return f"{len(dists)} installed distribution{'s' * (len(dists) != 1)}"


def _first_few(dists: list[Installed]) -> str:
    return ", ".join(map(str, dists[:3])) + (", ..." if len(dists) > 3 else "")


def _installed_as(environment: Environment, name: str, version: str | None) -> bool:
    dist = environment.get(name)
    return dist is not None and version is not None and _same_version(dist.version, version)


def from_advisories(folder: str | Path, environment: Environment) -> Vulnerabilities:
    """The OSV records in *folder* that affect an installed version, with notes on records that
    did not load or say no PyPI version they affect."""
    from .advisories import load_advisories

    folder = Path(folder)
    label = f"--advisories {folder.as_posix()}"
    if not folder.is_dir():
        raise UnusableInput(f"{label}: not a folder")
    database = load_advisories(folder)
    if not database.advisories and database.problems:
        raise UnusableInput(f"{label}: no record could be loaded ({database.problems[0]})")
    if not database.advisories:
        raise UnusableInput(f"{label}: no OSV records (*.json) in this folder")
    notes = [f"not loaded: {problem}" for problem in database.problems]
    unordered = [advisory for advisory in database.advisories if not advisory.says_pypi_versions]
    if unordered:
        shown = ", ".join(a.id for a in unordered[:5]) + (", ..." if len(unordered) > 5 else "")
        one = len(unordered) == 1
        notes.append(f"{len(unordered)} {'record names' if one else 'records name'} no PyPI version "
                     f"{'it affects' if one else 'they affect'} (no PyPI 'affected' entry, or only GIT or SEMVER "
                     f"ranges), so {'it was' if one else 'they were'} not used: {shown}")
    vulnerabilities, not_checked = [], []
    # A record that did not load may be the one about an installed package, and a folder with no
    # PyPI record was filled with something else (npm's records): neither is an all-clear.
    if database.problems:
        count = len(database.problems)
        not_checked.append(f"{count} record{'s' * (count != 1)} of {label} could not be loaded (see the notes): "
                           "what they say about the installed distributions is not known")
    if not any(advisory.says_pypi_versions for advisory in database.advisories):
        not_checked.append(f"no record of {label} says which versions of a PyPI package it affects: "
                           f"nothing installed was checked against it")
    for dist in environment.distributions:
        named = [a for a in database.advisories if a.withdrawn is None and a.names(dist.name)]
        if not named:
            continue
        if _version(dist.version) is None:
            not_checked.append(f"{dist}: version not comparable (not PEP 440), skipped")
            continue
        for advisory in named:
            if not advisory.says_pypi_versions:
                not_checked.append(f"{dist}: {advisory.id} names it but no version it affects")
            elif advisory.affects(dist.name, dist.version):
                fixed = tuple(map(str, advisory.fixed_versions(dist.name)))
                vulnerabilities.append(Vulnerability(advisory.id, dist.key, dist.version, fixed,
                                                     tuple(advisory.aliases), advisory.summary, advisory))
    return Vulnerabilities(tuple(vulnerabilities), tuple(notes), tuple(not_checked))


# -- output ---------------------------------------------------------------------------------------

def format_text(explanation: Explanation) -> str:
    """The explanation as a reader wants it in a terminal."""
    lines: list[str] = []
    for v in explanation.verdicts:
        also = f" (alias {', '.join(v.aliases)})" if v.aliases else ""
        lines.append(f"{v.package} {v.version} is vulnerable: {', '.join(v.advisories)}{also}")
        if len(v.each_advisory) == 1:
            (only,) = v.each_advisory
            lines.append(f"  fixed in: {_fixed_in(only) or 'no fixed version is known'}")
        else:
            # Each advisory's own verdict, where two or more have a fix: one may be installable
            # today though the release fixing them all is blocked.
            several = sum(advisory.verdict != "no fix" for advisory in v.each_advisory) > 1
            for advisory in v.each_advisory:
                if advisory.verdict == "no fix":
                    lines.append(f"  {advisory.id} fixed in: no release newer than {v.version} is known")
                    continue
                alone = "upgradable" if advisory.fixable else f"BLOCKED by {'; '.join(advisory.blocked_by)}"
                lines.append(f"  {advisory.id} fixed in: {_fixed_in(advisory)}" + (f" (on its own: {alone})" * several))
        lines.append(f"  path: {_chain(v.path)}")
        lowest = v.fixed_from[2:] if v.fixed_from[2:] in v.fixed else f"the releases {_from(v.fixed_from)}"
        if v.verdict == "upgradable" and v.narrowed_by:
            lowest = lowest if v.fixed_from[2:] in v.fixed else f"the first release {_from(v.fixed_from)}"
            lines.append(f"  upgradable: {lowest} is excluded by {'; '.join(v.narrowed_by)}, but not every later "
                         f"fixed release (install {v.install})")
        elif v.verdict == "upgradable":
            lines.append(f"  upgradable: nothing installed excludes {lowest} (install {v.install})")
        elif v.verdict == "blocked" and v.requires_python:
            lines.append(f"  BLOCKED: every fixed release in the --find-links folder ({_some(v.fixed)}) requires "
                         f"Python {v.requires_python}, this environment has "
                         f"{v.python}")
        elif v.verdict == "blocked":
            some = _some(v.fixed) if v.fixed else f"every release {_from(v.fixed_from)}"
            lines.append(f"  BLOCKED: {some} is excluded by")
            for blocker in v.blockers:
                lines.append(f"    {blocker}")
                lines.append(f"      path: {_chain(blocker.path)}")
                if blocker.way_out is not None:
                    lines += _way_out_lines(blocker.way_out, v.package)
        elif any(advisory.verdict != "no fix" for advisory in v.each_advisory):
            lines.append("  no fix: no known release fixes all of them at once")
        else:
            lines.append("  no fix: no release fixes it yet")
        unfixed = [a.id for a in v.each_advisory if a.verdict == "no fix"]
        if unfixed and len(v.each_advisory) > 1 and v.verdict != "no fix":
            lines.append(f"  (no newer release is known to fix {', '.join(unfixed)}: the verdict is for the others)")
    for note in explanation.notes:
        lines.append(f"note: {note}")
    for item in explanation.not_checked:
        lines.append(f"not checked: {item}")
    blocked = sum(1 for v in explanation.verdicts if v.verdict == "blocked")
    # Each "not checked" line may count many distributions or records: the summary points at them
    # rather than counting lines, which would read as a count of packages.
    unchecked = "; not everything could be checked (see 'not checked' above)" if explanation.not_checked else ""
    if not explanation.verdicts:
        if explanation.not_checked:
            lines.append(f"No known vulnerability in what was checked{unchecked}.")
        else:
            lines.append(f"No known vulnerability in the {explanation.installed} installed distributions.")
    else:
        count = len(explanation.verdicts)
        lines.append(f"{count} vulnerable package{'s' * (count != 1)}, {blocked} blocked{unchecked}.")
    return "\n".join(lines)


def _from(fixed_from: str) -> str:
    """``after 2.2.2`` for ``>2.2.2``, ``from 3.9.10 on`` for ``>=3.9.10``: where fixed releases start
    when none of them is named."""
    return f"from {fixed_from[2:]} on" if fixed_from.startswith(">=") else f"after {fixed_from[1:]}"


def _fixed_in(advisory: AdvisoryVerdict) -> str:
    """``1.0a28``; ``any release after 2.2.2`` for an OSV ``last_affected``."""
    return ", ".join([*advisory.fixed, *(f"any release after {last}" for last in advisory.fixed_after)])


def _way_out_lines(out: WayOut, package: str) -> list[str]:
    if not out.known:
        return [f"      way out, perhaps: {out.release} ({out.file}), an sdist that does not say what it "
                f"requires: unknown, build it to know"]
    if out.requirement:
        admits = f"which requires {out.requirement} and so admits {out.admits}"
    else:
        admits = f"which no longer requires {package}"
    lines = [f"      way out: upgrade to {out.release} ({out.file}), {admits}"]
    if out.upgrades:
        lines.append(f"        it also needs a newer {', '.join(u.name for u in out.upgrades)} than installed")
    for collision in out.collisions:
        lines.append(f"        COLLIDES: it also requires {collision}")
    return lines


def _some(versions: tuple[str, ...]) -> str:
    """``1.0a28``, ``1.0a28 or 2.0``, ``0.5.0, 0.5.1 or later releases``."""
    if len(versions) <= 2:
        return " or ".join(versions)
    return f"{', '.join(versions[:2])} or later releases"


def _chain(path: tuple[str, ...]) -> str:
    """``a 1.0 (installed directly) -> b 2.0``: the first one is what the user installed."""
    if not path:
        return "?"
    return " -> ".join((f"{path[0]} (installed directly)", *path[1:]))


def as_json(explanation: Explanation) -> dict:
    """The explanation for machines."""
    return {
        "vulnerable": [asdict(verdict) for verdict in explanation.verdicts],
        "installed": explanation.installed,
        "notes": list(explanation.notes),
        "not_checked": list(explanation.not_checked),
        "blocked": sum(1 for v in explanation.verdicts if v.verdict == "blocked"),
    }

