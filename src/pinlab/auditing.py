"""Run the real pip-audit on a sandbox, against the local advisory service, and read its JSON.

Three things make this offline and aimed at the right environment:

- **Which environment.** pip-audit lists packages with ``<python> -m pip list`` and, with
  ``--fix``, upgrades them with ``sys.executable -m pip install``. It reads
  ``PIPAPI_PYTHON_LOCATION`` for the listing but not for the fix (pypa/pip-audit#1030), and
  ``--path`` likewise only changes the listing: a pip-audit installed elsewhere would audit the
  sandbox and then "fix" its own environment. So pinlab runs the kit's own pip-audit *with the
  sandbox's interpreter*: the kit's site-packages are put in front of ``sys.path`` of that one
  process (not in ``PYTHONPATH``, which pip's subprocesses would inherit), so ``sys.executable``
  is the sandbox's Python for the listing and for the fix alike, as if pip-audit were installed
  in the sandbox.
- **No network.** ``-s osv --osv-url`` sends every query to the local service; nothing goes to
  PyPI (pip-audit only contacts PyPI, or makes a virtualenv of its own, when auditing a
  requirements file or a project, which pinlab never asks it to). The caller's proxy variables
  are dropped and 127.0.0.1 is exempt from any system proxy, and the pip that ``--fix`` runs
  gets the sandbox's isolated settings (no index, the local index as its only source).
- **No cache outside the sandbox.** ``--cache-dir`` points into the sandbox's throwaway folder,
  instead of the user's cache directory.

pip-audit writes its JSON report (``-f json -o FILE``) into the sandbox's folder; the transcript
keeps what it printed for a reader (its one-line summary).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .advisory_service import HOST, AdvisoryService
from .audit_reports import AuditedPackage, Vulnerability, read_pip_audit  # noqa: F401 (Vulnerability: its old home)
from .process import run
from .sandbox import SEED_PACKAGES, Outcome, Sandbox, split_args, uv_binary

if TYPE_CHECKING:
    from IPython.lib.pretty import RepresentationPrinter  # IPython calls _repr_pretty_; pinlab does not need it

# Runs pip-audit under a sandbox's interpreter: a file of its own, linted and typed like the rest.
_SCRIPT = Path(__file__).with_name("_run_pip_audit.py")
_REPORT = "pip-audit.json"
_CACHE = "pip-audit-cache"


class AuditError(RuntimeError):
    """pip-audit did not produce a report; the message quotes its last line of output."""


@dataclass(frozen=True)
class AuditFix:
    """What ``pip-audit --fix`` did, or declined to do, for one package."""

    name: str
    """Canonical name."""
    old_version: str
    """The version before."""
    new_version: str | None
    """The version it installed, or ``None`` if it skipped the package."""
    skip_reason: str | None = None
    """Why it skipped it."""


@dataclass(frozen=True, repr=False)  # shown as a transcript plus a table, like Completed
class AuditReport:
    """pip-audit's verdict on one sandbox."""

    transcript: Outcome
    """The command as a reader would type it, what it printed, its exit status, and what is
    installed afterwards (``--fix`` changes that)."""
    packages: tuple[AuditedPackage, ...]
    """Every package pip-audit audited, seed packages (pip) left out."""
    fixes: tuple[AuditFix, ...]
    """What ``--fix`` did (empty without it)."""
    report: Mapping[str, Any]
    """pip-audit's JSON report, unchanged."""

    @property
    def vulnerable(self) -> tuple[AuditedPackage, ...]:
        """The packages with at least one known vulnerability."""
        return tuple(package for package in self.packages if package.vulns)

    @property
    def clean(self) -> bool:
        """True if pip-audit found no known vulnerability."""
        return not self.vulnerable

    def __str__(self) -> str:
        lines = [str(self.transcript), ""]
        lines.append("audited: " + ", ".join(f"{p.name} {p.version}" for p in self.packages))
        for package in self.vulnerable:
            for vuln in package.vulns:
                fixed = ", ".join(vuln.fix_versions) or "none"
                lines.append(f"vulnerable: {package.name} {package.version}: {vuln.id} (fixed in {fixed})")
        for fix in self.fixes:
            if fix.new_version is None:
                lines.append(f"not fixed: {fix.name} {fix.old_version}: {fix.skip_reason}")
            else:
                lines.append(f"fixed: {fix.name} {fix.old_version} -> {fix.new_version}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: RepresentationPrinter, cycle: bool) -> None:
        printer.text(str(self))


def audit(sandbox: Sandbox, service: AdvisoryService, *args: str, runner: Sandbox | None = None) -> AuditReport:
    """Run pip-audit on *sandbox*'s environment against *service*; *args* are extra options
    (``"--fix"``, ``"--dry-run --fix"``), as one string or several.

    With *runner*, pip-audit runs with that environment's interpreter instead and is pointed at
    *sandbox* with ``PIPAPI_PYTHON_LOCATION``, the way a pip-audit installed elsewhere (pipx, a
    tools venv) is: it then audits *sandbox*, but ``--fix`` installs into *runner*
    (pypa/pip-audit#1030). Only for showing that trap.
    """
    if service.closed:
        raise AuditError("the advisory service is closed: pip-audit would have nothing to ask")
    extra = split_args(args)
    report_file = sandbox.path / _REPORT
    report_file.unlink(missing_ok=True)
    # Relative paths: pip-audit runs in the sandbox's folder, and the command reads shorter.
    # No progress spinner: Jupyter kernels set FORCE_COLOR=1, and then rich (pip-audit's spinner)
    # draws into the pipe, one line per frame, as many frames as the run takes.
    options = ["-s", "osv", "--osv-url", service.url, "--cache-dir", _CACHE, "--progress-spinner", "off",
               "-f", "json", "-o", _REPORT, *extra]
    env = _without_proxies(sandbox.pip_env())
    shown_port = f"http://{HOST}:<port>"
    shown = ["pip-audit", *(option.replace(service.base_url, shown_port) for option in options)]
    if runner is not None:
        env["PIPAPI_PYTHON_LOCATION"] = str(sandbox.python)
        shown.insert(0, "PIPAPI_PYTHON_LOCATION=<sandbox python>")
    argv = [str((runner or sandbox).python), "-I", str(_SCRIPT), json.dumps(_kit_folders()), *options]
    done = sandbox.run(argv, shown_as=shown, env=env)
    done = replace(done, output=done.output.replace(service.base_url, shown_port))
    if not report_file.is_file():
        last = (done.output.strip().splitlines() or ["no output"])[-1]
        raise AuditError(f"pip-audit wrote no report (exit status {done.returncode}): {last}")
    return _parse(done, json.loads(report_file.read_text(encoding="utf-8")))


def _without_proxies(env: dict[str, str]) -> dict[str, str]:
    """*env* with no proxy settings, and 127.0.0.1 exempt from any proxy the system names.

    A lower-case ``no_proxy`` would take precedence over ``NO_PROXY`` in requests, so every
    spelling is dropped first; one ``NO_PROXY`` is then enough (on Windows, names ignore case).
    """
    proxy_names = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}
    kept = {key: value for key, value in env.items() if key.lower() not in proxy_names}
    return {**kept, "NO_PROXY": HOST}


