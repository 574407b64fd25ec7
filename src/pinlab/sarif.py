"""``pinlab lint --format sarif``: the report as SARIF 2.1.0, for GitHub code scanning.

One run, one tool (``pinlab``) with one rule per finding code; one result per finding, at the
file and line it is written on: a pyproject.toml's line, else line 1 of the wheel or sdist. An
installed distribution is no file of the repository: code scanning drops results without a
location, so ``pinlab lint --format sarif`` refuses installed inputs rather than upload findings
nobody would see (here such a result simply has no location). Allowed findings are results too, with an ``inSource``
suppression carrying the maintainers' reason, as SARIF intends; what could not be checked is a
``toolExecutionNotification`` of the run's invocation, beside ``executionSuccessful``.

Field names and shapes follow the OASIS SARIF 2.1.0 standard and GitHub's list of the
properties code scanning reads (ruleId, level, message.text, locations[].physicalLocation with
a relative artifactLocation.uri and region.startLine).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from .lint import GUIDE, RULES, Finding, Report
from .requirements import Source

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
"""pinlab's severities as SARIF levels."""


def as_sarif(report: Report, version: str | None = None) -> dict:
    """The SARIF log of *report* (a dict to dump as JSON)."""
    codes = list(RULES)
    rules = []
    for rule in RULES.values():
        described = rule.explanation.format(project="the dependency", bound=" below a bound")
        rules.append({
            "id": rule.code, "name": rule.title.title().replace(" ", "").replace("-", ""),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": described},
            # GitHub code scanning requires "help" on every rule (the SARIF multitool's GH2012).
            "help": {"text": f"{rule.title}: {described}. See {rule.url}",
                     "markdown": f"**{rule.title}**: {described}. See [the guide]({rule.url})."},
            "helpUri": rule.url, "defaultConfiguration": {"level": LEVELS[rule.severity]},
        })
    by_label = {source.label: source for source in report.sources}
    results = [_result(finding, by_label[finding.input], codes) for finding in report.findings]
    results += [_result(finding, by_label[finding.input], codes) for finding in report.allowed]
    notifications = [
        {"level": "warning", "message": {"text": f"{source.label}: not checked: {reason}"},
         **({"locations": [location]} if (location := _location(source, None)) else {})}
        for source in report.unchecked for reason in source.unchecked
    ]
    driver = {"name": "pinlab", "informationUri": GUIDE, "rules": rules}
    if version or (version := _installed_version()):
        driver["version"] = version
    return {
        "version": "2.1.0",
        "$schema": SCHEMA,
        "runs": [{
            "tool": {"driver": driver},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    }


def _result(finding: Finding, source: Source, codes: list[str]) -> dict:
    text = f"{finding.requirement} [{finding.where}]: {finding.message}"
    result: dict = {"ruleId": finding.code, "ruleIndex": codes.index(finding.code),
                    "level": LEVELS[finding.severity], "message": {"text": text}}
    location = _location(source, finding.line)
    if location:
        result["locations"] = [location]
    if finding.allowed is not None:
        result["suppressions"] = [{"kind": "inSource", "justification": finding.allowed}]
    return result


def _location(source: Source, line: int | None) -> dict | None:
    uri = artifact_uri(source)
    if uri is None:
        return None
    return {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line or 1}}}


def artifact_uri(source: Source) -> str | None:
    """The input as a URI relative to the current folder (GitHub resolves it from the checkout),
    percent-encoded; an absolute file: URI if it lies elsewhere; None for an installed one."""
    path = relative_path(source)
    if path is None:
        return None
    return Path(path).as_uri() if Path(path).is_absolute() else quote(path, safe="/")


def relative_path(source: Source) -> str | None:
    """The input's path relative to the current folder, with forward slashes; absolute if it lies
    elsewhere; None for an installed distribution, which is no file."""
    if source.kind == "installed":
        return None
    path = Path(source.label)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return path.resolve().as_posix()
    return path.as_posix()


def _installed_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pinlab")
    except PackageNotFoundError:
        return None
