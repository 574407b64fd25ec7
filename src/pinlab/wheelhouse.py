"""The USB stick: a folder of wheels from which the kit installs with no index reachable.

``nox -s wheelhouse`` (``python -m pinlab.wheelhouse``) does, in order:

1. exports the locked requirements of pinlab, its chosen extras (the kit: ``--extra=lab``) and
   dependency groups from ``uv.lock`` (exact versions, with hashes, with their environment
   markers), the way CI installs them;
2. builds pinlab's own wheel into the folder and adds it, with its extras and its hash, to
   ``requirements.txt`` (``pinlab[lab]==...``, so pip checks that the extra's wheels are there);
3. downloads every requirement's wheel with pip, for this machine or for the laptops of the room
   (``--platform windows-amd64 --python 3.12``): markers are evaluated for each target, so a
   Windows-only package is fetched for Windows and a 3.10-only one for 3.10;
4. proves the folder: installs ``-r requirements.txt`` from it into a fresh virtual environment
   with ``--no-index``, and there runs ``pinlab doctor``.

A participant then runs ``pip install --no-index --find-links wheelhouse -r wheelhouse/requirements.txt``.
pip checks every file against the lock's hashes, so a wheelhouse cannot be swapped behind your back.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from .extras import lab_missing_message
from .index import LocalIndex
from .process import Placeholders, clean_env, run
from .sandbox import Sandbox, uv_binary
from .toys import ToyError, _build_into, load_toy


class WheelhouseError(RuntimeError):
    """A step failed; the message names the step and quotes the tool's last line."""