def _kit_folders() -> list[str]:
    """The folders that hold the kit's pip-audit and its dependencies, for :data:`_SCRIPT`."""
    spec = importlib.util.find_spec("pip_audit")
    if spec is None or spec.origin is None:
        raise AuditError("pip-audit is not installed beside pinlab: pip install pip-audit")
    paths = [str(Path(spec.origin).parent.parent)]
    for key in ("purelib", "platlib"):
        location = sysconfig.get_paths()[key]
        if location not in paths and os.path.isdir(location):
            paths.append(location)
    return paths


def _parse(transcript: Outcome, report: Mapping[str, Any]) -> AuditReport:
    # Seed packages (pip) are audited too but are not part of any lesson; a package pip-audit
    # skipped (an editable install) has no version to report, and sandboxes never hold one.
    audited = read_pip_audit(dict(report), "pip-audit's report")
    packages = [package for package in audited.packages
                if package.name not in SEED_PACKAGES and package.skip_reason is None]
    fixes = tuple(
        AuditFix(fix["name"], fix.get("old_version", fix.get("version", "")), fix.get("new_version"),
                 fix.get("skip_reason"))
        for fix in report.get("fixes", [])
    )
    return AuditReport(transcript, tuple(sorted(packages, key=lambda p: p.name)), fixes, report)


