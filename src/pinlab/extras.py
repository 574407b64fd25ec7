"""Is the lab installed? ``pip install pinlab`` gives the two commands; the lab is an extra.

``pinlab lint`` and ``pinlab explain`` need only ``packaging`` and ``dependency-groups`` (and
``tomli`` on 3.10). The lab under the chapters (toys built with ``build`` and hatchling, sandboxes
made by virtualenv, uv beside pip, pip-audit, ``pinlab doctor``) needs ``pip install 'pinlab[lab]'``.
A lab feature started without it says so in one line, naming what is missing, rather than failing
later with an ImportError from deep inside a sandbox or a toy build.

What the extra holds is read from pinlab's own installed metadata, so this module never repeats
``pyproject.toml``.
"""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.version import InvalidVersion

LAB_EXTRA = "lab"
INSTALL_LAB = "pip install 'pinlab[lab]'"
"""The command that installs the lab (quoted, since ``[`` means something to most shells)."""


class LabMissing(ModuleNotFoundError):
    """The lab extra is not installed; the message says what is missing and how to install it."""


def missing_lab() -> list[str]:
    """What of ``pinlab[lab]`` this environment lacks: ``uv`` (not installed), ``virtualenv 20.0 (needs >=20.31)``.

    Empty when the lab is installed, and when pinlab runs from a source folder without being
    installed (there is no metadata to compare with; the imports will tell).
    """
    try:
        declared = metadata.requires("pinlab") or []
    except metadata.PackageNotFoundError:
        return []
    missing = []
    for requirement in map(Requirement, declared):
        marker = requirement.marker
        # The extra's own requirements: true with the extra, false without it (and not meant
        # for another Python or platform than this one).
        if marker is None or marker.evaluate({"extra": ""}) or not marker.evaluate({"extra": LAB_EXTRA}):
            continue
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(requirement.name)
            continue
        try:
            admitted = requirement.specifier.contains(version, prereleases=True)
        except InvalidVersion:
            admitted = False
        if not admitted:
            missing.append(f"{requirement.name} {version} (needs {requirement.specifier})")
    return missing


def lab_missing_message(feature: str) -> str | None:
    """One line for a lab *feature* (``pinlab doctor``) run without the lab; None when it is installed."""
    missing = missing_lab()
    if not missing:
        return None
    return f"{feature}: needs pinlab's lab extra; missing here: {', '.join(missing)}; install it with: {INSTALL_LAB}"


def require_lab(feature: str) -> None:
    """Raise :class:`LabMissing` naming *feature* when the lab is not installed."""
    message = lab_missing_message(feature)
    if message is not None:
        raise LabMissing(message)
