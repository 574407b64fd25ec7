"""Hermetic tests: a temp folder of our own, no environment or cwd leaks, nothing left behind.

The whole run (notebook kernels included, since they inherit the environment) uses a fresh temp
folder, whose name holds a space, a comma and a non-ASCII letter; at the end no pinlab folder may remain in it, and no toy build of the run may have left
its staging folder in the wheel cache, or the run fails. Under pytest-xdist the
controller makes the folder and checks it once every worker has finished; the workers, started
after it, inherit the folder through the environment.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pinlab.process import clean_env, run
from pinlab.toys import STAGING_PREFIX, cache_dir
from pinlab.workdir import in_use, leftovers

_TEMP_VARS = ("TMPDIR", "TEMP", "TMP")
_run_temp: Path | None = None
_saved_temp: dict[str, str | None] = {}
_run_started = time.time()


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    global _run_temp
    if _is_xdist_worker(config):
        return
    # Named like a Windows profile folder ("José Kit"): a space, a comma and an accent in TEMP
    # are ordinary on laptops, so every run, notebooks included, proves the kit copes with them.
    _run_temp = Path(tempfile.mkdtemp(prefix="pinlab-test-run José Kit, "))
    for name in _TEMP_VARS:
        _saved_temp[name] = os.environ.get(name)
        os.environ[name] = str(_run_temp)
    tempfile.tempdir = None  # recomputed from the variables above


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _run_temp is None:  # an xdist worker: the controller checks
        return
    left = leftovers(_run_temp)
    # The wheel cache is shared with other runs on this machine: only dead staging folders made
    # since this run started are its own leftovers.
    left += [folder for folder in leftovers(cache_dir() / "wheels", prefix=STAGING_PREFIX)
             if _made_since(folder, _run_started) and not in_use(folder)]
    if left:
        names = ", ".join(path.name for path in left)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:  # None under -p no:terminal; the exit status below fails the run all the same
            reporter.write_line(
                f"FAILED nothing-left-behind: the run left pinlab folders in the temp folder or the wheel cache: {names}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _made_since(folder: Path, start: float) -> bool:
    try:
        return folder.stat().st_mtime >= start
    except FileNotFoundError:  # swept meanwhile
        return False


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _saved_temp.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    tempfile.tempdir = None
    if _run_temp is not None:
        shutil.rmtree(_run_temp, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_leaks():
    """Fail a test that changes the environment or the working directory and leaves it so."""
    def environment() -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # pytest's own

    env_before, cwd_before = environment(), os.getcwd()
    yield
    assert environment() == env_before, "the test changed os.environ and did not restore it"
    assert os.getcwd() == cwd_before, "the test changed the working directory and did not restore it"


@pytest.fixture(autouse=True)
def a_learners_kernel(no_leaks, monkeypatch):
    """book/conftest.py marks the run of the chapters as the kit's own (PINLAB_RUN_SOLUTIONS=1, for
    the notebooks' kernels, in the same pytest process): a unit test sees what a learner's kernel
    sees unless it sets the variable itself."""
    monkeypatch.delenv("PINLAB_RUN_SOLUTIONS", raising=False)


@pytest.fixture(scope="session")
def toys_index():
    """An index of every toy wheel, shared by the tests that only read it."""
    from pinlab import toy_index

    with toy_index() as index:
        yield index


def _blocked_sandbox(index):
    """Chapter 3's blocked environment: a sandbox with the plugin that pins toyhost==1.0a27.

    Installed with uv (0.1 s, against pip's 1 s): no test asserts how this setup install went,
    only what the environment then holds; the tests of pip's own behaviour run pip themselves."""
    from pinlab import Sandbox

    sandbox = Sandbox(index)
    try:
        done = sandbox.uv("pip install toyhost-export==0.3a1")
        assert done.ok and done.installed == {"toyhost": "1.0a27", "toyhost-export": "0.3a1"}, done
    except BaseException:
        sandbox.close()
        raise
    return sandbox


@pytest.fixture
def pinned(toys_index):
    """Chapter 3's blocked environment, the test's own: it may install into it or change it."""
    with _blocked_sandbox(toys_index) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def _shared_pinned(toys_index):
    with _blocked_sandbox(toys_index) as sandbox:
        yield sandbox


@pytest.fixture
def pinned_to_read(_shared_pinned):
    """Chapter 3's blocked environment, made once per worker and shared by the tests that only
    read it (explain it, audit it): a test that installs, removes or edits anything in its
    site-packages fails here, since the next test would see it; such a test takes ``pinned``."""
    before = _files_of(_shared_pinned.site_packages)
    yield _shared_pinned
    after = _files_of(_shared_pinned.site_packages)
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    assert not changed, (f"the test changed the shared sandbox's site-packages ({', '.join(changed[:3])}, ...): "
                         "it must take the `pinned` fixture, its own")


def _files_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below *folder* (bytecode caches aside): relative path -> (size, mtime in ns)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [name for name in dirs if name != "__pycache__"]
        for name in files:
            stat = os.stat(os.path.join(root, name))
            found[os.path.relpath(os.path.join(root, name), folder)] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="session")
def pinlab_wheel(tmp_path_factory) -> Path:
    """pinlab's wheel, built from this checkout by the real frontend and backend, offline; read, never changed."""
    out = tmp_path_factory.mktemp("dist")
    root = Path(__file__).resolve().parents[1]
    done = run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(root)],
               env=clean_env())
    assert done.ok, done.output
    (wheel,) = out.glob("pinlab-*.whl")
    return wheel


@pytest.fixture(scope="session")
def _shared_pip_audit(_shared_pinned):
    from pinlab import AdvisoryService, audit

    with AdvisoryService() as service:
        return audit(_shared_pinned, service)


@pytest.fixture
def pip_audit_of_pinned(_shared_pip_audit, pinned_to_read):
    """The real pip-audit's report on ``pinned_to_read`` (the kit's advisories, served locally),
    run once per worker and shared by the tests that read it: one that changes the JSON report
    fails here (``pinned_to_read`` guards the environment itself)."""
    import json

    before = json.dumps(_shared_pip_audit.report, sort_keys=True)
    yield _shared_pip_audit
    assert json.dumps(_shared_pip_audit.report, sort_keys=True) == before, (
        "the test changed the shared pip-audit report: it must change a copy (json.loads(json.dumps(...)))")


@pytest.fixture(scope="session")
def run_shared_folder() -> Path:
    """A folder of the run's temp folder for what every xdist worker may share (made on first use,
    by whichever worker asks first): the workers inherit the run's temp folder, which the
    controller removes at the end. Named without pinlab's prefix, it is no leftover of a test."""
    folder = Path(tempfile.gettempdir()) / "shared by the run's workers"
    folder.mkdir(exist_ok=True)  # exist_ok: another worker may have made it
    return folder


@pytest.fixture
def linked_temp_folder(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """The temp folder reached through a link, as on every Mac (TMPDIR under /var, a link to
    /private/var): (the real folder, the link), the link being what tempfile hands out."""
    from helpers import can_symlink

    if not can_symlink(tmp_path):
        pytest.skip("this user cannot make symbolic links here")
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real, target_is_directory=True)
    monkeypatch.setattr(tempfile, "tempdir", str(link))
    return real, link
