"""The real pip-audit on a sandbox, against the local advisory service, end to end."""

import importlib.util
import json

import pytest

from pinlab import AdvisoryService, Sandbox, audit, toy_index
from pinlab.auditing import AuditedPackage, AuditError, AuditFix, Vulnerability
from pinlab.toys import examples_dir

TOYSEC = Vulnerability(
    "TOYSEC-2026-1", "toyhost", "1.0a27", ("1.0a28",), ("TOY-CVE-2026-0027",),
    "toyhost render_title() does not escape HTML (cross-site scripting)",
)
COMMAND = ("pip-audit", "-s", "osv", "--osv-url", "http://127.0.0.1:<port>/v1/query", "--cache-dir", "pip-audit-cache",
           "--progress-spinner", "off",
           "-f", "json", "-o", "pip-audit.json")


@pytest.fixture(scope="module")
def index():
    with toy_index("toyhost==1.0a27", "toyhost==1.0a28", "toyhost-export") as made:
        yield made


@pytest.fixture(scope="module")
def service():
    with AdvisoryService() as running:
        yield running



def test_pip_audit_reports_the_vulnerable_host_and_its_fix(pip_audit_of_pinned, pinned_to_read):
    report = pip_audit_of_pinned  # the real pip-audit's, run once per worker for the tests that read it
    assert report.transcript.command == COMMAND
    assert report.transcript.returncode == 1  # pip-audit's "vulnerabilities found"
    assert report.transcript.output == "Found 1 known vulnerability in 1 package\n"
    assert report.packages == (
        AuditedPackage("toyhost", "1.0a27", (TOYSEC,)),
        AuditedPackage("toyhost-export", "0.3a1"),
    )
    assert report.vulnerable == report.packages[:1] and not report.clean
    assert report.fixes == ()
    assert (pinned_to_read.path / "pip-audit.json").is_file(), "the report stays in the sandbox's throwaway folder"


def test_fix_upgrades_the_sandbox_and_leaves_it_broken(pinned, service):
    report = audit(pinned, service, "--fix")
    assert report.transcript.command == (*COMMAND, "--fix")
    assert report.transcript.returncode == 0
    assert report.transcript.output == (
        "Found 1 known vulnerability in 1 package and fixed 1 vulnerability in 1 package\n")
    assert report.fixes == (AuditFix("toyhost", "1.0a27", "1.0a28"),)
    assert report.transcript.installed == {"toyhost": "1.0a28", "toyhost-export": "0.3a1"}
    assert importlib.util.find_spec("toyhost") is None, "the fix must land in the sandbox, not in the kit"
    check = pinned.pip("check")
    assert (check.returncode, check.output) == (
        1, "toyhost-export 0.3a1 has requirement toyhost==1.0a27, but you have toyhost 1.0a28.\n")
    again = audit(pinned, service)
    assert again.clean and again.transcript.output == "No known vulnerabilities found\n"


def test_a_pip_audit_from_elsewhere_fixes_its_own_environment(pinned, index, service):
    """pypa/pip-audit#1030: PIPAPI_PYTHON_LOCATION steers the audit but not the fix.

    If this fails because the fix landed in the sandbox, upstream has fixed the issue."""
    with Sandbox(index) as elsewhere:
        report = audit(pinned, service, "--fix", runner=elsewhere)
        assert report.transcript.command[0] == "PIPAPI_PYTHON_LOCATION=<sandbox python>"
        assert report.packages[0] == AuditedPackage("toyhost", "1.0a27", (TOYSEC,))  # audited the sandbox ...
        assert report.fixes == (AuditFix("toyhost", "1.0a27", "1.0a28"),)
        assert pinned.installed() == {"toyhost": "1.0a27", "toyhost-export": "0.3a1"}  # ... did not fix it
        assert elsewhere.installed() == {"toyhost": "1.0a28"}  # ... and installed the fix here


def test_proxy_settings_of_the_caller_are_not_used(pinned_to_read, service, monkeypatch):
    # Were these honoured, pip-audit would send its queries to a port where nothing listens.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "example.invalid")
    report = audit(pinned_to_read, service)
    assert report.vulnerable[0].vulns == (TOYSEC,)


def test_a_widened_plugin_lets_the_fix_in_and_pip_audit_comes_back_clean(index, service):
    with Sandbox(index) as sandbox:
        assert sandbox.uv("pip install toyhost-export==0.3a2").ok
        report = audit(sandbox, service)
        assert (report.transcript.returncode, report.transcript.output) == (0, "No known vulnerabilities found\n")
        assert report.packages == (AuditedPackage("toyhost", "1.0a28"), AuditedPackage("toyhost-export", "0.3a2"))
        assert report.clean


def test_auditing_with_a_closed_service_is_an_error(pinned_to_read):
    service = AdvisoryService()
    service.close()
    with pytest.raises(AuditError) as caught:
        audit(pinned_to_read, service)
    assert str(caught.value) == "the advisory service is closed: pip-audit would have nothing to ask"