# The laptops a workshop meets. pip's --platform takes wheel platform tags; markers need the
# values that platform's Python reports. pip widens macosx_14_0 to every older macOS itself, but
# not manylinux_2_X, so those are listed.
PLATFORMS: dict[str, tuple[list[str], dict[str, str]]] = {
    "linux-x86_64": (
        [f"manylinux_2_{minor}_x86_64" for minor in range(28, 16, -1)] + ["manylinux2014_x86_64", "linux_x86_64"],
        {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    ),
    "macos-arm64": (
        ["macosx_14_0_arm64"],
        {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    ),
    "macos-x86_64": (
        ["macosx_14_0_x86_64"],
        {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64"},
    ),
    "windows-amd64": (
        ["win_amd64"],
        {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
    ),
}
THIS_MACHINE = "this"


@dataclass(frozen=True)
class Target:
    """One kind of laptop: a platform (or this machine) and a Python version."""

    platform: str
    """A key of :data:`PLATFORMS`, or ``"this"`` for the machine building the wheelhouse."""
    python: str | None
    """``"3.12"``; None means this machine's Python."""

    def environments(self) -> list[dict[str, str]]:
        """Marker environments to evaluate requirements in. A target names a minor version only,
        so both ends of it are tried (a marker may split at 3.11.5)."""
        base = dict(default_environment())
        if self.platform != THIS_MACHINE:
            base.update(PLATFORMS[self.platform][1])
        if self.python is None:
            return [base]
        return [{**base, "python_version": self.python, "python_full_version": f"{self.python}.{patch}"}
                for patch in (0, 99)]

    def pip_options(self) -> list[str]:
        options = []
        if self.platform != THIS_MACHINE:
            options += [f"--platform={tag}" for tag in PLATFORMS[self.platform][0]]
        if self.python is not None:
            options += [f"--python-version={self.python}", "--implementation=cp"]
        return options

    def __str__(self) -> str:
        return f"{self.platform} / Python {self.python or 'of this machine'}"


@dataclass(frozen=True)
class Line:
    """One requirement of requirements.txt: as written (marker and hashes) and parsed."""

    text: str
    """The whole requirement, continuation lines joined, e.g. ``colorama==0.4.6 ; os_name == 'nt' --hash=...``."""
    requirement: Requirement
    hashes: tuple[str, ...]

    def applies(self, environment: dict[str, str]) -> bool:
        marker = self.requirement.marker
        return marker is None or Marker(str(marker)).evaluate(environment)

    def without_marker(self) -> str:
        """What pip download gets: the pinned requirement and its hashes (the marker already evaluated)."""
        requirement = Requirement(str(self.requirement))
        requirement.marker = None
        return " ".join([str(requirement), *(f"--hash={h}" for h in self.hashes)])


def parse_requirements(text: str) -> list[Line]:
    """The requirements of a hashed requirements.txt as ``uv export`` writes it."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = []
    for raw in joined.splitlines():
        raw = " ".join(raw.split(" #", 1)[0].split())
        if not raw or raw.startswith("#"):
            continue
        hashes = tuple(re.findall(r"--hash=(\S+)", raw))
        requirement = Requirement(re.sub(r"\s*--hash=\S+", "", raw).strip())
        lines.append(Line(raw, requirement, hashes))
    return lines


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


def build(
    dest: Path,
    requirements: str,
    project: Path | None,
    targets: Sequence[Target] = (Target(THIS_MACHINE, None),),
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
            wanted = [line for line in lines if any(line.applies(env) for env in target.environments())]
            request = sandbox.path / "download.txt"
            request.write_text("".join(f"{line.without_marker()}\n" for line in wanted), encoding="utf-8")
            done = run([sandbox.python, "-Im", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--require-hashes", f"--dest={dest}", *target.pip_options(), *source,
                        "-r", str(request)],
                       env=sandbox._pip_env(offline=find_links is not None), placeholders=sandbox.placeholders)
            if not done.ok:
                raise WheelhouseError(f"pip download for {target}: {_pip_error(done.output)}")
    return sorted(dest.glob("*.whl"))


@dataclass(frozen=True)
class Proof:
    """What installing from the wheelhouse alone gave."""

    installed: dict[str, str]
    """Canonical name -> version of every package installed (pip itself left out)."""
    doctor: str | None
    """The transcript of ``pinlab doctor`` run with that installation, when pinlab was among them."""

    def __str__(self) -> str:
        lines = [f"{len(self.installed)} packages installed from the wheelhouse alone (pip --no-index), "
                 "every file checked against its hash"]
        return "\n".join(lines + ([self.doctor] if self.doctor else []))


def verify(dest: Path, project: Path | None = None) -> Proof:
    """Install ``-r requirements.txt`` from *dest* alone into a fresh venv; with pinlab among
    them, run ``pinlab doctor`` there (from *project*, which holds the toys)."""
    dest = dest.resolve()
    with LocalIndex() as empty, Sandbox(empty) as sandbox:
        sandbox.add_placeholder(dest, "<wheelhouse>")
        installed = sandbox.pip("install", f"--find-links={dest}", "-r", str(dest / "requirements.txt"))
        if not installed.ok:
            raise WheelhouseError(f"installing from the wheelhouse failed: {_pip_error(installed.output)}")
        doctor = None
        if project is not None and "pinlab" in installed.installed:
            done = run([sandbox.python, "-I", "-m", "pinlab", "doctor"], shown_as=["pinlab", "doctor"],
                       env=clean_env(), cwd=project, placeholders=sandbox.placeholders)
            doctor = str(done)
            if not done.ok:
                raise WheelhouseError(f"pinlab doctor, installed from the wheelhouse, found a problem:\n{doctor}")
        return Proof(dict(installed.installed), doctor)


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
        _build_into(toy, dest)
    except ToyError as exc:
        raise WheelhouseError(str(exc)) from None
    wheel = next(filter(ours, dest.glob("*.whl")))
    digest = f"sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}"
    requirement = Requirement(f"{toy.name}{'[' + ','.join(extras) + ']' if extras else ''}=={toy.version}")
    return Line(f"{requirement} --hash={digest}", requirement, (digest,))


def _pip_error(output: str) -> str:
    """pip's failure in one line: a hash mismatch names the requirement; otherwise pip's last error."""
    mismatch = re.search(r"DO NOT MATCH THE HASHES.*?\n\s+(\S+) from ", output, re.S)
    if mismatch:
        return f"{mismatch[1]}: the wheel does not match its hash in requirements.txt; someone may have changed it"
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    return errors[-1] if errors else _last_line(output)


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


INSTALL_TXT = """\
pinlab, offline: this folder holds every wheel the kit needs ({count} files).

From the pinlab folder (the one with book/ and examples/), with Python 3.10 or newer:

    python -m venv .venv
    .venv/bin/python -m pip install --no-index --find-links wheelhouse -r wheelhouse/requirements.txt
    .venv/bin/python -m pinlab doctor
    .venv/bin/jupyter lab --notebook-dir book

On Windows, write .venv\\Scripts\\python.exe and .venv\\Scripts\\jupyter.exe instead.
Built for: {targets}.
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pinlab.wheelhouse", description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path("wheelhouse"), help="the folder to fill (default: wheelhouse)")
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="pinlab's folder, with uv.lock (default: .)")
    parser.add_argument("--extra", action="append", default=[], help="an extra of pinlab to include, e.g. lab (repeatable)")
    parser.add_argument("--group", action="append", default=[], help="a dependency group to include (repeatable)")
    parser.add_argument("--platform", action="append", default=[], choices=[THIS_MACHINE, *PLATFORMS],
                        help="the laptops to serve (repeatable; default: this machine)")
    parser.add_argument("--python", action="append", default=[], metavar="X.Y",
                        help="their Python versions (repeatable; default: this machine's)")
    parser.add_argument("--find-links", type=Path, help="take wheels only from this folder, not from PyPI")
    parser.add_argument("--no-verify", action="store_true", help="skip the offline install that proves the folder")
    args = parser.parse_args(argv)
    without_lab = lab_missing_message(parser.prog)  # it builds pinlab's wheel and proves it in a sandbox
    if without_lab is not None:
        parser.exit(2, f"{without_lab}\n")
    for version in args.python:
        if not re.fullmatch(r"3\.\d+", version):
            parser.exit(2, f"{parser.prog}: --python {version!r}: expected a version like 3.12\n")
    targets = [Target(platform, python) for platform in (args.platform or [THIS_MACHINE])
               for python in (args.python or [None])]
    try:
        requirements = locked_requirements(args.project, args.group, args.extra)
        wheels = build(args.dest, requirements, args.project, targets, args.find_links, args.extra)
        (args.dest / "INSTALL.txt").write_text(
            INSTALL_TXT.format(count=len(wheels), targets="; ".join(map(str, targets))), encoding="utf-8")
        print(f"{len(wheels)} wheels in {args.dest}, for {'; '.join(map(str, targets))}", flush=True)
        if not args.no_verify:
            print(verify(args.dest, args.project), flush=True)
    except WheelhouseError as exc:
        print(f"wheelhouse: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
