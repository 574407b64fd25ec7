"""An installed environment as its own interpreter sees it: distributions, requirements, markers.

The environment is read by running a short ``importlib.metadata`` script inside the target
interpreter (any Python 3.8+, with or without pip), which prints JSON; nothing is scraped from
human-readable text. Requirement markers are then evaluated with *that* interpreter's values
(its Python version and platform), not with those of the Python running pinlab.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .process import Completed, Stopped, clean_env, run
from .requirements import Source, UnusableInput, from_requires_dist

# Runs in the target interpreter, standard library only. The marker environment is computed
# the way packaging.markers.default_environment() does (PEP 508), because packaging may not be
# installed there.
_SCRIPT = r"""
import sys
del sys.path[0]  # "-c" puts the current folder first; it is not part of the environment
import importlib.metadata as metadata, json, os, platform, re

def full_version(info):
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    return version if info.releaselevel == "final" else version + info.releaselevel[0] + str(info.serial)

markers = {
    "implementation_name": sys.implementation.name,
    "implementation_version": full_version(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
seen, found = set(), []
for dist in metadata.distributions():
    name = dist.metadata["Name"]
    key = re.sub(r"[-_.]+", "-", name or "").lower()
    if not name or key in seen:
        continue  # the first copy on sys.path is the one Python imports
    seen.add(key)
    direct_url = dist.read_text("direct_url.json")
    found.append({"name": name, "version": dist.version, "requires": dist.requires or [],
                  "direct_url": json.loads(direct_url).get("url") if direct_url else None})

# The wheel tags this interpreter accepts, from packaging.tags: the environment's own packaging
# if it has one, else the kit's copy, loaded from the folder given as argument (after the listing
# above, so that the kit's folder never shows up as installed). None if neither works here.
def wheel_tags(kit_packaging):
    try:
        import packaging.tags as tags
    except Exception:
        import importlib.util
        for name in [module for module in sys.modules if module == "packaging" or module.startswith("packaging.")]:
            del sys.modules[name]
        spec = importlib.util.spec_from_file_location(
            "packaging", os.path.join(kit_packaging, "__init__.py"), submodule_search_locations=[kit_packaging])
        module = importlib.util.module_from_spec(spec)
        sys.modules["packaging"] = module
        spec.loader.exec_module(module)
        import packaging.tags as tags
    return [str(tag) for tag in tags.sys_tags()]

# Without a packaging that runs here (the kit's needs a newer Python), the tags of the common
# cases by the rules packaging.tags follows: CPython on glibc Linux or on Windows, and pure
# wheels. Anywhere else (macOS, musl, PyPy) they stay unknown rather than guessed.
def fallback_tags():
    import sysconfig
    if sys.implementation.name != "cpython":
        return None
    major, minor = sys.version_info[:2]
    python = "cp%d%d" % (major, minor)
    platform_tag = re.sub(r"[-.]", "_", sysconfig.get_platform())
    platforms = []
    if platform_tag.startswith("linux_"):
        arch = platform_tag[len("linux_"):]
        glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").split()
        if len(glibc) != 2 or glibc[0] != "glibc":
            return None
        glibc_minor = int(glibc[1].split(".")[1])
        legacy = {5: "manylinux1", 12: "manylinux2010", 17: "manylinux2014"}
        for number in range(glibc_minor, 4, -1):
            platforms.append("manylinux_2_%d_%s" % (number, arch))
            if number in legacy:
                platforms.append("%s_%s" % (legacy[number], arch))
        platforms.append(platform_tag)
    elif platform_tag.startswith("win"):
        platforms.append(platform_tag)
    else:
        return None
    found = []
    for platform_name in platforms:
        found += ["%s-%s-%s" % (python, abi, platform_name) for abi in (python, "abi3", "none")]
        found += ["cp%d%d-abi3-%s" % (major, older, platform_name) for older in range(minor - 1, 1, -1)]
    found += ["py%d%d-none-%s" % (major, older, platform_name) for older in range(minor, -1, -1)
              for platform_name in platforms]
    found += ["py%d-none-%s" % (major, platform_name) for platform_name in platforms]
    found += [python + "-none-any", "py%d%d-none-any" % (major, minor), "py%d-none-any" % major]
    found += ["py%d%d-none-any" % (major, older) for older in range(minor - 1, -1, -1)]
    return found

try:
    found_tags = wheel_tags(sys.argv[1])
except Exception:
    try:
        found_tags = fallback_tags()
    except Exception:
        found_tags = None
print(json.dumps({"markers": markers, "distributions": found, "tags": found_tags}))
"""

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

    @classmethod
    def of(cls, markers: Mapping[str, str], distributions: Iterable[Installed],
           tags: Iterable[str] | None = None) -> Environment:
        """The environment made of *distributions*, its requirements evaluated with *markers*."""
        distributions = tuple(sorted(distributions, key=lambda dist: dist.key))
        return cls(dict(markers), distributions, _edges(distributions, markers),
                   frozenset(tags) if tags is not None else None)

    def get(self, name: str) -> Installed | None:
        key = canonicalize_name(name)
        return next((dist for dist in self.distributions if dist.key == key), None)

    def requirements_on(self, name: str) -> tuple[Edge, ...]:
        """The active requirements naming *name*."""
        key = canonicalize_name(name)
        return tuple(edge for edge in self.edges if edge.target.key == key)

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
    import packaging

    kit_packaging = str(Path(packaging.__file__).parent)
    try:
        # -E: ignore PYTHON* variables; the user's site-packages stay visible, as they are to the user.
        result = run([python.absolute(), "-E", "-c", _SCRIPT, kit_packaging], env=clean_env(), merge_output=False,
                     timeout=_TIMEOUT, max_output=_MAX_OUTPUT)
    except OSError as exc:
        raise UnusableInput(f"{label}: cannot be run: {exc.strerror or exc}") from None
    except Stopped as exc:
        raise UnusableInput(f"{label}: not a Python interpreter that can list its packages "
                            f"(stopped: {exc.reason})") from None
    distributions, markers, tags = _listing(result)
    if distributions is None:
        if not result.ok:
            why = result.status + (f": {_last_line(result.output)}" if result.output.strip() else ", no output")
        else:
            why = f"its output is not the expected JSON: {_last_line(result.output) or 'no output'}"
        raise UnusableInput(f"{label}: not a Python 3.8+ interpreter that can list its packages ({why})")
    return Environment.of(markers, distributions, tags)


def _listing(result: Completed) -> tuple[list[Installed] | None, dict, list[str] | None]:
    """The distributions, marker values and tags the script printed; None if it printed something else."""
    if not result.ok:
        return None, {}, None
    try:
        data = json.loads(result.output)
        markers, found, tags = data["markers"], data["distributions"], data.get("tags")
        distributions = [Installed(d["name"], d["version"], tuple(d["requires"]), d.get("direct_url")) for d in found]
        if not (isinstance(markers, dict) and all(isinstance(v, str) for v in markers.values())
                and all(isinstance(d.name, str) and isinstance(d.version, str) for d in distributions)
                and (tags is None or isinstance(tags, list))):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None, {}, None
    return distributions, markers, tags


def _last_line(output: str) -> str:
    last = (output.strip().splitlines() or [""])[-1]
    return last if len(last) <= 100 else last[:97] + "..."


def _edges(distributions: tuple[Installed, ...], markers: Mapping[str, str]) -> tuple[Edge, ...]:
    """Requirements that apply here and name something installed.

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
    return tuple(edges)


def applies(requirement: Requirement, markers: Mapping[str, str], extras: Iterable[str] = ("",)) -> bool:
    """True if *requirement*'s marker holds with these marker values and one of *extras* asked for."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**markers, "extra": extra}) for extra in extras)


def installed_source(name: str, python: str | Path | None = None) -> Source:
    """The requirements of the installed distribution *name*, as a lint input."""
    environment = read_environment(python)
    dist = environment.get(name)
    label = f"installed {name}"
    if dist is None:
        raise UnusableInput(f"--installed {name}: no distribution of that name is installed")
    return from_requires_dist(dist.name, dist.version, list(dist.requires), label, "installed")


def installed_sources(names: Iterable[str] | None = None, python: str | Path | None = None) -> list[Source]:
    """Installed distributions as lint inputs, the environment read once (one subprocess).

    *names* picks distributions, in that order; None takes every one, sorted by name.
    """
    environment = read_environment(python)
    label = f"--python {Path(python).as_posix()}" if python is not None else "this Python"
    if names is None:
        if not environment.distributions:
            raise UnusableInput(f"--all-installed: {label} has no installed distributions")
        chosen = list(environment.distributions)
    else:
        chosen = []
        for name in names:
            dist = environment.get(name)
            if dist is None:
                raise UnusableInput(f"--installed {name}: no distribution of that name is installed")
            chosen.append(dist)
    return [from_requires_dist(dist.name, dist.version, list(dist.requires), f"installed {dist.name}", "installed")
            for dist in chosen]
