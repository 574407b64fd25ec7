# /// script
# dependencies = ["nox[uv]>=2024.10.9"]
# ///
"""Sessions for the pinlab kit. ``nox -l`` lists them; ``nox -s NAME`` runs one.

Every session installs pinlab and its tools from ``uv.lock`` (exact versions, with hashes),
so that CI, the workshop and your laptop see the same outputs; ``pyproject.toml`` keeps ranges.
pinlab itself is light (what ``pinlab lint`` and ``pinlab explain`` need); the sessions that run
the chapters, the tests or the kit add its ``lab`` extra (toys, sandboxes, uv, pip-audit).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import nox

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["tests", "book"]

ROOT = Path(__file__).parent
# pytest-xdist: one worker per core, tests shared out one by one (a file of slow tests no longer
# holds one worker while the other idles); a notebook's cells share a kernel, so book/conftest.py
# sends each notebook whole to one worker.
PARALLEL = ("-n", "auto", "--dist", "load")
BOOK_HTML = ROOT / "_build" / "html"


def install_locked(session: nox.Session, *groups: str, extras: Sequence[str] = ("lab",)) -> None:
    """Install pinlab with *extras* (default: the lab) and the named dependency groups at the versions in uv.lock."""
    session.run_install(
        "uv", "sync", "--locked", "--no-default-groups", *(f"--extra={extra}" for extra in extras),
        *(f"--group={group}" for group in groups),
        f"--python={session.virtualenv.location}",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Unit tests, nbval over every notebook in book/, the built guide in Chromium (args go to pytest)."""
    install_locked(session, "test", "browser")
    session.run("pytest", "--nbval", *PARALLEL, *session.posargs)


@nox.session
def offline(session: nox.Session) -> None:
    """The tests again with the network cut: a new network namespace with only loopback (Linux)."""
    install_locked(session, "test", "browser")  # the last step that may use the network
    if sys.platform != "linux" or not (shutil.which("unshare") and shutil.which("ip")):
        session.skip("the offline proof needs Linux with unshare and ip (util-linux, iproute2)")
    # As root a network namespace is enough; otherwise a user namespace makes us root inside it.
    cut = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--net", "--map-root-user"]
    probe = subprocess.run([*cut, "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        session.skip(f"cannot make a network namespace here: {probe.stderr.strip() or probe.returncode}")
    # An empty wheel cache, so that the toys are built inside the namespace too. (Not in
    # session.create_tmp(): that sets TMPDIR, and under a deep TMPDIR Chromium cannot start.)
    cache = Path(session.virtualenv.location) / "toy-wheel-cache"
    shutil.rmtree(cache, ignore_errors=True)
    # The namespace's loopback starts down; Jupyter kernels and the guide's server need it.
    session.run(*cut, "sh", "-c", 'ip link set lo up && exec pytest --nbval "$@"', "sh", *PARALLEL, *session.posargs,
                external=True, env={"PINLAB_OFFLINE": "1", "PINLAB_CACHE": str(cache)})


@nox.session
def minimums(session: nox.Session) -> None:
    """Unit tests at the lowest versions pyproject.toml allows (the lower bounds are claims; test them).

    Not nbval: the chapters show the exact text of pip, uv and pip-audit at the versions in uv.lock,
    and older tools word things differently, so the notebooks are validated by ``tests`` only.
    Nor the guide-in-a-browser tests: they check the built guide (the ``book`` and ``browser``
    groups, and Chromium), not pinlab at its lower bounds, and ``tests`` runs them.
    """
    # lowest-direct: pinlab's own dependencies (and the test group's) at their lower bounds, the
    # packages they pull in at their newest, as a user who installs pinlab today would get them.
    session.install("--resolution=lowest-direct", "-e", ".[lab]", "--group=test")
    session.run("uv", "pip", "list", f"--python={session.virtualenv.location}", silent=False)
    session.run("pytest", "tests", "-p", "no:cacheprovider", "--ignore=tests/test_guide_in_browser.py",
                # The chapters name the tool versions of their outputs, those of uv.lock: checked
                # by `tests`, where those are installed, not here at the lower bounds.
                "--deselect=tests/test_lessons.py::test_each_chapter_states_the_tool_versions_of_its_outputs",
                *PARALLEL, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy over src/ and tests/ (settings in pyproject.toml; args go to ruff, e.g. ``-- --fix``)."""
    # mypy follows the imports of the code and of the tests: pinlab with its lab, and the test tools.
    install_locked(session, "lint", "test", "browser")
    session.run("ruff", "check", "src", "tests", *session.posargs)
    session.run("mypy")  # the files (src, tests) are in [tool.mypy]


@nox.session
def book(session: nox.Session) -> None:
    """Build the guide into _build/html with warnings as errors."""
    install_locked(session, "book", extras=())  # the committed outputs are shown, not re-executed: no lab
    session.run("sphinx-build", "-n", "-W", "--keep-going", "-b", "html", "-c", ".", "book", str(BOOK_HTML),
                *session.posargs)
    session.log(f"The guide is at {(BOOK_HTML / 'index.html').as_uri()}")


@nox.session
def linkcheck(session: nox.Session) -> None:
    """Check every external link of the guide (needs the network; the book session never goes online)."""
    install_locked(session, "book", extras=())
    # sphinx's linkcheck builder: each link fetched once; a dead or moved one fails the session
    # and is listed in _build/linkcheck/output.txt. Not in .ci/run: CI has no network beyond PyPI.
    session.run("sphinx-build", "-n", "--keep-going", "-b", "linkcheck", "-c", ".", "book",
                str(ROOT / "_build" / "linkcheck"), *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Time pinlab beside bare virtualenv/venv/uv + pip commands, and the notebook suite (args go to the script)."""
    install_locked(session, "test")
    session.run("python", str(ROOT / "benchmarks" / "bench.py"), *session.posargs)


@nox.session
def lab(session: nox.Session) -> None:
    """Open the chapters in JupyterLab, with the kit installed."""
    install_locked(session, "jupyter")
    session.run("jupyter", "lab", "--notebook-dir", str(ROOT / "book"), *session.posargs)


@nox.session
def refresh(session: nox.Session) -> None:
    """Re-execute every notebook in place, with deterministic outputs and clean metadata."""
    install_locked(session, "test")
    notebooks = session.posargs or sorted(str(path) for path in (ROOT / "book").rglob("*.ipynb")
                                          if ".ipynb_checkpoints" not in path.parts)
    session.run("python", "-m", "pinlab.notebooks", *notebooks, env={"PYTHONHASHSEED": "0"})


@nox.session
def wheelhouse(session: nox.Session) -> None:
    """Fill wheelhouse/ (the USB stick) with every wheel the workshop needs, then prove it offline.

    Args go to ``python -m pinlab.wheelhouse``, e.g. ``-- --python 3.10 --python 3.13`` (each a
    minor version, all its patch releases) or ``-- --platform windows-amd64 --python 3.12`` for
    the laptops of the room; every one this machine can run is proven with its own interpreter
    (see book/workshop/offline.md).
    """
    install_locked(session)
    session.run("python", "-m", "pinlab.wheelhouse", "--project", str(ROOT), "--dest", str(ROOT / "wheelhouse"),
                "--extra=lab", "--group=jupyter", *session.posargs)
