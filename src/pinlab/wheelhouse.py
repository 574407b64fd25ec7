"""The USB stick: a folder of wheels from which the kit installs with no index reachable.

``nox -s wheelhouse`` (``python -m pinlab.wheelhouse``) does, in order:

1. exports the locked requirements of pinlab, its chosen extras (the kit: ``--extra=lab``) and
   dependency groups from ``uv.lock`` (exact versions, with hashes, with their environment
   markers), the way CI installs them;
2. checks that the lock has a wheel of every requirement for every target (a kind of laptop:
   a platform and a Python minor version), and stops before downloading if one has none;
3. builds pinlab's own wheel into the folder and adds it, with its extras and its hash, to
   ``requirements.txt`` (``pinlab[lab]==...``, so pip checks that the extra's wheels are there);
4. downloads every requirement's wheel with pip, one download per target and per patch-level
   range of its Python: markers are evaluated for each (``python_full_version < '3.11.5'`` picks
   one release for 3.11.0-3.11.4 and another for 3.11.5 on), so a stick made for 3.11 installs on
   every 3.11.x, and a Windows-only package is fetched for Windows only;
5. proves the folder on every target this machine can run: with each such interpreter, makes a
   venv as a participant would (``python -m venv``) and runs the participant's own command,
   :data:`INSTALL_ARGS`, then ``pinlab doctor`` there. Targets it cannot run are named as unproven.

A participant then runs ``python -m pip install --isolated --no-index --find-links wheelhouse
-r wheelhouse/requirements.txt``. ``--isolated`` makes pip ignore ``PIP_*`` variables and the
user's pip.conf (a ``PIP_CONSTRAINT`` would otherwise stop it); pip checks every file against
the lock's hashes, so a wheelhouse cannot be swapped behind your back.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from packaging import tags
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename

from .conflicts import hash_refusal, last_error
from .extras import lab_missing_message
from .index import LocalIndex
from .process import Completed, Placeholders, clean_env, run
from .requirements_files import parse_requirements_file
from .sandbox import Sandbox, uv_binary
from .toys import ToyError, build_project, load_toy
from .workdir import ThrowawayDir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class WheelhouseError(RuntimeError):
    """A step failed; the message names the step and quotes the tool's last line."""


class TargetError(WheelhouseError):
    """A target the lock cannot serve; found before anything is downloaded."""


