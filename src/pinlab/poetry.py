"""Poetry's own tables (``[tool.poetry.dependencies]``, groups, ``extras``) as PEP 508 requirements.

Poetry writes constraints in its own syntax, translated here as Poetry's documentation defines it
(python-poetry.org/docs/dependency-specification/), so that ``pinlab lint`` judges them with the
same rules as any other requirement:

| Poetry           | means                  | so, for lint      |
|------------------|------------------------|-------------------|
| ``^1.2.3``       | ``>=1.2.3,<2.0.0``     | a cap             |
| ``^0.2.3``       | ``>=0.2.3,<0.3.0``     | a cap             |
| ``^0.0.3``       | ``>=0.0.3,<0.0.4``     | a cap             |
| ``~1.2.3``       | ``>=1.2.3,<1.3.0``     | a cap             |
| ``~1``           | ``>=1,<2``             | a cap             |
| ``1.2.3``        | ``==1.2.3``            | an exact pin      |
| ``1.2.*``, ``*`` | ``==1.2.*``, anything  | a cap, nothing    |

The caret bumps the leftmost non-zero part of the version as written (or its last part, when
all are zero: ``^0.0`` is ``<0.1``); the tilde bumps the minor part (the major when only a major
is written). The ``python`` key is the project's Requires-Python. A constraint joined with
``||`` has no PEP 440 equivalent: it is named as not checked, never guessed.

Each dependency is shown as the PEP 508 requirement Poetry means by it (``orjson==3.10.12``, with
its ``python`` and ``markers`` keys as a marker), whichever TOML form it is written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .requirements import Declared, UnusableInput

if TYPE_CHECKING:
    from .requirements import TomlLines


class UntranslatableConstraint(ValueError):
    """A Poetry constraint with no PEP 440 equivalent (``^1.2 || ^2.0``)."""


@dataclass(frozen=True)
class PoetryRequirements:
    """What Poetry's tables declare."""

    declared: tuple[Declared, ...]
    """Every requirement, translated, in the order written."""
    unchecked: tuple[str, ...]
    """Constraints that could not be translated, each with the reason."""
    version: str | None
    """``[tool.poetry] version``."""
    requires_python: str | None
    """The ``python`` key of ``[tool.poetry.dependencies]``, translated (``>=3.8,<4.0``)."""
    requires_python_line: int | None
    """The line of that key."""


_SPACE_AFTER_OPERATOR = re.compile(r"(>=|<=|!=|==|~=|>|<|=|\^|~)\s+")


def to_specifier(constraint: str) -> str:
    """A Poetry version constraint as a PEP 440 specifier: ``^1.2`` -> ``>=1.2,<2``.

    Raises UntranslatableConstraint for ``||``, ValueError for text that is no constraint.
    """
    if "||" in constraint or "|" in constraint:
        raise UntranslatableConstraint(f"{constraint!r} joins alternatives with '||', which PEP 440 cannot say")
    clauses = [c for c in re.split(r"[,\s]+", _SPACE_AFTER_OPERATOR.sub(r"\1", constraint.strip())) if c]
    specs = [spec for clause in clauses for spec in _clause(clause, constraint)]
    result = ",".join(specs)
    try:
        SpecifierSet(result)
    except InvalidSpecifier:
        raise ValueError(f"invalid version constraint {constraint!r}") from None
    return result


def _clause(clause: str, constraint: str) -> list[str]:
    if clause in ("*", "x", "X"):
        return []
    for operator in ("~=", ">=", "<=", "!=", ">", "<"):
        if clause.startswith(operator):
            return [f"{operator}{clause[len(operator):]}"]
    if clause.startswith("^"):
        return _bounded(clause[1:], constraint, caret=True)
    if clause.startswith("~"):
        return _bounded(clause[1:], constraint, caret=False)
    version = clause.lstrip("=")
    version = re.sub(r"\.[xX]$", ".*", version)
    return [f"=={version}"]


def _bounded(written: str, constraint: str, caret: bool) -> list[str]:
    try:
        release = Version(written).release
    except InvalidVersion:
        raise ValueError(f"invalid version constraint {constraint!r}") from None
    if caret:
        # The leftmost non-zero part as written; all zero: the last part written.
        at = next((i for i, part in enumerate(release) if part != 0), len(release) - 1)
    else:
        at = 0 if len(release) == 1 else 1
    upper = (*release[:at], release[at] + 1)
    return [f">={written}", "<" + ".".join(map(str, upper))]


def _marker(value: dict) -> str | None:
    """Poetry's ``markers``, ``python`` and ``platform`` keys as one PEP 508 marker."""
    parts = []
    if isinstance(value.get("markers"), str):
        parts.append(f"({value['markers']})")
    if isinstance(value.get("python"), str):
        try:
            parts += [f'python_version {spec.operator} "{spec.version}"'
                      for spec in sorted(SpecifierSet(to_specifier(value["python"])), key=str)]
        except ValueError:
            pass  # an untranslatable python condition only narrows where the pin applies
    if isinstance(value.get("platform"), str):
        parts.append(f'sys_platform == "{value["platform"]}"')
    return " and ".join(parts) or None


