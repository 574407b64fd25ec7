# /// script
# dependencies = ["nox[uv]>=2024.10.9"]
# ///
"""CI for a library that declares ranges, not pins. Copy this file beside your pyproject.toml.

    nox -s newest   the tests against the newest release of every dependency
    nox -s lowest   the tests against the oldest release each of your lower bounds admits
    nox -s audit    pip-audit on that environment, then pinlab explain: is a fix blocked?
    nox -s pins     pinlab lint on pyproject.toml and on the wheel your users will install
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.sessions = ["newest", "lowest", "audit", "pins"]

# Where pip gets pinlab. The kit is not published yet (no repository address, not on PyPI), so
# there is no address to write here: set PINLAB to what you have, a clone of the kit's folder or
# pinlab's wheel (the stick's wheelhouse/ holds one; `python -m build --wheel` in a clone makes
# one), e.g. `PINLAB=/path/to/pinlab nox -s audit`. Without extras it brings only what lint and
# explain need (packaging, dependency-groups).
PINLAB = os.environ.get("PINLAB", "")
# Your test runner and whatever your tests import beyond the library's own dependencies, each with
# the lowest version your tests work with: the lowest session installs them at that version.
TEST_TOOLS = ["pytest>=8"]


@nox.session
def newest(session: nox.Session) -> None:
    """The tests against the newest releases your ranges admit: what a user installing today gets."""
    session.install("--upgrade", "--upgrade-strategy", "eager", ".", *TEST_TOOLS)
    session.run("pytest", *session.posargs)


@nox.session(venv_backend="uv")  # uv can resolve to the lowest versions; pip cannot (nox[uv] brings uv)
def lowest(session: nox.Session) -> None:
    """The tests against the oldest releases your lower bounds admit: each ``>=`` is a claim; test it."""
    # lowest-direct: each requirement named here at the oldest release it admits, what they pull
    # in at its newest. The test tools are in the same resolution, at their own lower bounds: an
    # install of them afterwards would upgrade whatever they need newer, and the session would
    # test yours at versions you do not claim. --prerelease=allow: a lower bound on a pre-release
    # (toyhost>=1.0a27) is tested at it; without it uv prefers a final release. It also lets what
    # your requirements pull in be pre-releases: if none of your lower bounds is one, delete it.
    session.install("--resolution=lowest-direct", "--prerelease=allow", "-r", "pyproject.toml", *TEST_TOOLS)
    session.install("--no-deps", ".")  # your library itself, changing nothing else
    session.run("pytest", *session.posargs)


@nox.session
def audit(session: nox.Session) -> None:
    """Known vulnerabilities in the newest environment, and what keeps each fix out.

    The session's environment holds your library and what it pulls in, nothing else: that is
    what a user gets. The auditors (pip-audit and pinlab) live in an environment of their own
    and look at it through its interpreter. Installed beside your library, their requirements
    would take part in the resolution and change what gets installed and audited.
    """
    session.install("--upgrade", "--upgrade-strategy", "eager", ".")
    audited = _python(session.bin)
    tools = Path(session.create_tmp()) / "tools"
    session.run("python", "-m", "venv", "--clear", str(tools))  # the same Python, none of its packages
    auditor = _python(tools / ("Scripts" if os.name == "nt" else "bin"))
    session.run(auditor, "-m", "pip", "install", "--quiet", "pip-audit", _pinlab(session), external=True)
    report = str(tools / "pip-audit.json")
    # PIPAPI_PYTHON_LOCATION: pip-audit lists the packages of that interpreter, not its own.
    # pip-audit exits 1 when it finds something; let pinlab explain decide. In a fresh environment
    # of newest releases, a vulnerability whose fix exists is there only because a requirement
    # keeps the fix out, and explain then names that requirement and exits 1.
    session.run(auditor, "-m", "pip_audit", "--format", "json", "--output", report, external=True,
                env={"PIPAPI_PYTHON_LOCATION": audited}, success_codes=[0, 1])
    session.run(auditor, "-m", "pinlab", "explain", "--audit-json", report, "--python", audited, external=True)


@nox.session
def pins(session: nox.Session) -> None:
    """No == pin and no unexplained cap in what you publish: pyproject.toml and the built wheel."""
    session.install("build", _pinlab(session))
    dist = session.create_tmp()
    session.run("python", "-m", "build", "--wheel", "--outdir", dist)
    session.run("pinlab", "lint", "pyproject.toml", *glob.glob(f"{dist}/*.whl"))


def _pinlab(session: nox.Session) -> str:
    """What to install pinlab from (PINLAB), or a one-line error saying how to set it."""
    if not PINLAB:
        session.error("PINLAB is not set: pinlab is not published yet; set it to a clone of the kit "
                      "or to pinlab's wheel, e.g. PINLAB=/path/to/pinlab nox -s audit")
    return PINLAB


def _python(scripts: str | Path) -> str:
    """The interpreter in an environment's scripts folder (``Scripts`` on Windows, ``bin`` elsewhere)."""
    found = shutil.which("python", path=str(scripts))
    if found is None:
        raise RuntimeError(f"no python in {scripts}")
    return found