# The laptops a workshop meets: pip's --platform tags, the values that platform's Python gives
# markers, and a name a participant recognises. pip widens macosx_14_0 to every older macOS
# itself, but not manylinux_2_X, so those are listed.
PLATFORMS: dict[str, tuple[list[str], dict[str, str], str]] = {
    "linux-x86_64": (
        [f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)] + ["manylinux2014_x86_64", "linux_x86_64"],
        {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
        "Linux on Intel/AMD (x86_64, glibc 2.17 or newer)",
    ),
    "macos-arm64": (
        ["macosx_14_0_arm64"],
        {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
        "macOS 14 or newer on Apple silicon (arm64)",
    ),
    "macos-x86_64": (
        ["macosx_14_0_x86_64"],
        {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64"},
        "macOS 14 or newer on Intel (x86_64)",
    ),
    "windows-amd64": (
        ["win_amd64"],
        {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
        "Windows 64-bit (x86_64)",
    ),
}
THIS_MACHINE = "this"

# A target names a minor version; its markers are evaluated at every patch release up to this one
# (no CPython minor has come near 40 patch releases; 3.8 ended at 3.8.20).
LAST_PATCH = 40

# What a participant types, from the kit's folder, with the venv's interpreter in front.
# --isolated: pip ignores PIP_* variables and the user's pip.conf, either of which may hold a
# constraint or an index that has nothing to do with the workshop.
INSTALL_ARGS = ("-m", "pip", "install", "--isolated", "--no-index", "--find-links", "wheelhouse",
                "-r", "wheelhouse/requirements.txt")


def this_platform() -> str | None:
    """The key of :data:`PLATFORMS` this machine is, or None (e.g. Linux on arm64)."""
    key = {("linux", "x86_64"): "linux-x86_64", ("darwin", "arm64"): "macos-arm64",
           ("darwin", "x86_64"): "macos-x86_64", ("win32", "amd64"): "windows-amd64"}
    return key.get((sys.platform, platform.machine().lower()))


@dataclass(frozen=True)
class Target:
    """One kind of laptop: a platform (or this machine's) and a Python minor version."""

    platform: str
    """A key of :data:`PLATFORMS`, or ``"this"`` for the machine building the wheelhouse."""
    python: str
    """A minor version, ``"3.12"``: the target is every 3.12.x."""

    @classmethod
    def here(cls, python: str | None = None) -> Target:
        """This machine's platform, with *python* or this interpreter's minor version."""
        return cls(THIS_MACHINE, python or f"{sys.version_info[0]}.{sys.version_info[1]}")

    def environment(self, patch: int) -> dict[str, str]:
        """The marker environment of CPython ``{python}.{patch}`` on this target's platform."""
        environment: dict[str, str] = {key: str(value) for key, value in default_environment().items()}
        if self.platform != THIS_MACHINE:
            environment.update(PLATFORMS[self.platform][1])
        full = f"{self.python}.{patch}"
        environment.update(python_version=self.python, python_full_version=full, implementation_name="cpython",
                           implementation_version=full, platform_python_implementation="CPython")
        return environment

    def platform_tags(self) -> list[str]:
        if self.platform == THIS_MACHINE:
            return list(tags.platform_tags())
        pip_tags = PLATFORMS[self.platform][0]
        if pip_tags[0].startswith("macosx_"):  # as pip widens it: every older macOS, universal2 too
            return list(tags.mac_platforms((14, 0), pip_tags[0].split("_", 3)[3]))
        return pip_tags

    def wheel_tags(self) -> set[tags.Tag]:
        """Every wheel tag a CPython of this target installs."""
        version = tuple(int(part) for part in self.python.split("."))
        platforms = self.platform_tags()
        return {*tags.cpython_tags(version, platforms=platforms),
                *tags.compatible_tags(version, f"cp{version[0]}{version[1]}", platforms)}

    def pip_options(self, patch: int) -> list[str]:
        options = [f"--python-version={self.python}.{patch}", "--implementation=cp"]
        if self.platform != THIS_MACHINE:
            options += [f"--platform={tag}" for tag in PLATFORMS[self.platform][0]]
        return options

    def runs_here(self) -> bool:
        """Could an interpreter of this machine be one of this target's laptops?"""
        return self.platform in (THIS_MACHINE, this_platform())

    def describe(self) -> str:
        """For INSTALL.txt: ``Windows 64-bit (x86_64), CPython 3.12.x``."""
        if self.platform != THIS_MACHINE:
            where = PLATFORMS[self.platform][2]
        else:  # pip chose this machine's best wheels: a laptop needs its C library, or a newer one
            libc, version = platform.libc_ver()
            where = f"{platform.system()} {platform.machine()}{f' ({libc} {version} or newer)' if libc else ''}"
            where += ", like the machine that built it"
        return f"{where}, CPython {self.python} (any {self.python}.x)"

    def __str__(self) -> str:
        return f"{self.platform} / Python {self.python}"


@dataclass(frozen=True)
class Line:
    """One requirement of requirements.txt: as written (marker and hashes) and parsed."""

    text: str
    """The whole requirement, continuation lines joined, e.g. ``colorama==0.4.6 ; os_name == 'nt' --hash=...``."""
    requirement: Requirement
    hashes: tuple[str, ...]

    def applies(self, environment: dict[str, str]) -> bool:
        marker = self.requirement.marker
        return marker is None or marker.evaluate(environment)

    def without_marker(self) -> str:
        """What pip download gets: the pinned requirement and its hashes (the marker already evaluated)."""
        requirement = Requirement(str(self.requirement))
        requirement.marker = None
        return " ".join([str(requirement), *(f"--hash={h}" for h in self.hashes)])

    @property
    def version(self) -> str:
        return str(self.requirement.specifier).removeprefix("==")


@dataclass(frozen=True)
class Download:
    """One ``pip download`` for a target: the requirements of a range of its patch releases."""

    target: Target
    patches: range
    """The patch releases whose markers select exactly :attr:`lines` (3.11.0-3.11.4: ``range(0, 5)``)."""
    lines: tuple[Line, ...]


def plan(lines: Sequence[Line], target: Target) -> list[Download]:
    """The downloads that serve every patch release of *target*: one per run of patch releases
    whose markers select the same requirements (one, unless a marker splits the minor version)."""
    downloads: list[Download] = []
    for patch in range(LAST_PATCH + 1):
        wanted = tuple(line for line in lines if line.applies(target.environment(patch)))
        if downloads and downloads[-1].lines == wanted:
            last = downloads[-1]
            downloads[-1] = Download(target, range(last.patches.start, patch + 1), wanted)
        else:
            downloads.append(Download(target, range(patch, patch + 1), wanted))
    return downloads


def parse_requirements(text: str) -> list[Line]:
    """The requirements of a hashed requirements.txt as ``uv export`` writes it (read by
    :func:`pinlab.requirements_files.parse_requirements_file`, the one reader)."""
    return [Line(line.text, line.requirement, line.hashes) for line in parse_requirements_file(text, hashes=True)]


def locked_requirements(project: Path, groups: Sequence[str], extras: Sequence[str] = ()) -> str:
    """The locked requirements of pinlab's dependencies, its *extras* and *groups*, with hashes, from uv.lock."""
    done = run([uv_binary(), "export", "--locked", "--no-emit-project", "--no-default-groups",
                *(f"--extra={extra}" for extra in extras), *(f"--group={group}" for group in groups),
                "--format=requirements-txt", "--no-header",
                "--no-annotate"],
               env=clean_env({"UV_NO_CONFIG": "1", "UV_OFFLINE": "1"}), cwd=project, merge_output=False)
    if not done.ok:
        raise WheelhouseError(f"uv export: {_last_line(done.output)}")
    return done.output


@dataclass(frozen=True)
class Lock:
    """What uv.lock says beyond the requirements: the Pythons it supports and each release's wheels."""

    requires_python: SpecifierSet
    wheels: dict[tuple[str, str], tuple[str, ...]]
    """(canonical name, version) -> the file names of its wheels."""

    @classmethod
    def read(cls, project: Path) -> Lock:
        with open(project / "uv.lock", "rb") as file:
            lock = tomllib.load(file)
        wheels: dict[tuple[str, str], tuple[str, ...]] = {
                  (canonicalize_name(package["name"]), package["version"]):
                  tuple(wheel["url"].rsplit("/", 1)[-1] for wheel in package.get("wheels", []))
                  for package in lock.get("package", []) if "version" in package}
        return cls(SpecifierSet(lock.get("requires-python", "")), wheels)


def check_targets(lines: Sequence[Line], targets: Iterable[Target], lock: Lock) -> None:
    """Raise :class:`TargetError` naming every target the lock cannot serve, and why: a Python
    outside ``requires-python``, or a requirement with no wheel for it (only wheels go on the stick)."""
    problems = []
    for target in targets:
        if not lock.requires_python.contains(f"{target.python}.0") and not lock.requires_python.contains(
                f"{target.python}.{LAST_PATCH}"):
            problems.append(f"{target}: the kit needs Python {lock.requires_python}")
            continue
        supported = target.wheel_tags()
        wanted = {line for download in plan(lines, target) for line in download.lines}
        missing = sorted(f"{line.requirement.name} {line.version}" for line in wanted
                         if not any(set(parse_wheel_filename(name)[3]) & supported
                                    for name in lock.wheels.get((canonicalize_name(line.requirement.name),
                                                                 line.version), ())))
        if missing:
            problems.append(f"{target}: uv.lock has no wheel for it of {', '.join(missing)}")
    if problems:
        raise TargetError("cannot serve " + "; ".join(problems))


def build(
    dest: Path,
    requirements: str,
    project: Path | None,
    targets: Sequence[Target] = (Target.here(),),
    find_links: Path | None = None,
    extras: Sequence[str] = (),
) -> list[Path]:
    """Fill *dest* with *project*'s wheel and a wheel of every requirement for every target.

    Wheels come from PyPI, or only from the folder *find_links* when it is given (an older
    wheelhouse; the tests' local index). *project* is required with its *extras*, whose
    requirements *requirements* must hold. Returns the wheels in *dest*.
    """
    dest = dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    lines = parse_requirements(requirements)
    own = [_project_line(project, dest, extras)] if project is not None else []
    # The project first: on a Python it does not support, pip then says so ("requires a different
    # Python"), rather than that some compiled dependency has no wheel for it.
    (dest / "requirements.txt").write_text("".join(f"{line.text}\n" for line in own + lines), encoding="utf-8")

    with LocalIndex() as empty, Sandbox(empty) as sandbox:  # pip from a fresh venv, isolated
        sandbox.add_placeholder(dest, "<wheelhouse>")
        source = ["--no-index", f"--find-links={find_links}"] if find_links else []
        for target in targets:
            fetched: set[Line] = set()  # a wheel chosen for 3.11.0 serves 3.11.5 as well
            for download in plan(lines, target):
                # One download never holds two pins of one project (soupsieve 2.10 below 3.11.5,
                # 4.1.3 from 3.11.5 on): pip would refuse the pair as ResolutionImpossible.
                wanted = [line for line in download.lines if line not in fetched]
                fetched.update(wanted)
                if not wanted:
                    continue
                request = sandbox.path / "download.txt"
                request.write_text("".join(f"{line.without_marker()}\n" for line in wanted), encoding="utf-8")
                patch = download.patches.start
                done = run([sandbox.python, "-Im", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--require-hashes", f"--dest={dest}", *target.pip_options(patch), *source,
                            "-r", str(request)],
                           env=sandbox.pip_env(offline=find_links is not None), placeholders=sandbox.placeholders,
                           timeout=None)  # 77 MB over a venue's Wi-Fi: as long as it takes
                if not done.ok:
                    raise WheelhouseError(f"pip download for {target}.{patch}: {_pip_error(done.output)}")
    return sorted(dest.glob("*.whl"))


@dataclass(frozen=True)
class Interpreter:
    """A Python of this machine that can prove the stick for the targets of its minor version."""

    path: Path
    version: str
    """Its full version, ``3.11.2``."""

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def __str__(self) -> str:
        return f"Python {self.version} ({self.path})"


# Asks another interpreter what it is and what it has installed: a file of its own, linted and
# typed like the rest, kept beside this module (and, like it, out of the published wheel).
_PROBE = Path(__file__).with_name("_wheelhouse_probe.py")


def find_interpreters(targets: Sequence[Target], candidates: Sequence[Path | str] = ()) -> list[Interpreter]:
    """The CPythons of this machine that can stand for a participant of *targets*: this one, each
    of *candidates* (``--prove-with``), and every ``pythonX.Y`` on PATH for each target's minor
    version (pyenv's shim and Debian's /usr/bin/python3.11 are two laptops: 3.11.7 and 3.11.2).
    One per base interpreter; a shim that answers "not installed" is skipped."""
    minors = {target.python for target in targets if target.runs_here()}
    names: list[Path | str] = [sys.executable, *candidates]
    names += [found for minor in sorted(minors) for folder in os.get_exec_path()
              if (found := shutil.which(f"python{minor}", path=folder))]
    seen, interpreters, asked = set(), [], set()
    for name in names:
        if os.path.realpath(name) in asked:  # one file under two names (/bin is /usr/bin on Debian 12)
            continue
        asked.add(os.path.realpath(name))
        try:
            done = run([name, "-I", _PROBE, "interpreter"], env=clean_env(), merge_output=False)
        except OSError:  # a candidate this machine does not have (/usr/bin/python3.10 on Debian 12)
            continue
        if not done.ok:
            continue
        implementation, version, _, base = json.loads(done.output)
        key = (version, os.path.realpath(base))
        if implementation != "CPython" or key in seen:
            continue
        seen.add(key)
        interpreters.append(Interpreter(Path(name), version))
    return [interpreter for interpreter in interpreters if interpreter.minor in minors]


@dataclass(frozen=True)
class Proof:
    """What the participant's command gave, with one interpreter, from the wheelhouse alone."""

    interpreter: Interpreter
    installed: dict[str, str]
    """Canonical name -> version of every package installed (pip itself left out)."""
    doctor: str | None
    """The transcript of ``pinlab doctor`` run with that installation, when pinlab was among them."""

    def __str__(self) -> str:
        lines = [f"{self.interpreter}: {len(self.installed)} packages installed from the wheelhouse alone "
                 "(pip --isolated --no-index), every file checked against its hash"]
        return "\n".join(lines + ([self.doctor] if self.doctor else []))


def verify(dest: Path, project: Path | None = None, python: Path | str | None = None,
           venvs: FreshVenvs | None = None) -> Proof:
    """Do what a participant does, with the interpreter *python* (default: this one): make a venv
    with ``python -m venv``, run :data:`INSTALL_ARGS` with it from *dest*'s parent folder, in this
    process's environment (``PIP_*`` variables and pip.conf included: the command must ignore
    them); with pinlab among the packages, run ``pinlab doctor`` there (from *project*, which holds the toys).
    With *venvs*, the venv is a copy of the one that interpreter's ``python -m venv`` made first."""
    dest = dest.resolve()
    if dest.name != "wheelhouse":
        raise WheelhouseError(f"{dest}: the participant's command expects the folder to be named wheelhouse")
    interpreter = _interpreter(python)
    # The participant's shell: their variables, less those that steer an interpreter itself.
    env = {key: value for key, value in os.environ.items()
           if not key.upper().startswith("PYTHON") and key.upper() not in ("VIRTUAL_ENV", "__PYVENV_LAUNCHER__")}
    with ThrowawayDir("stick-proof") as folder:
        placeholders = Placeholders({str(dest): "<wheelhouse>", str(folder.path): "<venv-folder>"})
        made = (venvs.make if venvs is not None else _make_venv)(interpreter.path, folder.path / "venv", env,
                                                                 placeholders)
        if not made.ok:
            raise WheelhouseError(f"{interpreter}: python -m venv failed: {_last_line(made.output)}")
        venv_python = _venv_python(folder.path / "venv")
        installed = run([venv_python, *INSTALL_ARGS], env=env, cwd=dest.parent, placeholders=placeholders)
        if not installed.ok:
            raise WheelhouseError(f"{interpreter}: installing from the wheelhouse failed: "
                                  f"{_pip_error(installed.output)}")
        listed = run([venv_python, "-I", _PROBE, "distributions"], env=clean_env(), merge_output=False)
        packages: dict[str, str] = {canonicalize_name(name): version
                                    for name, version in json.loads(listed.output).items()}
        packages = dict(sorted((name, version) for name, version in packages.items()
                               if name not in ("pip", "setuptools", "wheel")))
        doctor = None
        if project is not None and "pinlab" in packages:
            done = run([venv_python, "-I", "-m", "pinlab", "doctor"], shown_as=["pinlab", "doctor"],
                       env=clean_env(), cwd=project, placeholders=placeholders)
            doctor = str(done)
            if not done.ok:
                raise WheelhouseError(f"{interpreter}: pinlab doctor, installed from the wheelhouse, "
                                      f"found a problem:\n{doctor}")
        return Proof(interpreter, packages, doctor)


class FreshVenvs(ThrowawayDir):
    """Fresh venvs as a participant makes them, for proving several wheelhouses with one interpreter.

    The first venv asked of an interpreter is made by its ``python -m venv`` (ensurepip installs
    that Python's own pip into it: 2-5 s) and kept as it is; that venv and every later one for
    the same interpreter are copies of it: the same files, pip's compiled modules included, in a
    fraction of a second. A copy installs as the original would: the participant's command runs
    ``python -m pip``, and neither the interpreter nor pip read the venv's own path from its files
    (only the activate scripts and ``bin/pip``'s first line hold it). ensurepip ignores ``PIP_*``
    variables and pip.conf, so a venv made under other variables would be the same venv.

    The copy's files are hard links to the original's where the folder's file system allows
    (a tenth of the time of copying 1,500 files): nothing rewrites a file of a venv in place.
    pip writes new files, moves old ones away to uninstall them, and Python replaces a stale
    compiled module by a new file, so the original never sees what was done in a copy.

    With *shared*, a folder the caller keeps (and removes), the originals live there, one per
    interpreter, and are shared by every process given the same folder (the workers of a test
    run): the first to ask makes it, under a file lock, and the others wait and copy it.
    """

    def __init__(self, shared: Path | None = None) -> None:
        super().__init__("fresh-venvs")
        self._shared = shared
        self._made: dict[str, tuple[Path, Completed]] = {}

    def make(self, python: Path | str, venv: Path, env: Mapping[str, str] | None = None,
             placeholders: Placeholders | None = None) -> Completed:
        """Make *venv* with *python*; the result is that of the ``python -m venv`` that made the original."""
        key = str(python)
        if key not in self._made:
            if self._shared is None:
                original = self.path / str(len(self._made)) / "venv"
                made = _make_original(python, original, env, placeholders)
            else:
                original, made = self._shared_original(python, env, placeholders)
            if not made.ok:
                return made
            self._made[key] = (original, made)
        original, made = self._made[key]
        shutil.copytree(original, venv, symlinks=True, copy_function=_link_or_copy)  # bin/python stays a link
        return made

    def _shared_original(self, python: Path | str, env: Mapping[str, str] | None,
                         placeholders: Placeholders | None) -> tuple[Path, Completed]:
        """The original of *python* in the shared folder, made by whichever process asks first."""
        assert self._shared is not None
        # The interpreter's path names its folder: short, and any spelling of a path fits.
        name = hashlib.sha256(str(python).encode()).hexdigest()[:16]
        original, record = self._shared / name / "venv", self._shared / f"{name}.json"
        with FileLock(self._shared / f"{name}.lock"):
            if record.exists():  # written once the venv was whole: another process made it
                command, returncode, output = json.loads(record.read_text(encoding="utf-8"))
                return original, Completed(tuple(command), returncode, output)
            shutil.rmtree(original.parent, ignore_errors=True)  # what a process stopped half-way left
            made = _make_original(python, original, env, placeholders)
            if made.ok:  # the record whole or not at all, should this process be stopped now
                partial = record.with_suffix(".partial")
                partial.write_text(json.dumps([made.command, made.returncode, made.output]), encoding="utf-8")
                os.replace(partial, record)
            else:  # kept for no one: the next to ask tries again
                shutil.rmtree(original.parent, ignore_errors=True)
            return original, made


def _make_original(python: Path | str, original: Path, env: Mapping[str, str] | None,
                   placeholders: Placeholders | None) -> Completed:
    # Its output names the original's folder as verify() names the venv's: <venv-folder>.
    shown = (placeholders or Placeholders()).merged(Placeholders({str(original.parent): "<venv-folder>"}))
    return _make_venv(python, original, env, shown)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # another file system, or one without hard links (FAT)
        shutil.copy2(source, destination)


def prove(
    dest: Path,
    targets: Sequence[Target],
    project: Path | None = None,
    candidates: Sequence[Path | str] = (),
    report: Callable[[str], object] = lambda line: None,
    venvs: FreshVenvs | None = None,
) -> tuple[list[Proof], list[Target]]:
    """:func:`verify` with every interpreter of this machine that is one of *targets*' laptops
    (see :func:`find_interpreters`), and *venvs* if given. Returns the proofs and the targets none
    of them could stand for (another platform, or a Python not installed here); *report* gets a
    line for each."""
    proofs = []
    for interpreter in find_interpreters(targets, candidates):
        started = time.monotonic()
        proofs.append(verify(dest, project, interpreter.path, venvs))
        report(f"{proofs[-1]}\n(venv, install and doctor: {time.monotonic() - started:.0f} s)")
    minors = {proof.interpreter.minor for proof in proofs}
    unproven = [target for target in targets if not (target.runs_here() and target.python in minors)]
    for target in unproven:
        report(f"not proven here (no interpreter of this machine is one of its laptops): {target}")
    return proofs, unproven


def _interpreter(python: Path | str | None) -> Interpreter:
    done = run([python or sys.executable, "-I", _PROBE, "interpreter"], env=clean_env(), merge_output=False)
    if not done.ok:
        raise WheelhouseError(f"{python}: not a Python that runs here: {_last_line(done.output)}")
    return Interpreter(Path(python or sys.executable), json.loads(done.output)[1])


def _make_venv(python: Path | str, venv: Path, env: Mapping[str, str] | None = None,
               placeholders: Placeholders | None = None) -> Completed:
    return run([python, "-m", "venv", venv], env=env, placeholders=placeholders)


def _venv_python(venv: Path) -> Path:
    # python -m venv makes Scripts\python.exe on Windows (even under MSYS), bin/python elsewhere.
    return next(path for path in (venv / "Scripts" / "python.exe", venv / "bin" / "python") if path.exists())


def _project_line(project: Path, dest: Path, extras: Sequence[str] = ()) -> Line:
    """Build *project*'s wheel into *dest* (replacing an earlier build) and pin it, with *extras*, by hash."""
    try:
        toy = load_toy(project)
    except ToyError as exc:
        raise WheelhouseError(str(exc)) from None

    def ours(wheel: Path) -> bool:
        return parse_wheel_filename(wheel.name)[0] == canonicalize_name(toy.name)

    for old in filter(ours, dest.glob("*.whl")):
        old.unlink()  # never two builds of the project side by side
    try:
        build_project(toy, dest)
    except ToyError as exc:
        raise WheelhouseError(str(exc)) from None
    wheel = next(filter(ours, dest.glob("*.whl")))
    digest = f"sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}"
    requirement = Requirement(f"{toy.name}{'[' + ','.join(extras) + ']' if extras else ''}=={toy.version}")
    return Line(f"{requirement} --hash={digest}", requirement, (digest,))


def _pip_error(output: str) -> str:
    """pip's failure in one line: a hash mismatch names the requirement; otherwise pip's last error."""
    refusal = hash_refusal(output)
    if refusal and refusal.reason == "mismatch" and refusal.requirements:
        return (f"{refusal.requirements[0]}: the wheel does not match its hash in requirements.txt; "
                "someone may have changed it")
    return last_error(output)


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


INSTALL_TXT = """\
pinlab, offline: this folder holds every wheel the kit needs ({count} files).

Built for:
{targets}
Proven on the machine that built it, with the command below and pinlab doctor:
{proven}

From the pinlab folder (the one with book/ and examples/), with a Python it was built for:

    python -m venv .venv
    .venv/bin/python {install}
    .venv/bin/python -m pinlab doctor
    .venv/bin/jupyter lab --notebook-dir book

On Windows, write .venv\\Scripts\\python.exe and .venv\\Scripts\\jupyter.exe instead
(py -3.12 -m venv .venv picks a Python when several are installed).
--isolated makes pip ignore PIP_* variables and your own pip.conf.
"""


def install_txt(count: int, targets: Sequence[Target], proofs: Sequence[Proof], unproven: Sequence[Target]) -> str:
    proven = [f"  - Python {proof.interpreter.version}" for proof in proofs]
    proven += [f"  - not {target}: no such interpreter on that machine" for target in unproven]
    return INSTALL_TXT.format(count=count, targets="\n".join(f"  - {target.describe()}" for target in targets),
                              proven="\n".join(proven) or "  - nothing (--no-verify)",
                              install=" ".join(INSTALL_ARGS))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pinlab.wheelhouse", description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path("wheelhouse"),
                        help="the folder to fill, named wheelhouse (default: ./wheelhouse)")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="pinlab's folder, with uv.lock (default: .)")
    parser.add_argument("--extra", action="append", default=[],
                        help="an extra of pinlab to include, e.g. lab (repeatable)")
    parser.add_argument("--group", action="append", default=[], help="a dependency group to include (repeatable)")
    parser.add_argument("--platform", action="append", default=[], choices=[THIS_MACHINE, *PLATFORMS],
                        help="the laptops to serve (repeatable; default: this machine's platform)")
    parser.add_argument("--python", action="append", default=[], metavar="X.Y",
                        help="their Python minor versions, each standing for all its patch releases "
                             "(repeatable; default: this interpreter's)")
    parser.add_argument("--prove-with", action="append", default=[], type=Path, metavar="PYTHON",
                        help="also prove the stick with this interpreter (repeatable), e.g. /usr/bin/python3")
    parser.add_argument("--find-links", type=Path, help="take wheels only from this folder, not from PyPI")
    parser.add_argument("--no-verify", action="store_true", help="skip the offline installs that prove the folder")
    args = parser.parse_args(argv)
    without_lab = lab_missing_message(parser.prog)  # it builds pinlab's wheel and proves it in a sandbox
    if without_lab is not None:
        parser.exit(2, f"{without_lab}\n")
    for version in args.python:
        if not re.fullmatch(r"3\.\d+", version):
            parser.exit(2, f"{parser.prog}: --python {version!r}: expected a minor version like 3.12\n")
    if args.dest.name != "wheelhouse":
        parser.exit(2, f"{parser.prog}: --dest {str(args.dest)!r}: the folder must be named wheelhouse "
                       "(the participant's command names it)\n")
    targets = list(dict.fromkeys(Target(platform, python) for platform in (args.platform or [THIS_MACHINE])
                                 for python in (args.python or [Target.here().python])))
    runnable = {target.python for target in targets if target.runs_here()}
    for path in args.prove_with:
        try:
            interpreter = _interpreter(path)
        except (WheelhouseError, OSError) as exc:
            parser.exit(2, f"{parser.prog}: --prove-with {str(path)!r}: not a Python that runs here ({exc})\n")
        if interpreter.minor not in runnable:
            parser.exit(2, f"{parser.prog}: --prove-with {str(path)!r}: Python {interpreter.version} is none of the "
                           f"laptops this machine can stand for ({', '.join(sorted(runnable)) or 'none'})\n")
    try:
        requirements = locked_requirements(args.project, args.group, args.extra)
        check_targets(parse_requirements(requirements), targets, Lock.read(args.project))
    except (TargetError, OSError) as exc:  # before anything is written
        parser.exit(2, f"{parser.prog}: {exc}\n")
    except WheelhouseError as exc:
        print(f"wheelhouse: {exc}", file=sys.stderr)
        return 1
    try:
        started = time.monotonic()
        wheels = build(args.dest, requirements, args.project, targets, args.find_links, args.extra)
        megabytes = sum(wheel.stat().st_size for wheel in wheels) / 1e6
        print(f"{len(wheels)} wheels ({megabytes:.0f} MB) in {args.dest} after {time.monotonic() - started:.0f} s, "
              f"for {'; '.join(map(str, targets))}", flush=True)
        proofs: list[Proof] = []
        unproven = list(targets)
        if not args.no_verify:
            proofs, unproven = prove(args.dest, targets, args.project, args.prove_with,
                                     report=lambda line: print(line, flush=True))
        (args.dest / "INSTALL.txt").write_text(install_txt(len(wheels), targets, proofs, unproven), encoding="utf-8")
    except WheelhouseError as exc:
        print(f"wheelhouse: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
