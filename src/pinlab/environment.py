"""An installed environment as its own interpreter sees it: distributions, requirements, markers.

The environment is read by running a short ``importlib.metadata`` script
(:mod:`pinlab._inspect_environment`) inside the target interpreter (any Python 3.8+, with or
without pip), which prints JSON; nothing is scraped from human-readable text. Requirement
markers are then evaluated with *that* interpreter's values (its Python version and platform),
not with those of the Python running pinlab.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .process import Completed, Stopped, clean_env, run
from .requirements import Source, UnusableInput, from_requires_dist

# Runs in the target interpreter, standard library only (that interpreter may have neither pinlab
# nor packaging): a file of its own, so that it is linted and typed like the rest.
_SCRIPT = Path(__file__).with_name("_inspect_environment.py")

# A --python given by the user may be anything: a script that hangs, or prints without end.
# Reading even a few thousand distributions takes seconds and prints a few megabytes.
_TIMEOUT = 60
_MAX_OUTPUT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Installed:
    """One installed distribution."""

    name: str
    """Its name, as its metadata writes it."""
    version: str
    """Its version."""
    requires: tuple[str, ...]
    """Its ``Requires-Dist`` lines, as written (markers and extras included)."""
    direct_url: str | None = None
    """The URL it was installed from directly (PEP 610 ``direct_url.json``), if any."""

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class Edge:
    """One active requirement of an installed distribution on another installed distribution."""

    source: Installed
    """The distribution that declares the requirement."""
    requirement: Requirement
    """The requirement, parsed."""
    written: str
    """The requirement as written in the declaring distribution's metadata."""
    target: Installed
    """The installed distribution it names."""


@dataclass(frozen=True)
class Missing:
    """One active requirement of an installed distribution on a distribution that is not installed."""

    source: Installed
    """The distribution that declares the requirement."""
    requirement: Requirement
    """The requirement, parsed."""
    written: str
    """The requirement as written in the declaring distribution's metadata."""


@dataclass(frozen=True)
class Unreadable:
    """An installed distribution whose metadata cannot be read: it is installed, but cannot be judged."""

    folder: str
    """Its ``.dist-info`` (or ``.egg-info``) folder, as the target interpreter names it."""
    problem: str
    """What is wrong, e.g. ``its METADATA has no Name (it declares 1 requirement)``."""

    @property
    def label(self) -> str:
        return f"installed {Path(self.folder).name}"


@dataclass(frozen=True)
class Shadowed:
    """A later copy of an installed name: Python imports the first copy on sys.path, not this one."""

    name: str
    """The name, as the copy Python imports writes it."""
    version: str
    """This copy's version."""
    folder: str
    """This copy's folder."""
    used: str
    """The folder of the copy Python imports (first on sys.path)."""


