"""The JSON reports of pip-audit (``pip-audit -f json``) and uv audit (``uv audit --output-format json``).

One reader per format, both giving the same records: which packages were audited, at which
version, and which advisories affect them with the versions that fix them. The format is told
from the content: pip-audit's report has a ``dependencies`` list (every package it audited, a
skipped one with a ``skip_reason``); uv audit's has a ``vulnerabilities`` list (only the affected
packages) and a ``summary`` with the number of packages it audited.

A report with a value of the wrong type is refused with the field named
(``dependencies[0].vulns[0].fix_versions must be a list of strings, not "1.0a28"``): a string
where a list belongs would otherwise be read letter by letter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from .requirements import UnusableInput

if TYPE_CHECKING:
    from .advisories import Advisory

PIP_AUDIT = "pip-audit"
UV_AUDIT = "uv audit"


@dataclass(frozen=True)
class Vulnerability:
    """One advisory against one installed package."""

    id: str
    """The advisory's id (``TOYSEC-2026-1``, ``PYSEC-...``, ``GHSA-...``)."""
    package: str
    """The vulnerable package's name, normalised (PEP 503)."""
    version: str
    """The version the advisory affects: the one the audit saw installed."""
    fix_versions: tuple[str, ...]
    """The versions the advisory names as fixed, as the report writes them."""
    aliases: tuple[str, ...] = ()
    """Other ids of the same vulnerability (a CVE ...)."""
    description: str = ""
    """Its summary line, if the report gives one."""
    advisory: Advisory | None = field(default=None, repr=False, compare=False)
    """The OSV record itself, when it was read from one: then its ranges decide exactly which
    versions it affects; from a report, only the fix versions are known."""


@dataclass(frozen=True)
class AuditedPackage:
    """One package as an audit reported it."""

    name: str
    """Normalised name."""
    version: str | None
    """The version the audit saw; None for a package it skipped without one."""
    vulns: tuple[Vulnerability, ...] = ()
    """The advisories that affect this version (empty: none known)."""
    skip_reason: str | None = None
    """Why the audit skipped the package (pip-audit: an editable install, a package not on PyPI)."""


@dataclass(frozen=True)
class AuditData:
    """What one audit report says."""

    tool: str
    """``pip-audit`` or ``uv audit``."""
    packages: tuple[AuditedPackage, ...]
    """pip-audit: every package it saw, skipped ones included; uv audit: only the vulnerable ones."""
    audited: int
    """How many packages were actually audited (skipped ones left out)."""

    @property
    def lists_every_package(self) -> bool:
        """True if the report names every audited package (pip-audit), not only the vulnerable ones."""
        return self.tool == PIP_AUDIT


def read_audit_file(path: str | Path, label: str) -> AuditData:
    """Read a pip-audit or uv audit JSON report; *label* names it in error messages."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnusableInput(f"{label}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UnusableInput(f"{label}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UnusableInput(f"{label}: invalid JSON: {exc}") from None
    return read_audit_data(data, label)


def read_audit_data(data: object, label: str) -> AuditData:
    """An already parsed report, its format told from its content."""
    if isinstance(data, dict) and isinstance(data.get("dependencies"), list):
        return read_pip_audit(data, label)
    if isinstance(data, dict) and isinstance(data.get("vulnerabilities"), list) and "summary" in data:
        return read_uv_audit(data, label)
    raise UnusableInput(f'{label}: neither a pip-audit JSON report (no "dependencies" list) '
                        f'nor a uv audit one (no "vulnerabilities" list and "summary")')


def read_pip_audit(data: dict, label: str) -> AuditData:
    """pip-audit 2.x: ``{"dependencies": [{"name", "version", "vulns": [{"id", "fix_versions",
    "aliases", "description"}]} or {"name", "skip_reason"}], "fixes": [...]}``."""
    fields = _Fields(label)
    packages = []
    for number, entry in enumerate(fields.list(data, "dependencies", "")):
        where = f"dependencies[{number}]"
        entry = fields.object(entry, where)
        name = canonicalize_name(fields.string(entry, "name", where))
        if "skip_reason" in entry:
            packages.append(AuditedPackage(name, fields.optional_string(entry, "version", where) or None,
                                           skip_reason=fields.string(entry, "skip_reason", where)))
            continue
        version = fields.string(entry, "version", where)
        vulns = []
        for index, vuln in enumerate(fields.list(entry, "vulns", where)):
            at = f"{where}.vulns[{index}]"
            vuln = fields.object(vuln, at)
            vulns.append(Vulnerability(fields.string(vuln, "id", at), name, version,
                                       fields.strings(vuln, "fix_versions", at), fields.strings(vuln, "aliases", at),
                                       fields.optional_string(vuln, "description", at)))
        packages.append(AuditedPackage(name, version, tuple(vulns)))
    audited = sum(1 for package in packages if package.skip_reason is None)
    return AuditData(PIP_AUDIT, tuple(packages), audited)


def read_uv_audit(data: dict, label: str) -> AuditData:
    """uv audit (0.13, schema "preview"): ``{"summary": {"audited_packages"}, "vulnerabilities":
    [{"dependency": {"name", "version"}, "id", "aliases", "summary", "fix_versions"}]}``, one entry
    per advisory and package."""
    fields = _Fields(label)
    summary = fields.object(data.get("summary"), "summary")
    audited = summary.get("audited_packages")
    if not isinstance(audited, int) or isinstance(audited, bool):
        raise fields._wrong("summary.audited_packages", "a number", audited)
    by_package: dict[tuple[str, str], list[Vulnerability]] = {}
    for number, entry in enumerate(fields.list(data, "vulnerabilities", "")):
        where = f"vulnerabilities[{number}]"
        entry = fields.object(entry, where)
        dependency = fields.object(entry.get("dependency"), f"{where}.dependency")
        name = canonicalize_name(fields.string(dependency, "name", f"{where}.dependency"))
        version = fields.string(dependency, "version", f"{where}.dependency")
        by_package.setdefault((name, version), []).append(Vulnerability(
            fields.string(entry, "id", where), name, version, fields.strings(entry, "fix_versions", where),
            fields.strings(entry, "aliases", where), fields.optional_string(entry, "summary", where)))
    packages = tuple(AuditedPackage(name, version, tuple(vulns))
                     for (name, version), vulns in sorted(by_package.items()))
    return AuditData(UV_AUDIT, packages, audited)


class _Fields:
    """Typed access to a report's fields; a wrong type is refused naming the field and its value."""

    def __init__(self, label: str) -> None:
        self.label = label

    def _wrong(self, where: str, expected: str, value: object) -> UnusableInput:
        if value is None:
            return UnusableInput(f"{self.label}: {where} is missing (it must be {expected})")
        return UnusableInput(f"{self.label}: {where} must be {expected}, not {_shown(value)}")

    def object(self, value: object, where: str) -> dict:
        if not isinstance(value, dict):
            raise self._wrong(where, "an object", value)
        return value

    def list(self, data: dict, key: str, where: str) -> list:
        value = data.get(key)
        if not isinstance(value, list):
            raise self._wrong(_at(where, key), "a list", value)
        return value

    def string(self, data: dict, key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise self._wrong(_at(where, key), "a non-empty string", value)
        return value

    def optional_string(self, data: dict, key: str, where: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self._wrong(_at(where, key), "a string", value)
        return value

    def strings(self, data: dict, key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._wrong(_at(where, key), "a list of strings", value)
        return tuple(value)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _shown(value: Any) -> str:
    """The value as the JSON file writes it (``"1.0a28"``, ``null``), cut short if long."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
