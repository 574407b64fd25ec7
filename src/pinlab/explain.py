"""``pinlab explain``: for each vulnerable installed package, can its fix be installed, and if not, why not?

pip-audit says which installed package is vulnerable and which versions fix it. It does not say
what keeps those versions out. This module crosses the vulnerabilities with the environment's
installed requirements: a fix is *blocked* by every installed distribution whose requirement on
the vulnerable package admits none of the fixed versions (``toyhost-export 0.3a1 requires
toyhost==1.0a27``). For each blocker it gives the chain of requirements from what the user
installed directly, and, given a folder of newer releases (``--find-links``), the release of the
blocker whose requirement lets a fix in: the way out.

Vulnerabilities come from pip-audit's JSON report or from a folder of OSV records.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from .environment import Edge, Environment, Installed, applies
from .requirements import UnusableInput, read_sdist, read_wheel


@dataclass(frozen=True)
class Vulnerability:
    """One advisory against one installed package."""

    id: str
    """The advisory's id (``PYSEC-...``, ``GHSA-...``)."""
    package: str
    """The vulnerable package's name, normalised."""
    version: str
    """The installed version the advisory affects."""
    fixed: tuple[str, ...]
    """Every version the advisory names as fixed."""
    aliases: tuple[str, ...] = ()
    """Other ids of the same vulnerability (a CVE ...)."""


@dataclass(frozen=True)
class WayOut:
    """A newer release of a blocker, in the ``--find-links`` folder, that admits a fixed version."""

    release: str
    """``name version`` of that release."""
    file: str
    """Its file name in the folder."""
    requirement: str | None
    """Its requirement on the vulnerable package, as written; None if it no longer has one."""


@dataclass(frozen=True)
class Blocker:
    """An installed distribution whose requirement admits none of the fixed versions."""

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
class Verdict:
    """One vulnerable installed package, and whether a fixed version could be installed."""

    package: str
    """The vulnerable package's name, as installed."""
    version: str
    """The installed version."""
    advisories: tuple[str, ...]
    """The ids of the advisories that affect it."""
    aliases: tuple[str, ...]
    """Other ids of the same vulnerabilities (CVE ...)."""
    fixed: tuple[str, ...]
    """The fixed versions newer than the installed one that fix every advisory, lowest first."""
    verdict: str
    """``upgradable``, ``blocked``, or ``no fix`` (no fixed version is known)."""
    blockers: tuple[Blocker, ...]
    """For ``blocked``: every installed distribution whose requirement admits none of ``fixed``."""
    path: tuple[str, ...]
    """How the vulnerable package got here, from something installed directly."""


@dataclass(frozen=True)
class Explanation:
    """Every vulnerable installed package and its verdict."""

    verdicts: tuple[Verdict, ...]
    """One per vulnerable installed package, by name."""
    installed: int
    """How many distributions the environment has."""
    notes: tuple[str, ...] = ()
    """What in the vulnerability data did not apply to this environment, and why."""

    @property
    def exit_status(self) -> int:
        """1 if some fix is blocked, else 0."""
        return 1 if any(verdict.verdict == "blocked" for verdict in self.verdicts) else 0


def explain(environment: Environment, vulnerabilities: Iterable[Vulnerability],
            find_links: str | Path | None = None, notes: Iterable[str] = ()) -> Explanation:
    """The verdict for each vulnerable package of *environment*."""
    by_package: dict[str, list[Vulnerability]] = {}
    for vulnerability in vulnerabilities:
        by_package.setdefault(vulnerability.package, []).append(vulnerability)
    releases = _releases(Path(find_links)) if find_links is not None else {}
    verdicts = []
    for package, found in sorted(by_package.items()):
        dist = environment.get(package)
        if dist is not None:
            verdicts.append(_verdict(environment, dist, found, releases))
    return Explanation(tuple(verdicts), len(environment.distributions), tuple(notes))