def test_a_pip_audit_failure_quotes_its_last_line(pinned_to_read, service):
    with pytest.raises(AuditError) as caught:
        audit(pinned_to_read, service, "--no-such-option")
    assert str(caught.value) == (
        "pip-audit wrote no report (exit status 2): pip-audit: error: unrecognized arguments: --no-such-option")



def test_a_vulnerability_without_a_fixed_version_is_reported_as_not_fixed(index, tmp_path):
    record = json.loads((examples_dir() / "advisories" / "TOYSEC-2026-1.json").read_text(encoding="utf-8"))
    record["affected"][0]["ranges"][0]["events"] = [{"introduced": "0"}, {"last_affected": "1.0a27"}]
    (tmp_path / "unfixed.json").write_text(json.dumps(record))
    with AdvisoryService(tmp_path) as unfixed, Sandbox(index) as sandbox:
        assert sandbox.uv("pip install toyhost-export==0.3a1").ok
        report = audit(sandbox, unfixed, "--fix")
        assert report.transcript.returncode == 1
        reason = "failed to fix dependency toyhost (1.0a27), unable to find fix version for vulnerability TOYSEC-2026-1"
        assert report.fixes == (AuditFix("toyhost", "1.0a27", None, reason),)
        assert str(report).splitlines()[-2:] == [
            "vulnerable: toyhost 1.0a27: TOYSEC-2026-1 (fixed in none)",
            f"not fixed: toyhost 1.0a27: {reason}",
        ]
        assert sandbox.installed() == {"toyhost": "1.0a27", "toyhost-export": "0.3a1"}


def test_a_fix_that_pip_cannot_install_makes_pip_audit_fail(service):
    """pip-audit 2.10 lets PipFixError escape as a traceback (it is no DependencySourceError)."""
    with toy_index("toyhost==1.0a27", "toyhost-export==0.3a1") as old_index, Sandbox(old_index) as sandbox:
        assert sandbox.uv("pip install toyhost-export==0.3a1").ok
        with pytest.raises(AuditError) as caught:
            audit(sandbox, service, "--fix")  # 1.0a28 is not in this index
        assert str(caught.value) == (
            "pip-audit wrote no report (exit status 1): pip_audit._dependency_source.pip.PipFixError: "
            "failed to upgrade dependency toyhost to fix version 1.0a28")
        assert sandbox.installed() == {"toyhost": "1.0a27", "toyhost-export": "0.3a1"}


# -- uv audit, beside pip-audit ---------------------------------------------------------------------

def _locked(sandbox, requirement):
    from pinlab.auditing import lock_project

    locked = lock_project(sandbox, requirement)
    assert locked.ok, locked.output
    assert locked.output.splitlines()[0] == "Using CPython interpreter at: <sandbox python>"


@pytest.fixture(scope="module")
def uv_with_audit():
    from pinlab.process import run
    from pinlab.sandbox import has_uv, uv_binary

    if not has_uv() or not run([uv_binary(), "audit", "--help"]).ok:
        pytest.skip("this uv has no audit command (uv audit came with uv 0.13)")


def test_uv_audit_and_pip_audit_report_the_same_advisory(pinned, pip_audit_of_pinned, service, uv_with_audit):
    from pinlab.auditing import uv_audit

    _locked(pinned, "toyhost-export==0.3a1")
    by_uv = uv_audit(pinned, service)
    by_pip_audit = pip_audit_of_pinned  # on a sandbox made as *pinned* is, before its lock
    assert by_uv.transcript.command == ("uv", "audit", "--frozen", "--service-url", "http://127.0.0.1:<port>")
    assert by_uv.transcript.returncode == 1
    assert by_uv.transcript.output.startswith(
        "Found 1 known vulnerability and no adverse project statuses in 2 packages\n")
    assert "- TOYSEC-2026-1: toyhost render_title() does not escape HTML (cross-site scripting)" in by_uv.transcript.output
    assert by_uv.vulnerable == by_pip_audit.vulnerable == (AuditedPackage("toyhost", "1.0a27", (TOYSEC,)),)


def test_explain_reads_uv_audits_report_and_names_the_blocking_pin(pinned, service, uv_with_audit, capsys):
    from pinlab.auditing import uv_audit
    from pinlab.cli import main

    _locked(pinned, "toyhost-export==0.3a1")
    report = uv_audit(pinned, service)
    status = main(["explain", "--audit-json", str(report.report), "--python", str(pinned.python)])
    out = capsys.readouterr().out
    assert status == 1
    assert "toyhost-export 0.3a1 requires toyhost==1.0a27" in out and "BLOCKED" in out


def test_uv_audit_needs_a_lock_and_says_so(pinned, service, uv_with_audit):
    from pinlab.auditing import uv_audit

    with pytest.raises(AuditError) as raised:
        uv_audit(pinned, service)
    assert str(raised.value) == ("uv audit reads a lock: lock the sandbox's project first "
                                 "(lock_project(sandbox, ...))")
