"""pip's and uv's human-readable refusals, read in one place: a failed resolution turned into one
:class:`Conflict` record, pip's refusals in ``--require-hashes`` mode (:func:`hash_refusal`), and
``pip check``'s broken promises (:func:`broken_promises`).

Neither installer reports these as JSON, so this is the one place that reads their text. The raw
text is kept beside the parsed record. Tested against the wording of pip 23-26 and uv 0.4-0.13
(see tests/test_conflicts.py and tests/test_pip_refusals.py, which run the real pip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

YOU = "(you)"
"""The project name given to a demand that the user typed rather than a package declared."""
YOUR_CONSTRAINT = "(your constraint)"
"""... and to one from the user's constraints file (``pip install -c``)."""


@dataclass(frozen=True)
class Demand:
    """One installed-or-requested release's requirement on another project."""

    project: str
    """The project that makes the demand, e.g. ``toyhost-export``."""
    version: str
    """Its version (as the installer names it; uv may name a range such as ``<=0.3a1``)."""
    requirement: str
    """What it requires, e.g. ``toyhost==1.0a27``."""

    @property
    def target(self) -> str:
        """The canonical name of the project required."""
        return canonicalize_name(Requirement(self.requirement).name)

    def __str__(self) -> str:
        if self.project == YOU:
            return f"you requested {self.requirement}"
        if self.project == YOUR_CONSTRAINT:
            return f"your constraint says {self.requirement}"
        return f"{self.project} {self.version} requires {self.requirement}"


@dataclass(frozen=True)
class Conflict:
    """Why an installer could not satisfy a set of requirements."""

    installer: str
    """``pip`` or ``uv``."""
    demands: tuple[Demand, ...]
    """The requirements that cannot all hold at once."""
    raw: str
    """The installer's own text, unchanged."""

    @property
    def contested(self) -> tuple[str, ...]:
        """The projects that two or more demands disagree on (``toyhost``)."""
        targets = [demand.target for demand in self.demands]
        return tuple(sorted({name for name in targets if targets.count(name) > 1}))

    def __str__(self) -> str:
        lines = [f"{self.installer} could not install the requested set, because:"]
        lines += [f"  {demand}" for demand in self.demands]
        return "\n".join(lines)


# pip: "    toyhost-export 0.3a1 depends on toyhost==1.0a27", "    The user requested toyhost==1.0a28",
#      "    The user requested (constraint) toyhost>=1.0a28"
_PIP_CAUSE = re.compile(
    r"^\s+(?:The user requested (?P<constraint>\(constraint\) )?|(?P<project>\S+) (?P<version>\S+) depends on )"
    r"(?P<requirement>.+?)\s*$",
    re.M,
)
# uv: "toyhost-export==0.3a1 depends on toyhost==1.0a27", "all versions of toyhost-charts depend on toyhost>=1.0a28"
_UV_CAUSE = re.compile(
    r"(?:all versions of (?P<any>[A-Za-z0-9._-]+) depend|"
    r"(?P<project>[A-Za-z0-9._-]+?)(?P<version>(?:==|<=|>=|<|>)[^\s,]+) depends?) on "
    r"(?P<requirement>[A-Za-z0-9._-]+(?:\[[^\]]*\])?(?:[<>=!~]=?[^\s,]+)(?:,\s*[<>=!~]=?[^\s,]+)*)"
)


def parse_conflict(output: str) -> Conflict | None:
    """The conflict described by an installer's *output*, or ``None`` if it reports none."""
    if "ResolutionImpossible" in output or "conflicting dependencies" in output:
        demands = [
            # pip words a range of two specifiers as "toyhost<2.0 and >=1.0a28".
            _demand(m["project"] or (YOUR_CONSTRAINT if m["constraint"] else YOU), m["version"] or "",
                    m["requirement"].replace(" and ", ","))
            for m in _PIP_CAUSE.finditer(output)
        ]
        return Conflict("pip", tuple(d for d in demands if d), output)
    if "No solution found when resolving dependencies" in output:
        demands = []
        for match in _UV_CAUSE.finditer(output):
            project = match["any"] or match["project"]
            version = "(any version)" if match["any"] else match["version"].lstrip("=")
            demands.append(_demand(project, version, match["requirement"]))
        return Conflict("uv", tuple(dict.fromkeys(d for d in demands if d)), output)
    return None


def _demand(project: str, version: str, requirement: str) -> Demand | None:
    try:
        Requirement(requirement)
    except InvalidRequirement:
        return None  # a line of prose that only looked like a cause
    return Demand(project, version, requirement.strip())


@dataclass(frozen=True)
class HashRefusal:
    """Why pip refused a requirements file in ``--require-hashes`` mode."""

    reason: str
    """``missing`` (a requirement without a hash), ``mismatch`` (a file whose hash is not the one
    written), or ``unpinned`` (a requirement not pinned with ``==``)."""
    requirements: tuple[str, ...]
    """The requirements concerned, as pip names them (``toyhost==1.0a28``)."""
    raw: str
    """pip's own text, unchanged."""


# pip words each refusal on one ERROR line, then lists the requirements concerned on lines
# indented by four spaces ("    toyhost==1.0a28 from file:///... (from -r ... (line 3)):").
_HASH_REASONS = (
    ("mismatch", "DO NOT MATCH THE HASHES"),
    ("missing", "missing from some requirements"),
    ("unpinned", "pinned with =="),
)
_LISTED = re.compile(r"^ {4}(\S+?)(?:\s|$)", re.M)


def hash_refusal(output: str) -> HashRefusal | None:
    """pip's refusal in ``--require-hashes`` mode described by *output*, or ``None`` if it reports none."""
    for reason, wording in _HASH_REASONS:
        if wording in output:
            listed = _LISTED.findall(output.split(wording, 1)[1])
            return HashRefusal(reason, tuple(dict.fromkeys(listed)), output)
    return None


def broken_promises(pip_check: str) -> list[str]:
    """The lines of ``pip check``'s report, in alphabetical order: pip lists them in the order its
    metadata backend finds the packages (pkg_resources before Python 3.11, importlib.metadata
    after), so sorting makes the report the same on every Python. Empty when nothing is broken."""
    lines = [line.strip() for line in pip_check.strip().splitlines() if line.strip()]
    return sorted(line for line in lines if not line.startswith("No broken requirements"))


# uv's markers at the start of a line of its explanation: "error:", "  cause:", "  ╰─▶ ", "hint:".
_UV_MARKER = re.compile(r"^(?:error:|cause:|hint:|[×╰─▶│]+)\s*")


def last_sentence(output: str) -> str:
    """The last sentence of an installer's explanation, its wrapped lines joined. uv wraps a long
    explanation at 80 columns (uv 0.12 does; 0.13 no longer does), so its last line may hold only
    the end of a sentence ("requirements are unsatisfiable.")."""
    lines = [_UV_MARKER.sub("", line.strip()) for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return "no output"
    sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", " ".join(line for line in lines if line))
    return sentences[-1]


def last_error(output: str) -> str:
    """pip's last ``ERROR:`` line (without the prefix), else the last line of *output*."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    return errors[-1] if errors else (lines[-1] if lines else "no output")