@dataclass(frozen=True)
class Environment:
    """An interpreter's installed distributions and the values its markers are evaluated with."""

    markers: Mapping[str, str]
    """PEP 508 marker values of the target interpreter (``python_version``, ``sys_platform`` ...)."""
    distributions: tuple[Installed, ...]
    """Every installed distribution, one per name."""
    edges: tuple[Edge, ...] = field(default=(), repr=False)
    """Every requirement that applies in this environment and names an installed distribution."""
    tags: frozenset[str] | None = field(default=None, repr=False)
    """The wheel tags its interpreter accepts (``cp311-cp311-manylinux_2_17_x86_64`` ...), as
    :func:`packaging.tags.sys_tags` computes them there; None if not known."""
    missing: tuple[Missing, ...] = field(default=(), repr=False)
    """Every requirement that applies in this environment and names nothing installed."""
    unreadable: tuple[Unreadable, ...] = field(default=(), repr=False)
    """Distributions whose metadata cannot be read (no METADATA, no Name): not in :attr:`distributions`."""
    shadowed: tuple[Shadowed, ...] = field(default=(), repr=False)
    """Later copies of an installed name, which Python does not import: not in :attr:`distributions`."""

    @classmethod
    def of(cls, markers: Mapping[str, str], distributions: Iterable[Installed],
           tags: Iterable[str] | None = None, unreadable: Iterable[Unreadable] = (),
           shadowed: Iterable[Shadowed] = ()) -> Environment:
        """The environment made of *distributions*, its requirements evaluated with *markers*."""
        distributions = tuple(sorted(distributions, key=lambda dist: dist.key))
        edges, missing = _edges(distributions, markers)
        return cls(dict(markers), distributions, edges, frozenset(tags) if tags is not None else None, missing,
                   tuple(unreadable), tuple(shadowed))

    def get(self, name: str) -> Installed | None:
        key = canonicalize_name(name)
        return next((dist for dist in self.distributions if dist.key == key), None)

    def requirements_on(self, name: str) -> tuple[Edge, ...]:
        """The active requirements naming *name*."""
        key = canonicalize_name(name)
        return tuple(edge for edge in self.edges if edge.target.key == key)

    def excluding(self, name: str, version: Version) -> tuple[Edge, ...]:
        """The installed requirements that keep *version* of *name* out: the one rule of "what
        blocks a release", used by explain's verdicts, the sandbox's picture and its broken edges.

        A requirement counts if it applies here (its marker holds with this interpreter's values
        and an extra something installed asks for, see :attr:`edges`) and its specifier does not
        contain *version*, pre-releases allowed (a fix may itself be one, ``1.0a28``). The
        distribution's requirements on itself (``name[extra]``) are not counted.
        """
        key = canonicalize_name(name)
        return tuple(edge for edge in self.requirements_on(key)
                     if edge.source.key != key and not edge.requirement.specifier.contains(version, prereleases=True))

    def roots(self) -> tuple[Installed, ...]:
        """What the user installed directly: distributions nothing else requires, and those
        installed from a direct URL (PEP 610).

        The ``REQUESTED`` file is not used: uv writes it for every distribution it installs,
        requested or not (astral-sh/uv#13278), and the current spec calls it tool-specific.
        """
        required = {edge.target.key for edge in self.edges if edge.source.key != edge.target.key}
        return tuple(d for d in self.distributions if d.key not in required or d.direct_url)

    def path_to(self, name: str) -> tuple[Installed, ...]:
        """The shortest chain of requirements from a root to *name* (just *name* if it is a root)."""
        target = self.get(name)
        if target is None:
            return ()
        roots = self.roots()
        # Breadth-first from every root at once, so the first chain found is a shortest one.
        previous: dict[str, Installed | None] = {root.key: None for root in roots}
        queue = list(roots)
        while queue:
            current = queue.pop(0)
            if current.key == target.key:
                chain = [current]
                while (before := previous[chain[-1].key]) is not None:
                    chain.append(before)
                return tuple(reversed(chain))
            for edge in self.edges:
                if edge.source.key == current.key and edge.target.key not in previous:
                    previous[edge.target.key] = current
                    queue.append(edge.target)
        return (target,)  # only reachable through a cycle: no root leads to it