def _pep508(name: str, value: object, base: Path) -> str:
    """One Poetry dependency value (a string or a table) as a PEP 508 string."""
    if isinstance(value, str):
        return f"{name}{to_specifier(value)}"
    if not isinstance(value, dict):
        raise ValueError("must be a version string or a table")
    extras = f"[{','.join(value['extras'])}]" if isinstance(value.get("extras"), list) and value["extras"] else ""
    if isinstance(value.get("git"), str):
        reference = next((value[k] for k in ("rev", "tag", "branch") if isinstance(value.get(k), str)), "")
        url = value["git"] if value["git"].startswith("git+") else f"git+{value['git']}"
        written = f"{name}{extras} @ {url}{'@' + reference if reference else ''}"
    elif isinstance(value.get("url"), str):
        written = f"{name}{extras} @ {value['url']}"
    elif isinstance(value.get("path"), str) or isinstance(value.get("file"), str):
        local = base / (value.get("path") or value["file"])
        written = f"{name}{extras} @ {local.absolute().as_uri()}"
    else:
        written = f"{name}{extras}{to_specifier(value.get('version', '*'))}"
    marker = _marker(value)
    # packaging writes the marker back in its normal form (double quotes, no redundant brackets).
    return f"{written} ; {Marker(marker)}" if marker else written


def _table_lines(lines: TomlLines, key_line: int, count: int) -> list[int] | None:
    """The line of each table of a list of constraints (``numpy = [{...}, {...}]``), found by
    counting the ``{`` that open them from the key's line on; None when they cannot all be found."""
    found: list[int] = []
    for number in range(key_line, len(lines.lines) + 1):
        found += [number] * lines.lines[number - 1].count("{")
        if len(found) >= count:
            return found[:count]
    return None


def read_poetry(poetry: dict, label: str, lines: TomlLines, main: bool = True,
                base: Path | None = None) -> PoetryRequirements:
    """The requirements of ``[tool.poetry]``: its dependencies (when *main*), groups and dev-dependencies."""
    base = base or Path(label).parent
    declared: list[Declared] = []
    unchecked: list[str] = []
    requires_python = python_line = None

    extras_of: dict[str, set[str]] = {}
    extras = poetry.get("extras", {})
    if isinstance(extras, dict):
        for extra, names in extras.items():
            for listed in names if isinstance(names, list) else []:
                extras_of.setdefault(str(listed).lower().replace("_", "-"), set()).add(extra)

    tables: list[tuple[str, object, str | None]] = []  # (table name, its dependencies, group)
    if main:
        tables.append(("tool.poetry.dependencies", poetry.get("dependencies", {}), None))
    tables.append(("tool.poetry.dev-dependencies", poetry.get("dev-dependencies", {}), "dev"))
    groups = poetry.get("group", {})
    for group, settings in (groups.items() if isinstance(groups, dict) else []):
        if isinstance(settings, dict):
            tables.append((f"tool.poetry.group.{group}.dependencies", settings.get("dependencies", {}), group))

    for table, dependencies, group in tables:
        if not isinstance(dependencies, dict):
            raise UnusableInput(f"{label}: [{table}] must be a table")
        for name, value in dependencies.items():
            key_line = lines.key_line(table, name)
            subtable = lines.table_span(f"{table}.{name}")  # [tool.poetry.dependencies.NAME]
            line = key_line or (subtable[0] if subtable else None)
            if name.lower() == "python" and group is None:
                try:
                    requires_python, python_line = to_specifier(str(value)), line
                except ValueError as exc:
                    unchecked.append(f"[{table}] python: {exc}: lint the built wheel's Requires-Python")
                continue
            items = value if isinstance(value, list) else [value]
            # A list of constraints: each table on its own line, where it has one.
            found = _table_lines(lines, key_line, len(items)) if key_line and isinstance(value, list) else None
            item_lines: list[int | None] = list(found) if found else [line] * len(items)
            for item, item_line in zip(items, item_lines, strict=True):
                try:
                    written = _pep508(name, item, base)
                    requirement = Requirement(written)
                except UntranslatableConstraint as exc:
                    unchecked.append(f"[{table}] {name}: {exc}: lint the built wheel to check it")
                    continue
                except (ValueError, InvalidRequirement) as exc:
                    raise UnusableInput(f"{label}: [{table}] {name}: {str(exc).splitlines()[0]}") from None
                in_extras: frozenset[str]
                if group is not None:
                    where, published, in_extras = f"dependency group '{group}' (poetry)", False, frozenset()
                elif isinstance(item, dict) and item.get("optional") and extras_of.get(name.lower().replace("_", "-")):
                    in_extras = frozenset(extras_of[name.lower().replace("_", "-")])
                    where, published = ", ".join(f"extra '{e}'" for e in sorted(in_extras)), True
                else:
                    where, published, in_extras = "dependencies", True, frozenset()
                # Shown as Poetry means it (``orjson==3.10.12``), the requirement its wheel declares,
                # however it is written: a string, an inline table, a [tool.poetry.dependencies.NAME]
                # table, or one table of a list of constraints.
                declared.append(Declared(requirement, written, where, published, in_extras, item_line))
    version = poetry.get("version") if isinstance(poetry.get("version"), str) else None
    return PoetryRequirements(tuple(declared), tuple(unchecked), version, requires_python, python_line)
