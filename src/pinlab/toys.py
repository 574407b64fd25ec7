"""The toy packages: find their sources, check them, build wheels, cache them by content.

Each folder under ``examples/toys/`` is a real project with its own ``pyproject.toml``. Wheels
are built by the real build frontend (``build``) and backend (hatchling), and cached under a
hash of the folder's content, so editing one toy's ``pyproject.toml`` rebuilds just that toy.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .process import clean_env, run
from .workdir import ThrowawayDir, sweep

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

log = logging.getLogger("pinlab")

# Folders and files a build may leave in a source tree; they are not part of its content.
NOT_SOURCE = {"__pycache__", "build", "dist", ".pytest_cache"}


class ToyError(ValueError):
    """A toy project cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Toy:
    """One toy release: a source folder that builds one wheel."""

    name: str
    """The project name, as written in its pyproject.toml."""
    version: Version
    """Its version."""
    source: Path
    """The folder holding its pyproject.toml."""
    dependencies: tuple[str, ...]
    """Its ``[project] dependencies``, as written."""

    @property
    def key(self) -> str:
        """``name==version``, canonical: how the toy is named in this kit."""
        return f"{canonicalize_name(self.name)}=={self.version}"


def examples_dir(start: Path | None = None) -> Path:
    """The repository's ``examples`` folder, found upwards from *start* (default: cwd).

    Notebooks run in ``book/`` and tests in the repository root; both find it this way. An
    editable install also finds it next to the sources.
    """
    candidates = [Path(start or Path.cwd()).resolve(), Path(__file__).resolve()]
    for origin in candidates:
        for folder in [origin, *origin.parents]:
            if (folder / "examples" / "toys").is_dir():
                return folder / "examples"
    raise ToyError(f"{Path(start or Path.cwd())}: no examples/toys folder here or above")


def load_toy(source: Path) -> Toy:
    """Read and check one toy's pyproject.toml; raise :class:`ToyError` naming what is wrong."""
    pyproject = source / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToyError(f"{pyproject}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ToyError(f"{pyproject}: invalid TOML: {exc}") from None
    project = data.get("project")
    if not isinstance(project, dict):
        raise ToyError(f"{pyproject}: no [project] table")
    name, version = project.get("name"), project.get("version")
    if not isinstance(name, str) or not name:
        raise ToyError(f"{pyproject}: [project] has no name")
    try:
        parsed_version = Version(str(version))
    except InvalidVersion:
        raise ToyError(f"{pyproject}: invalid version {version!r}") from None
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list):
        raise ToyError(f"{pyproject}: dependencies must be a list of strings")
    for dependency in dependencies:
        try:
            Requirement(str(dependency))
        except InvalidRequirement as exc:
            # packaging's message goes on with the requirement and a caret; its first line says it all.
            reason = str(exc).splitlines()[0]
            raise ToyError(f"{pyproject}: invalid requirement {dependency!r}: {reason}") from None
    return Toy(name, parsed_version, source, tuple(dependencies))


def find_toys(examples: Path | None = None) -> list[Toy]:
    """Every toy under ``examples/toys``, sorted by name and version."""
    toys_dir = (examples or examples_dir()) / "toys"
    toys = [load_toy(folder) for folder in toys_dir.iterdir() if (folder / "pyproject.toml").is_file()]
    return sorted(toys, key=lambda toy: (canonicalize_name(toy.name), toy.version))


def find_toy(key: str, examples: Path | None = None) -> Toy:
    """The toy release named ``name==version``, e.g. ``find_toy("toyhost-export==0.3a1")``."""
    name, _, version = key.partition("==")
    for toy in find_toys(examples):
        if canonicalize_name(toy.name) == canonicalize_name(name) and toy.version == Version(version or "0"):
            return toy
    raise ToyError(f"no toy release {key!r} in examples/toys")


def find_substitute(key: str, examples: Path | None = None) -> Toy:
    """A release from ``examples/substitutes``: the same name and version as the toy *key*,
    other content (see chapter 4). ``find_toys()`` never returns these."""
    name, _, version = key.partition("==")
    folder = (examples or examples_dir()) / "substitutes"
    for source in sorted(folder.iterdir()) if folder.is_dir() else []:
        if (source / "pyproject.toml").is_file():
            toy = load_toy(source)
            if canonicalize_name(toy.name) == canonicalize_name(name) and toy.version == Version(version or "0"):
                return toy
    raise ToyError(f"no substitute release {key!r} in examples/substitutes")


def compare(old: str, new: str, file: str = "pyproject.toml") -> str:
    """A unified diff of *file* between two toy releases: what changed from *old* to *new*."""
    import difflib

    before, after = find_toy(old), find_toy(new)
    lines = difflib.unified_diff(
        (before.source / file).read_text(encoding="utf-8").splitlines(keepends=True),
        (after.source / file).read_text(encoding="utf-8").splitlines(keepends=True),
        fromfile=f"{before.source.name}/{file}", tofile=f"{after.source.name}/{file}",
    )
    return "".join(lines)


