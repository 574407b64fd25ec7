"""``pinlab lint``: does a library's metadata pin its dependencies with ``==``, or cap them?

Every decision about a specifier is made by ``packaging``: what its operator is, whether its
version is a pre-release, what a ``~=`` admits. A finding has a stable code, a one-line
explanation, a link to the guide's section about it, and the place the requirement is declared.

| code   | severity | what                                                       |
|--------|----------|------------------------------------------------------------|
| PIN001 | error    | exact pin: ``==`` without a wildcard, or ``===``           |
| PIN002 | error    | exact pin on a pre-release (the article's case, the worst) |
| PIN003 | warning  | upper cap: ``<``, ``<=``, a ``~=`` or ``==X.*`` that caps  |

A finding in a ``[dependency-groups]`` group has severity ``info``: groups are not published, so
no user of the library ever sees them. ``!=`` excludes one release and is fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from packaging.specifiers import Specifier
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .requirements import Declared, Source

GUIDE = "https://pinlab.readthedocs.io/en/latest/03-detect-it.html"
"""Chapter 3 of the guide, where each finding code has a section (``#pin001`` ...)."""

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Rule:
    """What one finding code means."""

    code: str
    """The stable code, e.g. ``PIN002``."""
    severity: str
    """``error`` or ``warning`` (``info`` is given to any finding in a dependency group)."""
    title: str
    """A few words, e.g. ``exact pin on a pre-release``."""
    explanation: str
    """One line: why it hurts the library's users. ``{project}`` and ``{bound}`` (``<2``) are filled in."""

    @property
    def url(self) -> str:
        return f"{GUIDE}#{self.code.lower()}"


RULES = {
    rule.code: rule
    for rule in (
        Rule("PIN001", "error", "exact pin",
             "users can install no other release of {project} beside this library, not even one that fixes a bug"),
        Rule("PIN002", "error", "exact pin on a pre-release",
             "every user is held to this one snapshot of {project}; fixes in its next release can never reach them"),
        Rule("PIN003", "warning", "upper cap",
             "only {project}{bound} is admitted, so newer releases are refused even if they work; "
             "cap only after a real break"),
    )
}


@dataclass(frozen=True)
class Finding:
    """One requirement that pins or caps, in one input."""

    code: str
    """``PIN001``, ``PIN002`` or ``PIN003``."""
    severity: str
    """``error``, ``warning``, or ``info`` (in a dependency group, which is not published)."""
    input: str
    """The input it was found in, as given (``path/to/pyproject.toml``, ``installed NAME``)."""
    project: str
    """The dependency the requirement is about, normalised (``toyhost``)."""
    requirement: str
    """The requirement as written."""
    specifier: str
    """The clauses that pin or cap, e.g. ``==1.0a27`` or ``~=1.4`` (caps at <2)."""
    where: str
    """Where it is declared: ``dependencies``, ``extra 'docs'``, ``dependency group 'test'``."""
    marker: str | None
    """The requirement's environment marker, if it has one: the pin applies only where it holds."""
    message: str
    """One line: what it is and why it hurts."""
    url: str
    """The guide's section about this code."""


@dataclass(frozen=True)
class Report:
    """The findings over every input, and what each input declared."""

    sources: tuple[Source, ...]
    """The inputs, in the order given."""
    findings: tuple[Finding, ...]
    """Every finding, by input, then most severe first."""

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def exit_status(self) -> int:
        """1 if anything published pins or caps (an error or a warning), else 0."""
        return 1 if self.count("error") or self.count("warning") else 0


def lint(sources: Iterable[Source], ignore: Iterable[str] = ()) -> Report:
    """Check every requirement of every source; *ignore* leaves out findings with those codes."""
    sources = tuple(sources)
    ignored = {code.upper() for code in ignore}
    findings = []
    for source in sources:
        found = [f for declared in source.declared for f in check(declared, source.label) if f.code not in ignored]
        findings += sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.code))
    return Report(sources, tuple(findings))


def check(declared: Declared, label: str = "") -> list[Finding]:
    """The findings for one requirement: an exact pin (PIN001/PIN002), else any cap (PIN003)."""
    requirement = declared.requirement
    exact, caps = [], []
    for spec in sorted(requirement.specifier, key=str):
        if _is_exact(spec):
            exact.append(spec)
        elif (bound := cap_of(spec)) is not None:
            caps.append((spec, bound))
    if exact:
        # An exact pin caps too; saying so again would be noise.
        code = "PIN002" if any(_is_prerelease(spec.version) for spec in exact) else "PIN001"
        return [_finding(code, declared, label, ",".join(map(str, exact)))]
    if caps:
        shown = ", ".join(str(spec) if str(spec) == str(bound) else f"{spec} (caps at {bound})" for spec, bound in caps)
        lowest = min((bound for _spec, bound in caps), key=lambda bound: Version(bound.version))
        return [_finding("PIN003", declared, label, shown, bound=str(lowest))]
    return []


