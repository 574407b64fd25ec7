"""The one reader of audit reports: pip-audit's and uv audit's JSON, told apart by content, types checked."""

import json
from typing import Any

import pytest

from pinlab.audit_reports import AuditedPackage, Vulnerability, read_audit_data, read_audit_file
from pinlab.requirements import UnusableInput

# As the real tools write them (pip-audit 2.x; uv 0.13.9 with --output-format json, schema "preview").
PIP_AUDIT: dict[str, Any] = {"dependencies": [
    {"name": "toyhost", "version": "1.0a27", "vulns": [
        {"id": "TOYSEC-2026-1", "fix_versions": ["1.0a28"], "aliases": ["TOY-CVE-2026-0027"], "description": "xss"}]},
    {"name": "toyhost-export", "version": "0.3a1", "vulns": []},
    {"name": "mine", "skip_reason": "Dependency not found on PyPI and could not be audited: mine (0.1)"},
], "fixes": []}
UV_AUDIT = {"schema": {"version": "preview"},
            "summary": {"audited_packages": 2, "vulnerabilities": 1, "adverse_statuses": 0},
            "vulnerabilities": [{"dependency": {"name": "toyhost", "version": "1.0a27"}, "id": "TOYSEC-2026-1",
                                 "display_id": "TOYSEC-2026-1", "aliases": ["TOY-CVE-2026-0027"], "summary": "xss",
                                 "description": "...", "link": "https://osv.dev/vulnerability/TOYSEC-2026-1",
                                 "fix_versions": ["1.0a28"], "published": "2026-06-20T09:00:00Z",
                                 "modified": "2026-06-20T09:00:00Z"}],
            "adverse_statuses": []}
TOYSEC = Vulnerability("TOYSEC-2026-1", "toyhost", "1.0a27", ("1.0a28",), ("TOY-CVE-2026-0027",), "xss")


def test_both_formats_read_into_the_same_records():
    pip = read_audit_data(PIP_AUDIT, "report")
    uv = read_audit_data(UV_AUDIT, "report")
    assert (pip.tool, pip.audited, pip.lists_every_package) == ("pip-audit", 2, True)
    assert (uv.tool, uv.audited, uv.lists_every_package) == ("uv audit", 2, False)
    assert pip.packages[0] == uv.packages[0] == AuditedPackage("toyhost", "1.0a27", (TOYSEC,))
    assert pip.packages[2] == AuditedPackage("mine", None, (), PIP_AUDIT["dependencies"][2]["skip_reason"])


def test_the_uv_audit_report_captured_from_the_real_uv_reads(tmp_path):
    from pathlib import Path

    sample = Path(__file__).parent / "data" / "uv-audit-sample.json"
    data = read_audit_file(sample, "sample")
    assert (data.tool, [(p.name, p.version, [v.id for v in p.vulns]) for p in data.packages]) == (
        "uv audit", [("toyhost", "1.0a27", ["TOYSEC-2026-1"])])


def with_change(data, path, value):
    data = json.loads(json.dumps(data))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize("data, message", [
    (with_change(PIP_AUDIT, ["dependencies", 0, "vulns", 0, "fix_versions"], "1.0a28"),
     'dependencies[0].vulns[0].fix_versions must be a list of strings, not "1.0a28"'),
    (with_change(PIP_AUDIT, ["dependencies", 0, "vulns"], {"id": "x"}), 'dependencies[0].vulns must be a list, not {"id": "x"}'),
    (with_change(PIP_AUDIT, ["dependencies", 1, "version"], 3), "dependencies[1].version must be a non-empty string, not 3"),
    (with_change(PIP_AUDIT, ["dependencies", 0, "vulns", 0, "aliases"], "CVE-1"),
     'dependencies[0].vulns[0].aliases must be a list of strings, not "CVE-1"'),
    (with_change(UV_AUDIT, ["vulnerabilities", 0, "fix_versions"], "1.0a28"),
     'vulnerabilities[0].fix_versions must be a list of strings, not "1.0a28"'),
    (with_change(UV_AUDIT, ["summary", "audited_packages"], "2"), 'summary.audited_packages must be a number, not "2"'),
    (with_change(UV_AUDIT, ["vulnerabilities", 0, "dependency"], "toyhost"),
     'vulnerabilities[0].dependency must be an object, not "toyhost"'),
    ({"vulnerabilities": []}, 'neither a pip-audit JSON report (no "dependencies" list) nor a uv audit one '
                              '(no "vulnerabilities" list and "summary")'),
])
def test_a_wrong_type_is_refused_naming_the_field(data, message):
    with pytest.raises(UnusableInput) as caught:
        read_audit_data(data, "--audit-json a.json")
    assert str(caught.value) == f"--audit-json a.json: {message}"