def _verdict(environment: Environment, dist: Installed, found: list[Vulnerability],
             releases: dict[str, list[tuple[Version, Path]]]) -> Verdict:
    ids = tuple(v.id for v in found)
    aliases = tuple(alias for v in found for alias in v.aliases)
    path = tuple(map(str, environment.path_to(dist.name)))
    fixed = fixed_versions(Version(dist.version), [v.fixed for v in found])
    if not fixed:
        return Verdict(dist.name, dist.version, ids, aliases, (), "no fix", (), path)
    blockers = tuple(
        Blocker(str(edge.source), edge.written, tuple(map(str, environment.path_to(edge.source.name))),
                _way_out(edge, fixed, releases, environment))
        for edge in environment.requirements_on(dist.name)
        if edge.source.key != dist.key and not _admits_any(edge.requirement.specifier, fixed)
    )
    return Verdict(dist.name, dist.version, ids, aliases, tuple(map(str, fixed)),
                   "blocked" if blockers else "upgradable", blockers, path)


def fixed_versions(installed: Version, fixes_per_advisory: Iterable[Iterable[str]]) -> tuple[Version, ...]:
    """The fixed versions worth installing: newer than *installed*, and fixing every advisory.

    Each advisory's fixes older than the installed version (fixes of older branches) do not help.
    A version fixes every advisory if it is at least the lowest useful fix of each; the answer is
    every named fix from the highest of those on. Empty if some advisory has no useful fix.
    """
    per_advisory = []
    for fixes in fixes_per_advisory:
        useful = sorted(v for v in map(_version, fixes) if v is not None and v > installed)
        if not useful:
            return ()
        per_advisory.append(useful)
    if not per_advisory:
        return ()
    floor = max(useful[0] for useful in per_advisory)
    return tuple(sorted({v for useful in per_advisory for v in useful if v >= floor}))


def _admits_any(specifier, versions: Iterable[Version]) -> bool:  # type: ignore[no-untyped-def]
    # A fix may itself be a pre-release (1.0a28): the question is whether the requirement allows it.
    return any(specifier.contains(version, prereleases=True) for version in versions)


def _way_out(edge: Edge, fixed: tuple[Version, ...], releases: dict[str, list[tuple[Version, Path]]],
             environment: Environment) -> WayOut | None:
    """The newest release of the blocker in the folder that is newer than the installed one and
    admits a fix (or no longer requires the package at all)."""
    installed = Version(edge.source.version)
    for version, file in sorted(releases.get(edge.source.key, []), reverse=True):
        if version <= installed:
            break
        source = read_wheel(file, file.name) if file.name.endswith(".whl") else read_sdist(file, file.name)
        on_package = [d for d in source.declared if canonicalize_name(d.requirement.name) == edge.target.key
                      and applies(d.requirement, environment.markers)]
        if all(_admits_any(d.requirement.specifier, fixed) for d in on_package):
            written = "; ".join(d.written for d in on_package) or None
            return WayOut(f"{source.project} {version}", file.name, written)
    return None


def _releases(folder: Path) -> dict[str, list[tuple[Version, Path]]]:
    """Wheels and sdists in *folder* by project (file names parsed by packaging)."""
    if not folder.is_dir():
        raise UnusableInput(f"--find-links {folder.as_posix()}: not a folder")
    found: dict[str, list[tuple[Version, Path]]] = {}
    for file in sorted(folder.iterdir()):
        try:
            if file.name.endswith(".whl"):
                name, version, _build, _tags = parse_wheel_filename(file.name)
            elif file.name.endswith(".tar.gz"):
                name, version = parse_sdist_filename(file.name)
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue  # not a distribution: a folder of links may hold other files
        found.setdefault(str(name), []).append((version, file))
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

