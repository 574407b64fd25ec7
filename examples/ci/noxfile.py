# /// script
# dependencies = ["nox>=2024.10.9"]
# ///
"""CI for a library that declares ranges, not pins. Copy this file beside your pyproject.toml.

    nox -s newest   the tests against the newest release of every dependency
    nox -s audit    pip-audit on that environment, then pinlab explain: is a fix blocked?
    nox -s pins     pinlab lint on pyproject.toml and on the wheel your users will install
"""

from __future__ import annotations

import glob

import nox

nox.needs_version = ">=2024.10.9"
nox.options.sessions = ["newest", "audit", "pins"]

# pinlab is not on PyPI: install it from where you got the kit (its git URL, a tag, or a wheel).
PINLAB = "pinlab @ git+https://github.com/OWNER/pinlab"
# Your test runner and whatever your tests import beyond the library's own dependencies.
TEST_TOOLS = ["pytest"]


@nox.session
def newest(session: nox.Session) -> None:
    """The tests against the newest releases your ranges admit: what a user installing today gets."""
    session.install("--upgrade", "--upgrade-strategy", "eager", ".", *TEST_TOOLS)
    session.run("pytest", *session.posargs)


@nox.session
def audit(session: nox.Session) -> None:
    """Known vulnerabilities in the newest environment, and what keeps each fix out."""
    session.install("--upgrade", "--upgrade-strategy", "eager", ".", "pip-audit", PINLAB)
    report = f"{session.create_tmp()}/pip-audit.json"
    # pip-audit exits 1 when it finds something; let pinlab explain decide. In a fresh environment
    # of newest releases, a vulnerability whose fix exists is there only because a requirement
    # keeps the fix out, and explain then names that requirement and exits 1.
    session.run("pip-audit", "--format", "json", "--output", report, success_codes=[0, 1])
    session.run("pinlab", "explain", "--audit-json", report)


@nox.session
def pins(session: nox.Session) -> None:
    """No == pin and no unexplained cap in what you publish: pyproject.toml and the built wheel."""
    session.install("build", PINLAB)
    dist = session.create_tmp()
    session.run("python", "-m", "build", "--wheel", "--outdir", dist)
    session.run("pinlab", "lint", "pyproject.toml", *glob.glob(f"{dist}/*.whl"))