def content_hash(source: Path) -> str:
    """A hash of every source file's relative path and bytes (build leftovers excluded)."""
    digest = hashlib.sha256()
    for path in sorted(_source_files(source)):
        digest.update(path.relative_to(source).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _source_files(source: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d not in NOT_SOURCE and not d.endswith(".egg-info")]
        for file in files:
            if not file.endswith((".pyc", ".pyo")):
                yield Path(root, file)


class CacheSettingError(ValueError):
    """``PINLAB_CACHE`` names no usable folder; the message names the variable and what to do."""


def cache_dir() -> Path:
    """Where built toy wheels are kept between runs (``PINLAB_CACHE`` overrides).

    ``~`` in ``PINLAB_CACHE`` is the home folder, as a shell would expand it: a shell leaves a
    quoted ``'~/pinlab-cache'`` as it is, and the kit would make a folder named ``~`` (one
    ``rm -rf ~`` away from a disaster). A relative path is refused with
    :class:`CacheSettingError`: the doctor runs in the kit's folder and the notebooks in
    ``book/``, so each would have a cache of its own.
    """
    override = os.environ.get("PINLAB_CACHE")
    if override:
        try:
            folder = Path(override).expanduser()
        except RuntimeError:  # ~someone, an unknown user, or no home folder to expand ~ to
            raise CacheSettingError(f"PINLAB_CACHE={override}: its ~ names no home folder here; set PINLAB_CACHE "
                                    "to an absolute path") from None
        if not folder.is_absolute():
            raise CacheSettingError(f"PINLAB_CACHE={override} is a relative path: the doctor (in the kit's folder) "
                                    "and the notebooks (in book/) would each use a different cache; set PINLAB_CACHE "
                                    "to an absolute path, or unset it")
        return folder
    import platformdirs

    return Path(platformdirs.user_cache_dir("pinlab", appauthor=False))


STAGING_PREFIX = ".building-"
"""A toy's wheel is built in ``<wheel cache>/.building-<toy>-<random>``, then moved into place."""

# The wheel folder asked for -> the one in use: itself, or a temporary one if it cannot be written.
_wheel_folders: dict[Path, Path] = {}
_temporary_caches: list[ThrowawayDir] = []


def wheel_cache() -> Path:
    """The folder the toy wheels are cached in: ``cache_dir() / "wheels"``, when it can be written.

    When it cannot (a read-only or root-owned ``~/.cache`` after a ``sudo pip``, a path under a
    file), the wheels go to a temporary folder for the rest of this process instead, removed at
    exit, and one note says so on the ``pinlab`` logger, naming ``PINLAB_CACHE``. Stale staging
    folders of builds that were killed are swept here, once per process and folder.
    """
    wanted = cache_dir() / "wheels"
    if wanted in _wheel_folders:
        return _wheel_folders[wanted]
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        # mkdir succeeds on a folder that exists but cannot be written: try writing.
        with tempfile.TemporaryFile(dir=wanted):
            pass
        in_use = wanted
    except OSError as exc:
        temporary = ThrowawayDir("cache")
        _temporary_caches.append(temporary)
        in_use = temporary.path
        reason = exc.strerror or type(exc).__name__
        log.warning(
            "pinlab: the toy wheel cache %s cannot be written (%s); using a temporary cache for this session, "
            "so the toys are rebuilt each time. Make that folder yours again (after `sudo pip`: "
            "sudo chown -R $USER ~/.cache) or set PINLAB_CACHE to a folder you can write.", wanted, reason,
        )
    sweep(in_use, prefix=STAGING_PREFIX)
    _wheel_folders[wanted] = in_use
    return in_use


def build_wheel(toy: Toy) -> Path:
    """The wheel of *toy*, built with ``build`` + hatchling unless its content is cached."""
    wheels = wheel_cache()
    name = f"{canonicalize_name(toy.name)}-{toy.version}"
    slot = wheels / f"{name}-{content_hash(toy.source)}"
    cached = sorted(slot.glob("*.whl")) if slot.is_dir() else []
    if cached:
        return cached[0]
    # The staging folder is locked while this process builds in it, so a build killed half-way
    # leaves a folder the next start sweeps (see pinlab.workdir). Its lock file stays behind:
    # the wheel is built into a subfolder, and only that moves into place.
    with ThrowawayDir(name, parent=wheels, prefix=STAGING_PREFIX) as staging:
        built = staging.path / "wheel"
        _build_into(toy, built)
        try:
            built.rename(slot)  # atomic: a parallel build of the same content may win
        except OSError:
            if not any(slot.glob("*.whl")):
                raise
    return sorted(slot.glob("*.whl"))[0]


def build_project(toy: Toy, outdir: Path) -> None:
    """Build the wheel of *toy* (or of any project :func:`load_toy` read) into *outdir*, uncached."""
    _build_into(toy, outdir)


def _build_into(toy: Toy, outdir: Path) -> None:
    # build's own API, in this process, runs the backend (hatchling) in a subprocess as
    # `python -m build` does, but without that command's own interpreter start: one start a
    # build, not two (0.10 s against 0.18 s a toy). Without build isolation: the backend is one of
    # pinlab's own dependencies, so building needs no download and works offline.
    import build

    try:
        build.ProjectBuilder(toy.source, python_executable=sys.executable, runner=_backend_runner).build(
            "wheel", outdir)
    except build.BuildBackendException as exc:
        output = getattr(exc.exception, "output", None) or str(exc)
        last_line = output.strip().splitlines()[-1:] or ["no output"]
        raise ToyError(f"{toy.source / 'pyproject.toml'}: the wheel did not build: {last_line[0]}") from None
    except build.BuildException as exc:  # e.g. a [build-system] table build cannot read
        raise ToyError(f"{toy.source / 'pyproject.toml'}: the wheel did not build: {exc}") from None
    if not any(outdir.glob("*.whl")):
        raise ToyError(f"{toy.source / 'pyproject.toml'}: the wheel did not build: the backend made no wheel")


def _backend_runner(cmd: Sequence[str], cwd: str | None = None, extra_environ: Mapping[str, str] | None = None) -> None:
    """How build starts the backend: in a clean environment (no PYTHONPATH or PIP_* of the caller),
    its output captured, and kept on failure for the one-line error above."""
    done = run(cmd, env={**clean_env(), **(extra_environ or {})}, cwd=cwd)
    if not done.ok:
        raise subprocess.CalledProcessError(done.returncode, list(cmd), output=done.output)