def from_audit_json(path: str | Path, environment: Environment) -> tuple[tuple[Vulnerability, ...], tuple[str, ...]]:
    """The vulnerabilities in pip-audit's JSON report (``pip-audit -f json``), and notes on entries
    that do not match the environment (the report is older than the environment)."""
    path = Path(path)
    label = f"--audit-json {path.as_posix()}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnusableInput(f"{label}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnusableInput(f"{label}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UnusableInput(f"{label}: invalid JSON: {exc}") from None
    # pip-audit 2.x: {"dependencies": [{"name", "version", "vulns": [{"id", "fix_versions", "aliases"}]}], "fixes": [...]}
    dependencies = data.get("dependencies") if isinstance(data, dict) else None
    if not isinstance(dependencies, list):
        raise UnusableInput(f"{label}: not a pip-audit JSON report (no \"dependencies\" list)")
    vulnerabilities, notes = [], []
    for entry in dependencies:
        try:
            if "skip_reason" in entry or not entry["vulns"]:
                continue
            name, version = entry["name"], entry["version"]
            found = [Vulnerability(v["id"], name, version, tuple(v["fix_versions"]), tuple(v.get("aliases", ())))
                     for v in entry["vulns"]]
        except (KeyError, TypeError):
            raise UnusableInput(f"{label}: not a pip-audit JSON report (an entry lacks name, version or vulns)") from None
        dist = environment.get(name)
        if dist is None:
            notes.append(f"pip-audit's report names {name} {version}, which is not installed in this environment")
        elif not _same_version(dist.version, version):
            notes.append(f"pip-audit's report names {name} {version}, but {dist.version} is installed: run pip-audit again")
        else:
            vulnerabilities += found
    return tuple(vulnerabilities), tuple(notes)


def from_advisories(folder: str | Path, environment: Environment) -> tuple[tuple[Vulnerability, ...], tuple[str, ...]]:
    """The OSV records in *folder* that affect an installed version, and notes on records that did not load."""
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
    vulnerabilities = []
    for dist in environment.distributions:
        for advisory in database.query(dist.name, dist.version):
            fixed = tuple(map(str, advisory.fixed_versions(dist.name)))
            vulnerabilities.append(Vulnerability(advisory.id, dist.key, dist.version, fixed, tuple(advisory.aliases)))
    notes = tuple(f"not loaded: {problem}" for problem in database.problems)
    return tuple(vulnerabilities), notes


# -- output ---------------------------------------------------------------------------------------

def format_text(explanation: Explanation) -> str:
    """The explanation as a reader wants it in a terminal."""
    lines: list[str] = []
    for v in explanation.verdicts:
        also = f" (alias {', '.join(v.aliases)})" if v.aliases else ""
        lines.append(f"{v.package} {v.version} is vulnerable: {', '.join(v.advisories)}{also}")
        lines.append(f"  fixed in: {', '.join(v.fixed) or 'no fixed version is known'}")
        lines.append(f"  path: {_chain(v.path)}")
        if v.verdict == "upgradable":
            lines.append(f"  upgradable: nothing installed excludes {v.fixed[0]} (install {v.package}>={v.fixed[0]})")
        elif v.verdict == "blocked":
            lines.append(f"  BLOCKED: {' or '.join(v.fixed)} is excluded by")
            for blocker in v.blockers:
                lines.append(f"    {blocker}")
                lines.append(f"      path: {_chain(blocker.path)}")
                if blocker.way_out is not None:
                    out = blocker.way_out
                    admits = (f"which requires {out.requirement} and so admits {v.fixed[0]}" if out.requirement
                              else f"which no longer requires {v.package}")
                    lines.append(f"      way out: upgrade to {out.release} ({out.file}), {admits}")
        else:
            lines.append("  no fix: no release fixes it yet")
    for note in explanation.notes:
        lines.append(f"note: {note}")
    blocked = sum(1 for v in explanation.verdicts if v.verdict == "blocked")
    if not explanation.verdicts:
        lines.append(f"No known vulnerability in the {explanation.installed} installed distributions.")
    else:
        count = len(explanation.verdicts)
        lines.append(f"{count} vulnerable package{'s' * (count != 1)}, {blocked} blocked.")
    return "\n".join(lines)


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
        "blocked": sum(1 for v in explanation.verdicts if v.verdict == "blocked"),
    }
