"""``pinlab lint``: does a library's metadata pin its dependencies with ``==``, or cap them?

Every decision about a specifier is made by ``packaging``: what its operator is, whether its
version is a pre-release, what a ``~=`` admits. A finding has a stable code, a one-line
explanation, a link to the guide's section about it, and the place the requirement is declared
(and its line, in a pyproject.toml).

| code   | severity | what                                                               |
|--------|----------|--------------------------------------------------------------------|
| PIN001 | error    | exact pin: ``==`` without a wildcard, ``===``, or ``>=V,<=V``        |
| PIN002 | error    | exact pin on a pre-release (the article's case, the worst)         |
| PIN003 | warning  | upper cap: ``<``, ``<=``, a ``~=`` or ``==X.*`` that caps            |
| PIN004 | warning  | capped Requires-Python (``<4``, ``^3.9`` in Poetry)                  |
| PIN005 | error    | direct URL reference (``name @ https://...``)                        |

``!=`` excludes one release and is fine; ``~=`` alone never admits a single release (``~=1.4.2``
admits 1.4.3), so it is a cap, not a pin.

Findings are weighed as a maintainer would weigh them, one step down from the table above:

- in a **dependency group** (PEP 735, or Poetry's groups): ``info``; groups are not published.
- in a **contributors' extra**, one whose name has a part (split at ``-``) among
  :data:`CONTRIBUTOR_EXTRAS` (``dev``, ``test``, ``docs``, ``docs-screenshots``, ``lint`` ...)
  and no other extra: an error becomes a warning, a warning ``info``. Users of the library do
  not install these extras; its contributors do.
- a **lockstep pin**: an exact pin ``NAME==V`` where V equals the declaring package's own
  version (compared as versions) and NAME is a part of the declarer (``mlflow-skinny==3.18.0`` in
  mlflow 3.18.0, ``apache-airflow-core==3.3.2`` in apache-airflow 3.3.2) or a sibling under a stem
  of two parts or more (``opentelemetry-instrumentation-wsgi`` in ``-flask``): one project
  releases both together, so the pin follows every release: ``info`` (see :func:`is_lockstep`; a
  shared first word, ``django-``, is not enough). A plugin's pin on its host, like
  ``datasette==1.0a27`` in a Datasette plugin, is never one, whatever the versions: an error.

A finding the maintainers accept is allowed with a written reason in the project's
``pyproject.toml`` (which also covers the project's wheel and sdist linted in the same run); it is
left out of the verdict and counted ("1 allowed")::

    [tool.pinlab]
    allow = [
      {code = "PIN001", requirement = "ruff", reason = "the lint extra pins the linter CI runs"},
    ]

Exit status (:attr:`Report.exit_status`): 0 when every input was checked and nothing published
pins or caps; 1 when something does (an error or a warning), **or when an input could not be
checked** (dynamic dependencies or Requires-Python, an sdist older than metadata 2.2, an
installed distribution whose metadata cannot be read): that is never clean. A pyproject.toml of
tool settings only declares no package: it is skipped, with a note, and a run in which every
input was skipped checked nothing: 1, never "All clear". A uv workspace root is linted through
its members. Findings left out by ``--ignore`` are counted in the verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .requirements import Allowance, Declared, Source, UnusableInput

GUIDE = "https://pinlab.readthedocs.io/en/latest/05-detect-it.html"
"""Chapter 5 of the guide, where each finding code has a section (``#pin001`` ...)."""

SEVERITIES = ("error", "warning", "info")

CONTRIBUTOR_EXTRAS = frozenset({
    "dev", "devel", "develop", "development", "test", "tests", "testing", "doc", "docs", "documentation",
    "lint", "linting", "typing", "mypy", "style", "qa", "ci", "coverage", "bench", "benchmark", "benchmarks",
})
"""Parts of an extra's name that say it is for the project's contributors, not its users."""


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
        Rule("PIN004", "warning", "capped requires-python",
             "only Python{bound} is admitted: on a newer Python, installers fall back to an older release "
             "of this library, and every project that depends on it must copy the cap"),
        Rule("PIN005", "error", "direct URL reference",
             "{project} is fetched from one URL, never from an index: no installer can pick a fixed release "
             "for it, and PyPI refuses uploads that declare one"),
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
    line: int | None = None
    """The line of the input it is written on, where known (pyproject.toml inputs)."""
    allowed: str | None = None
    """The maintainers' reason for accepting it (``[tool.pinlab] allow``), if they did."""


@dataclass(frozen=True)
class Report:
    """The findings over every input, and what each input declared."""

    sources: tuple[Source, ...]
    """The inputs, in the order given."""
    findings: tuple[Finding, ...]
    """Every finding not allowed, by input, then most severe first."""
    allowed: tuple[Finding, ...] = ()
    """The findings the maintainers allowed, each with its reason."""
    notes: tuple[tuple[str, str], ...] = ()
    """(input, note) pairs from linting itself, e.g. an ``allow`` entry that matches nothing."""
    ignored: tuple[Finding, ...] = ()
    """The findings ``--ignore`` left out: counted, so that a verdict never hides them silently."""

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def unchecked(self) -> tuple[Source, ...]:
        """The inputs whose requirements could not all be checked."""
        return tuple(source for source in self.sources if source.unchecked)

    @property
    def exit_status(self) -> int:
        """1 if anything published pins or caps (an error or a warning), an input could not be
        checked, or every input was skipped (nothing was checked); else 0."""
        nothing_checked = bool(self.sources) and all(source.skipped for source in self.sources)
        return 1 if self.count("error") or self.count("warning") or self.unchecked or nothing_checked else 0


def lint(sources: Iterable[Source], ignore: Iterable[str] = ()) -> Report:
    """Check every requirement of every source; *ignore* leaves out findings with those codes.

    Raises UnusableInput for a code in *ignore* or in ``[tool.pinlab] allow`` that does not exist.
    """
    sources = tuple(sources)
    ignored = {code.upper() for code in ignore}
    unknown = sorted(ignored - set(RULES))
    if unknown:  # a typo would otherwise hide nothing and say nothing
        raise UnusableInput(f"--ignore {unknown[0]}: no such code (known: {', '.join(RULES)})")
    findings, allowed, notes, left_out = [], [], [], []
    # A project's allow entries also cover its wheel and sdist in the same run
    # (``pinlab lint pyproject.toml dist/*``): the same metadata, built.
    project_allows: dict[str, tuple[Allowance, ...]] = {}
    for source in sources:
        for allowance in source.allow:
            if allowance.code not in RULES:
                at = f" (line {allowance.line})" if allowance.line else ""
                raise UnusableInput(f"{source.label}: [tool.pinlab] allow{at}: no such code {allowance.code!r} "
                                    f"(known: {', '.join(RULES)})")
        if source.allow:
            project_allows[canonicalize_name(source.project)] = source.allow
    for source in sources:
        allows = source.allow or project_allows.get(canonicalize_name(source.project or "-"), ())
        every = check_source(source)
        found = [f for f in every if f.code not in ignored]
        left_out += [f for f in every if f.code in ignored]
        used: set[Allowance] = set()
        kept: list[Finding] = []
        for finding in found:
            allowing = next((a for a in allows if (a.code, a.requirement) == (finding.code, finding.project)), None)
            if allowing is None:
                kept.append(finding)
            else:
                used.add(allowing)
                allowed.append(replace(finding, allowed=allowing.reason))
        notes += [(source.label, f"[tool.pinlab] allows {a.code} on {a.requirement}, which has no such finding: "
                                 "remove the entry") for a in source.allow if a not in used and a.code not in ignored]
        findings += sorted(kept, key=lambda f: (SEVERITIES.index(f.severity), f.code))
    return Report(sources, tuple(findings), tuple(allowed), tuple(notes), tuple(left_out))


def check_source(source: Source) -> list[Finding]:
    """Every finding of one input: each requirement's, then its Requires-Python's."""
    found = [f for declared in source.declared for f in check(declared, source.label, source)]
    return found + check_requires_python(source)


def check_requires_python(source: Source) -> list[Finding]:
    """PIN004 when the input's Requires-Python has an upper bound (``!=3.15`` is not one)."""
    if not source.requires_python:
        return []
    try:
        specifiers = SpecifierSet(source.requires_python)
    except InvalidSpecifier:
        return []  # installers ignore a Requires-Python they cannot parse; so does lint
    caps = [(spec, bound) for spec in sorted(specifiers, key=str) if (bound := cap_of(spec)) is not None]
    caps += [(spec, spec) for spec in sorted(specifiers, key=str) if _is_exact(spec)]
    if not caps:
        return []
    rule = RULES["PIN004"]
    lowest = min((bound for _spec, bound in caps), key=lambda bound: Version(bound.version))
    shown = ", ".join(str(spec) if str(spec) == str(bound) else f"{spec} (caps at {bound})" for spec, bound in caps)
    message = f"{rule.title}: " + rule.explanation.format(project="python", bound=str(lowest))
    return [Finding("PIN004", rule.severity, source.label, "python", f"requires-python {source.requires_python}",
                    shown, "requires-python", None, message, rule.url, source.requires_python_line)]


def check(declared: Declared, label: str = "", source: Source | None = None) -> list[Finding]:
    """The findings for one requirement: a direct URL (PIN005), an exact pin (PIN001/PIN002),
    else any cap (PIN003). *source*, the declaring package, tells a lockstep pin from others."""
    requirement = declared.requirement
    if requirement.url:
        return [_finding("PIN005", declared, label, f"@ {requirement.url}", source=source)]
    exact, caps = [], []
    for spec in sorted(requirement.specifier, key=str):
        if _is_exact(spec):
            exact.append(spec)
        elif (bound := cap_of(spec)) is not None:
            caps.append((spec, bound))
    exact = exact or _bounds_meet(requirement.specifier)
    if exact:
        # An exact pin caps too; saying so again would be noise.
        code = "PIN002" if any(_is_prerelease(spec.version) for spec in exact) else "PIN001"
        return [_finding(code, declared, label, ",".join(map(str, exact)), source=source, pinned=exact[0].version)]
    if caps:
        shown = ", ".join(str(spec) if str(spec) == str(bound) else f"{spec} (caps at {bound})" for spec, bound in caps)
        lowest = min((bound for _spec, bound in caps), key=lambda bound: Version(bound.version))
        return [_finding("PIN003", declared, label, shown, bound=str(lowest), source=source)]
    return []


def _bounds_meet(specifiers: SpecifierSet) -> list[Specifier]:
    """``>=1.0,<=1.0`` (or ``~=1.0,<=1.0``) admits one release, as ``==1.0`` does: its two clauses."""
    lower = [s for s in specifiers if s.operator in (">=", "~=")]
    upper = [s for s in specifiers if s.operator == "<="]
    if not lower or not upper:
        return []
    try:
        highest_lower = max(lower, key=lambda s: Version(s.version))
        lowest_upper = min(upper, key=lambda s: Version(s.version))
        meet = Version(highest_lower.version) == Version(lowest_upper.version)
    except InvalidVersion:
        return []
    return sorted([highest_lower, lowest_upper], key=str) if meet else []


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


def _finding(code: str, declared: Declared, label: str, specifier: str, bound: str = "",
             source: Source | None = None, pinned: str | None = None) -> Finding:
    rule = RULES[code]
    project = canonicalize_name(declared.requirement.name)
    message = f"{rule.title}: " + rule.explanation.format(project=project, bound=bound)
    severity, why = _weigh(rule.severity, declared, source, project, pinned)
    if why:
        message += f" ({why})"
    marker = str(declared.requirement.marker) if declared.requirement.marker is not None else None
    return Finding(code, severity, label, project, declared.written, specifier, declared.where, marker,
                   message, rule.url, declared.line)


def _weigh(severity: str, declared: Declared, source: Source | None, project: str,
           pinned: str | None) -> tuple[str, str]:
    """The severity a maintainer would give, and why it is lower than the rule's, if it is."""
    if not declared.published:
        return "info", "informational: dependency groups are not published"
    if pinned is not None and source is not None and is_lockstep(project, pinned, source.project, source.version):
        return "info", (f"informational: a lockstep pin, {project} is released with {source.project} "
                        f"at the same version")
    if declared.extras and all(is_contributor_extra(extra) for extra in declared.extras):
        lower = SEVERITIES[min(SEVERITIES.index(severity) + 1, len(SEVERITIES) - 1)]
        extras = " and ".join(f"'{extra}'" for extra in sorted(declared.extras))
        return lower, f"lower severity: extra {extras} is for the project's contributors, not its users"
    return severity, ""


def is_contributor_extra(extra: str) -> bool:
    """``docs-screenshots``, ``test``, ``dev``: an extra whose name has a part in CONTRIBUTOR_EXTRAS."""
    return any(part in CONTRIBUTOR_EXTRAS for part in canonicalize_name(extra).split("-"))


def is_lockstep(project: str, pinned: str, own_name: str, own_version: str | None) -> bool:
    """True for ``project==pinned`` declared by *own_name* *own_version* when one project releases both.

    That is: the pinned version is the declarer's own (compared as versions), and the names say
    one family releases both, in one of two ways (names split at ``-``):

    - *project* is a part of the declarer: its name is the declarer's plus more parts
      (apache-airflow 3.0.2 -> apache-airflow-core==3.0.2, mlflow -> mlflow-skinny);
    - they are siblings under a family stem of at least two parts: both names are that stem plus
      one last part (opentelemetry-instrumentation-flask 0.45b0 ->
      opentelemetry-instrumentation-wsgi==0.45b0).

    A shared first word alone is no evidence: ``django-``, ``flask-``, ``pytest-``, ``google-``
    are prefixes of ecosystems whose projects are released apart, so ``django-bar==1.0`` in
    django-foo 1.0, or ``google-auth==2.18.0`` in google-cloud-storage 2.18.0, is a pin on another
    project that happens to share a version: an error. A plugin pinning its host is never
    lockstep, even at an equal version: ``datasette-export`` extends ``datasette``, so
    ``datasette==1.0a27`` in it stays an error.
    """
    dependency, own = canonicalize_name(project), canonicalize_name(own_name)
    if own_version is None or dependency == own or own.startswith(dependency + "-"):
        return False
    try:
        same_version = Version(pinned) == Version(own_version)
    except InvalidVersion:
        return False
    part_of_it = dependency.startswith(own + "-")
    stem, dependency_stem = own.split("-")[:-1], dependency.split("-")[:-1]
    siblings = len(stem) >= 2 and stem == dependency_stem
    return same_version and (part_of_it or siblings)


# -- output ------------------------------------------------------------------------------------

def format_text(report: Report) -> str:
    """The report as a reader wants it in a terminal."""
    lines = []
    for source in report.sources:
        if source.skipped:
            lines.append(f"{source.label}: skipped, {source.skipped}")
            lines += [f"  note: {note}" for note in source.notes]
            continue
        version = f" {source.version}" if source.version else ""
        count = len(source.declared)
        named = f"{source.project}{version}: " if source.project else ""  # setup.py projects: no name here
        if source.kind == "installed" and not source.project:
            lines.append(source.label)  # an installed distribution whose metadata could not be read
        else:
            lines.append(f"{source.label} ({named}{count} requirement{'s' * (count != 1)})")
        findings = [finding for finding in report.findings if finding.input == source.label]
        for finding in findings:
            lines.append(f"  {finding.code} {finding.severity:<7} {finding.requirement}  [{finding.where}]")
            lines.append(f"    {finding.message}")
            lines.append(f"    see {finding.url}")
        allowed = [finding for finding in report.allowed if finding.input == source.label]
        for finding in allowed:
            lines.append(f"  {finding.code} allowed {finding.requirement}  [{finding.where}]")
            lines.append(f"    reason: {finding.allowed}")
        for reason in source.unchecked:
            lines.append(f"  not checked: {reason}")
        notes = [*source.notes, *(note for label, note in report.notes if label == source.label)]
        for note in notes:
            lines.append(f"  note: {note}")
        if not (findings or allowed or source.unchecked or notes):
            lines.append("  no pins, no caps")
    lines += summary(report)
    return "\n".join(lines)


def summary(report: Report) -> list[str]:
    """The last line or two: the verdict, and what was not checked."""
    errors, warnings, infos = (report.count(severity) for severity in SEVERITIES)
    skipped = sum(1 for source in report.sources if source.skipped)
    also = [_plural(infos, "informational finding")] if infos else []
    also += [f"{len(report.allowed)} allowed"] if report.allowed else []
    also += [f"{skipped} skipped"] if skipped else []
    codes = ", ".join(sorted({finding.code for finding in report.ignored}))
    also += [f"{_plural(len(report.ignored), 'finding')} ignored: --ignore {codes}"] if report.ignored else []
    aside = f" ({', '.join(also)})" if also else ""
    if errors or warnings:
        lines = [f"Found {_plural(errors, 'error')} and {_plural(warnings, 'warning')}{aside}."]
    elif report.sources and skipped == len(report.sources):
        lines = ["Nothing checked: every input was skipped, so this is not all clear."]
    elif report.unchecked:
        lines = [f"No pins or caps in what could be read{aside}."]
    elif infos:
        lines = [f"Found 0 errors and 0 warnings{aside}."]
    elif report.allowed or report.ignored:  # a kept pin or cap is still one: say that the others are none
        kept = " and ".join(["allowed"] * bool(report.allowed) + ["ignored"] * bool(report.ignored))
        lines = [f"All clear: nothing is pinned or capped but what is {kept}{aside}."]
    else:
        lines = [f"All clear: nothing is pinned or capped{aside}."]
    if report.unchecked:
        names = ", ".join(source.label for source in report.unchecked)
        lines.append(f"Not checked: {names} (see 'not checked' above), so this is not all clear.")
    return lines


def as_json(report: Report) -> dict:
    """The report for machines: every field of every finding, and a summary."""
    from dataclasses import asdict

    return {
        "inputs": [
            {"input": s.label, "kind": s.kind, "project": s.project, "version": s.version,
             "requirements": len(s.declared), "requires_python": s.requires_python,
             "notes": [*s.notes, *(note for label, note in report.notes if label == s.label)],
             "unchecked": list(s.unchecked), "skipped": s.skipped}
            for s in report.sources
        ],
        "findings": [asdict(finding) for finding in report.findings],
        "allowed": [asdict(finding) for finding in report.allowed],
        "summary": {**{severity: report.count(severity) for severity in SEVERITIES},
                    "allowed": len(report.allowed), "unchecked": len(report.unchecked),
                    "ignored": len(report.ignored),
                    "skipped": sum(1 for source in report.sources if source.skipped)},
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"