# -- uv audit -----------------------------------------------------------------------------------------

_UV_REPORT = "uv-audit.json"


@dataclass(frozen=True, repr=False)
class UvAuditReport:
    """What the real ``uv audit`` said about a sandbox's locked project."""

    transcript: Outcome
    """The run a reader sees: ``uv audit`` in its own words (text output)."""
    report: Path
    """Its JSON report (``--output-format json``), the file ``pinlab explain --audit-json`` reads."""
    vulnerable: tuple[AuditedPackage, ...]
    """The vulnerable packages the report names, read by the one reader of audit reports."""

    def __str__(self) -> str:
        return str(self.transcript)

    def _repr_pretty_(self, printer: RepresentationPrinter, cycle: bool) -> None:
        printer.text(str(self))


_APPLICATION = """\
[project]
name = "toy-application"
version = "1.0"
requires-python = ">=3.10"
dependencies = [{dependencies}]
"""


def lock_project(sandbox: Sandbox, *requirements: str) -> Outcome:
    """Write an application that depends on *requirements* into *sandbox*'s folder, as a
    ``pyproject.toml``, and lock it with ``uv lock`` from the sandbox's index: what ``uv audit``
    reads."""
    sandbox.write_file("pyproject.toml", _APPLICATION.format(
        dependencies=", ".join(json.dumps(requirement) for requirement in requirements)))
    return sandbox.uv("lock --no-index")


def uv_audit(sandbox: Sandbox, service: AdvisoryService) -> UvAuditReport:
    """Run the real ``uv audit`` on the project locked in *sandbox*'s folder (its ``uv.lock``,
    e.g. made by ``sandbox.uv("lock --no-index")``), asking *service* instead of osv.dev.

    uv audit reads the lock, not an installed environment, and refuses to run offline ("Auditing
    requires network access"): so it runs with network mode on, every proxy dropped, and
    ``--service-url`` naming the service on 127.0.0.1, the only address it asks (its queries
    are OSV's ``/v1/querybatch`` then ``/v1/vulns/ID``). A cache of its own in the sandbox: uv
    keeps the answers for half an hour otherwise.
    """
    if service.closed:
        raise AuditError("the advisory service is closed: uv audit would have nothing to ask")
    if not (sandbox.path / "uv.lock").is_file():
        raise AuditError("uv audit reads a lock: lock the sandbox's project first (lock_project(sandbox, ...))")
    from .audit_reports import read_uv_audit

    env = _without_proxies({key: value for key, value in sandbox.uv_env().items() if key != "UV_OFFLINE"})
    # The experimental-feature warning is noise in a transcript; the feature is what uv 0.13 ships.
    options = ["audit", "--frozen", "--service-url", service.base_url, "--cache-dir", "uv-audit-cache",
               "--preview-features", "audit-command,json-output"]
    shown_port = f"http://{HOST}:<port>"
    shown = ["uv", "audit", "--frozen", "--service-url", shown_port]
    transcript = sandbox.run([uv_binary(), *options], shown_as=shown, env=env)
    transcript = replace(transcript, output=transcript.output.replace(service.base_url, shown_port))
    as_json = run([uv_binary(), *options, "--output-format", "json"], env=env, cwd=sandbox.path,
                  merge_output=False, timeout=sandbox.time_limit)
    report = sandbox.path / _UV_REPORT
    report.write_text(as_json.output if as_json.returncode in (0, 1) else "", encoding="utf-8")
    if as_json.returncode not in (0, 1):
        last = (as_json.output.strip().splitlines() or ["no output"])[-1]
        raise AuditError(f"uv audit failed ({as_json.status}): {last}")
    return UvAuditReport(transcript, report, read_uv_audit(json.loads(as_json.output), "uv audit's report").packages)
