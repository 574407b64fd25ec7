# /// script
# dependencies = ["nox[uv]>=2024.10.9"]
# ///
"""Sessions for the pinlab kit. ``nox -l`` lists them; ``nox -s NAME`` runs one.

Every session installs pinlab and its tools from ``uv.lock`` (exact versions, with hashes),
so that CI, the workshop and your laptop see the same outputs; ``pyproject.toml`` keeps ranges.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["tests", "book"]

ROOT = Path(__file__).parent
BOOK_HTML = ROOT / "_build" / "html"


def install_locked(session: nox.Session, *groups: str) -> None:
    """Install pinlab and the named dependency groups at the versions in uv.lock."""
    session.run_install(
        "uv", "sync", "--locked", "--no-default-groups", *(f"--group={group}" for group in groups),
        f"--python={session.virtualenv.location}",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests and nbval over every notebook in book/ (args go to pytest)."""
    install_locked(session, "test")
    session.run("pytest", "--nbval", *session.posargs)


@nox.session
def minimums(session: nox.Session) -> None:
    """Unit tests at the lowest versions pyproject.toml allows (the lower bounds are claims; test them).

    Not nbval: the chapters show the exact text of pip, uv and pip-audit at the versions in uv.lock,
    and older tools word things differently, so the notebooks are validated by ``tests`` only.
    """
    # lowest-direct: pinlab's own dependencies (and the test group's) at their lower bounds, the
    # packages they pull in at their newest, as a user who installs pinlab today would get them.
    session.install("--resolution=lowest-direct", "-e", ".", "--group=test")
    session.run("uv", "pip", "list", f"--python={session.virtualenv.location}", silent=False)
    session.run("pytest", "tests", "-p", "no:cacheprovider", *session.posargs)


@nox.session
def book(session: nox.Session) -> None:
    """Build the guide into _build/html with warnings as errors."""
    install_locked(session, "book")
    session.run("sphinx-build", "-n", "-W", "--keep-going", "-b", "html", "-c", ".", "book", str(BOOK_HTML),
                *session.posargs)
    session.log(f"The guide is at {(BOOK_HTML / 'index.html').as_uri()}")


@nox.session
def lab(session: nox.Session) -> None:
    """Open the chapters in JupyterLab, with the kit installed."""
    install_locked(session, "lab", "test")
    session.run("jupyter", "lab", "--notebook-dir", str(ROOT / "book"), *session.posargs)


@nox.session
def refresh(session: nox.Session) -> None:
    """Re-execute every notebook in place, with deterministic outputs and clean metadata."""
    install_locked(session, "test")
    notebooks = session.posargs or sorted(str(path) for path in (ROOT / "book").rglob("*.ipynb")
                                          if ".ipynb_checkpoints" not in path.parts)
    session.run("python", "-m", "pinlab.notebooks", *notebooks, env={"PYTHONHASHSEED": "0"})
