"""``pinlab lint --format github``: the report as GitHub Actions workflow commands.

Each finding becomes ``::error file=F,line=L,title=T::message`` (``::warning``, ``::notice`` for
info), which a workflow run shows as an annotation on the file's line; an input that could not be
checked is a ``::warning``. Values are escaped as GitHub's runner expects (``%``, CR, LF in the
message; also ``:`` and ``,`` in properties). The summary line ends the output, as plain text.
"""

from __future__ import annotations

from .lint import RULES, Report, summary
from .sarif import relative_path

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def as_annotations(report: Report) -> str:
    by_label = {source.label: source for source in report.sources}
    lines = []
    for finding in report.findings:
        properties = _properties(relative_path(by_label[finding.input]), finding.line,
                                 f"{finding.code} {RULES[finding.code].title}")
        message = f"{finding.requirement} [{finding.where}]: {finding.message} (see {finding.url})"
        lines.append(f"::{COMMANDS[finding.severity]} {properties}::{_escape(message)}")
    for source in report.unchecked:
        for reason in source.unchecked:
            properties = _properties(relative_path(source), None, "pinlab: not checked")
            lines.append(f"::warning {properties}::{_escape(f'{source.label}: not checked: {reason}')}")
    lines += summary(report)
    return "\n".join(lines)


def _properties(file: str | None, line: int | None, title: str) -> str:
    pairs = [("file", file)] if file else []
    pairs += [("line", str(line))] if file and line else []
    pairs += [("title", title)]
    return ",".join(f"{key}={_escape(value, property=True)}" for key, value in pairs)


def _escape(value: str, property: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property else value