def read_environment(python: str | Path | None = None) -> Environment:
    """The environment of *python* (default: the interpreter running pinlab)."""
    python = Path(python) if python is not None else Path(sys.executable)
    label = f"--python {python.as_posix()}"
    if not python.exists():
        raise UnusableInput(f"{label}: no such file")
    if python.is_dir():  # a venv's folder, given for its interpreter
        inside = next((candidate for candidate in (python / "Scripts" / "python.exe", python / "bin" / "python",
                                                   python / "bin" / "python3", python / "python.exe")
                       if candidate.is_file()), None)
        hint = f"did you mean --python {inside.as_posix()}?" if inside else "no Python interpreter inside it"
        raise UnusableInput(f"{label}: a folder, not an interpreter ({hint})")
    import packaging

    kit_packaging = str(Path(packaging.__file__).parent)
    try:
        # -E, not -I: ignore PYTHON* variables, but the user's site-packages stay visible, as they
        # are to the user (the script drops its own folder from sys.path itself).
        result = run([python.absolute(), "-E", str(_SCRIPT), kit_packaging], env=clean_env(), merge_output=False,
                     timeout=_TIMEOUT, max_output=_MAX_OUTPUT)
    except OSError as exc:
        raise UnusableInput(f"{label}: cannot be run: {exc.strerror or exc}") from None
    except Stopped as exc:
        raise UnusableInput(f"{label}: not a Python interpreter that can list its packages "
                            f"(stopped: {exc.reason})") from None
    distributions, markers, tags, unreadable, shadowed = _listing(result)
    if distributions is None:
        if not result.ok:
            why = result.status + (f": {_last_line(result.output)}" if result.output.strip() else ", no output")
        else:
            why = f"its output is not the expected JSON: {_last_line(result.output) or 'no output'}"
        raise UnusableInput(f"{label}: not a Python 3.8+ interpreter that can list its packages ({why})")
    return Environment.of(markers, distributions, tags, unreadable, shadowed)


def installed_on(search_path: Iterable[str]) -> list[Installed]:
    """The distributions on *search_path* (an interpreter's ``sys.path``), the first copy of each,
    read in this process by the very code :func:`read_environment` runs in the target interpreter.

    For a caller that already knows the path and only needs what is installed (a sandbox, after
    each command): no interpreter is started, and the markers and tags are not read."""
    from ._inspect_environment import distributions

    return [Installed(d["name"], d["version"], tuple(d["requires"]), d["direct_url"])
            for d in distributions(list(search_path))]


def _listing(result: Completed) -> tuple[list[Installed] | None, dict, list[str] | None,
                                         list[Unreadable], list[Shadowed]]:
    """The distributions, marker values, tags, unreadable distributions and shadowed copies the
    script printed; None for the distributions if it printed something else."""
    if not result.ok:
        return None, {}, None, [], []
    try:
        data = json.loads(result.output)
        markers, found, tags = data["markers"], data["distributions"], data.get("tags")
        distributions = [Installed(d["name"], d["version"], tuple(d["requires"]), d.get("direct_url")) for d in found]
        unreadable = [Unreadable(str(d["folder"]), str(d["problem"])) for d in data.get("unreadable", [])]
        shadowed = [Shadowed(str(d["name"]), str(d["version"]), str(d["folder"]), str(d["used"]))
                    for d in data.get("shadowed", [])]
        if not (isinstance(markers, dict) and all(isinstance(v, str) for v in markers.values())
                and all(isinstance(d.name, str) and isinstance(d.version, str) for d in distributions)
                and (tags is None or isinstance(tags, list))):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None, {}, None, [], []
    return distributions, markers, tags, unreadable, shadowed


def _last_line(output: str) -> str:
    last = (output.strip().splitlines() or [""])[-1]
    return last if len(last) <= 100 else last[:97] + "..."