def check_requirement(requirement: str) -> list[Finding]:
    """The findings for one requirement string, as if declared in ``[project] dependencies``."""
    from packaging.requirements import Requirement

    return check(Declared(Requirement(requirement), requirement, "dependencies"))


def _is_exact(spec: Specifier) -> bool:
    # "===" is arbitrary equality: one exact string. "==1.4.*" is a prefix match, a range.
    return spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*"))


def _is_prerelease(version: str) -> bool:
    try:
        return Version(version).is_prerelease  # a, b, rc and .dev releases
    except InvalidVersion:  # "===" may name a version that is not PEP 440 at all
        return False


def cap_of(spec: Specifier) -> Specifier | None:
    """The upper bound *spec* sets, as a ``<`` or ``<=`` specifier; None if it sets none.

    ``<2`` and ``<=2`` are their own bound; ``~=1.4`` means ``>=1.4, ==1.*`` and so caps at
    ``<2``; ``~=1.4.2`` means ``>=1.4.2, ==1.4.*`` and caps at ``<1.5``; ``==1.4.*`` caps at
    ``<1.5`` (PEP 440, "Compatible release" and "Version matching").
    """
    if spec.operator in ("<", "<="):
        return spec
    if spec.operator == "~=":
        version = Version(spec.version)
        return _below_next(version.epoch, version.release[:-1])
    if spec.operator == "==" and spec.version.endswith(".*"):
        version = Version(spec.version[:-2])
        return _below_next(version.epoch, version.release)
    return None


def _below_next(epoch: int, prefix: tuple[int, ...]) -> Specifier:
    """``<`` the first release after every release starting with *prefix*: (1, 4) -> ``<1.5``."""
    bumped = ".".join(map(str, (*prefix[:-1], prefix[-1] + 1)))
    return Specifier(f"<{epoch}!{bumped}" if epoch else f"<{bumped}")


def _finding(code: str, declared: Declared, label: str, specifier: str, bound: str = "") -> Finding:
    rule = RULES[code]
    project = canonicalize_name(declared.requirement.name)
    message = f"{rule.title}: " + rule.explanation.format(project=project, bound=bound)
    severity = rule.severity
    if not declared.published:
        severity = "info"
        message += " (informational: dependency groups are not published)"
    marker = str(declared.requirement.marker) if declared.requirement.marker is not None else None
    return Finding(code, severity, label, project, declared.written, specifier, declared.where, marker,
                   message, rule.url)


# -- output ------------------------------------------------------------------------------------

def format_text(report: Report) -> str:
    """The report as a reader wants it in a terminal."""
    lines = []
    for source in report.sources:
        version = f" {source.version}" if source.version else ""
        count = len(source.declared)
        lines.append(f"{source.label} ({source.project}{version}: {count} requirement{'s' * (count != 1)})")
        findings = [finding for finding in report.findings if finding.input == source.label]
        for finding in findings:
            lines.append(f"  {finding.code} {finding.severity:<7} {finding.requirement}  [{finding.where}]")
            lines.append(f"    {finding.message}")
            lines.append(f"    see {finding.url}")
        for note in source.notes:
            lines.append(f"  note: {note}")
        if not findings and not source.notes:
            lines.append("  no pins, no caps")
    errors, warnings, infos = (report.count(severity) for severity in SEVERITIES)
    if not report.findings:
        lines.append("All clear: nothing is pinned or capped.")
    else:
        summary = f"Found {_plural(errors, 'error')} and {_plural(warnings, 'warning')}"
        lines.append(summary + (f" ({_plural(infos, 'informational finding')})." if infos else "."))
    return "\n".join(lines)


def as_json(report: Report) -> dict:
    """The report for machines: every field of every finding, and a summary."""
    from dataclasses import asdict

    return {
        "inputs": [
            {"input": s.label, "kind": s.kind, "project": s.project, "version": s.version,
             "requirements": len(s.declared), "notes": list(s.notes)}
            for s in report.sources
        ],
        "findings": [asdict(finding) for finding in report.findings],
        "summary": {severity: report.count(severity) for severity in SEVERITIES},
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"