def _edges(distributions: tuple[Installed, ...],
           markers: Mapping[str, str]) -> tuple[tuple[Edge, ...], tuple[Missing, ...]]:
    """Requirements that apply here and name something installed, and those that name nothing installed.

    A requirement behind an extra (``extra == "docs"``) applies only if another installed
    distribution asks for that extra (``plugin[docs]``). Installers do not record which extras a
    user asked for on the command line, so those are not known; like ``pip check``, pinlab then
    leaves the extra's requirements out rather than blame a requirement that may not apply.
    """
    by_key = {dist.key: dist for dist in distributions}
    parsed: dict[str, list[tuple[Requirement, str]]] = {}
    for dist in distributions:
        for written in dist.requires:
            try:
                parsed.setdefault(dist.key, []).append((Requirement(written), written))
            except InvalidRequirement:
                continue  # an installed package with broken metadata: pip skips it the same way
    # Which extras of each distribution are asked for, found by repeating until nothing changes
    # (an extra's requirements may themselves ask for other extras).
    wanted: dict[str, set[str]] = {key: {""} for key in by_key}
    active: set[tuple[str, int]] = set()
    changed = True
    while changed:
        changed = False
        for key, requirements in parsed.items():
            for number, (requirement, _written) in enumerate(requirements):
                target = by_key.get(canonicalize_name(requirement.name))
                if (key, number) in active or target is None or not applies(requirement, markers, wanted[key]):
                    continue
                active.add((key, number))
                if not requirement.extras <= wanted[target.key]:
                    wanted[target.key] |= requirement.extras
                changed = True
    edges = []
    for key, number in sorted(active):
        requirement, written = parsed[key][number]
        edges.append(Edge(by_key[key], requirement, written, by_key[canonicalize_name(requirement.name)]))
    missing = [Missing(by_key[key], requirement, written)
               for key, requirements in sorted(parsed.items()) for requirement, written in requirements
               if canonicalize_name(requirement.name) not in by_key and applies(requirement, markers, wanted[key])]
    return tuple(edges), tuple(missing)


def applies(requirement: Requirement, markers: Mapping[str, str], extras: Iterable[str] = ("",)) -> bool:
    """True if *requirement*'s marker holds with these marker values and one of *extras* asked for."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**markers, "extra": extra}) for extra in extras)


def installed_source(name: str, python: str | Path | None = None) -> Source:
    """The requirements of the installed distribution *name*, as a lint input."""
    (source,) = installed_sources([name], python)
    return source


def installed_sources(names: Iterable[str] | None = None, python: str | Path | None = None) -> list[Source]:
    """Installed distributions as lint inputs, the environment read once (one subprocess).

    *names* picks distributions, in that order; None takes every one, sorted by name, then each
    distribution whose metadata cannot be read, as an input that was not checked. An environment
    is many inputs: one distribution's broken metadata (an invalid requirement) makes that one
    "not checked", and the others are still linted. A copy shadowed by an earlier one on sys.path
    is noted on the copy Python imports, the one linted.
    """
    environment = read_environment(python)
    label = f"--python {Path(python).as_posix()}" if python is not None else "this Python"
    if names is None:
        if not environment.distributions and not environment.unreadable:
            raise UnusableInput(f"--all-installed: {label} has no installed distributions")
        chosen = list(environment.distributions)
    else:
        chosen = []
        for name in names:
            dist = environment.get(name)
            if dist is None:
                raise UnusableInput(f"--installed {name}: no distribution of that name is installed")
            chosen.append(dist)
    sources = [_installed_source(dist, environment) for dist in chosen]
    if names is None:
        sources += [Source(broken.label, "installed", "", None, (),
                           unchecked=(f"{broken.problem}, so it cannot be linted ({broken.folder})",))
                    for broken in environment.unreadable]
    return sources


def _installed_source(dist: Installed, environment: Environment) -> Source:
    """One installed distribution as a lint input: its readable requirements, what is not, and
    the copies of it that Python does not import."""
    label = f"installed {dist.name}"
    readable, unchecked = [], []
    for written in dist.requires:
        try:
            Requirement(written)
        except InvalidRequirement as exc:
            why = str(exc).strip().splitlines()[0]  # packaging goes on with the text and a caret
            unchecked.append(f"its metadata has an invalid requirement {written!r} ({why})")
        else:
            readable.append(written)
    source = from_requires_dist(dist.name, dist.version, readable, label, "installed")
    notes = [f"another copy, {copy.name} {copy.version} in {copy.folder}, is shadowed: this one, in {copy.used}, "
             "is first on sys.path, the one Python imports and the one linted"
             for copy in environment.shadowed if canonicalize_name(copy.name) == dist.key]
    return replace(source, unchecked=tuple(unchecked), notes=tuple(notes))
