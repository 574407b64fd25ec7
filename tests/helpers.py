"""Small real projects for the lint and explain tests, built by ``build`` + hatchling (no download)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

from pinlab.process import Completed, clean_env, run


def write_project(folder: Path, name: str, version: str, dependencies: list[str],
                  extras: dict[str, list[str]] | None = None, extra_toml: str = "") -> Path:
    """A hatchling project in *folder* declaring *dependencies* (and optional *extras*)."""
    package = name.replace("-", "_")
    (folder / "src" / package).mkdir(parents=True, exist_ok=True)
    (folder / "src" / package / "__init__.py").write_text("", encoding="utf-8")
    lines = [
        "[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"', "",
        "[project]", f'name = "{name}"', f'version = "{version}"', f"dependencies = {_toml_list(dependencies)}",
    ]
    if extras:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{extra} = {_toml_list(items)}" for extra, items in extras.items()]
    lines += ["", "[tool.hatch.build.targets.wheel]", f'packages = ["src/{package}"]', "", extra_toml]
    (folder / "pyproject.toml").write_text("\n".join(lines), encoding="utf-8")
    return folder


def build(folder: Path, outdir: Path, kind: str = "wheel") -> Path:
    """Build a wheel or an sdist of the project in *folder* into *outdir*; return its path."""
    result = run([sys.executable, "-m", "build", f"--{kind}", "--no-isolation", "--skip-dependency-check",
                  "--outdir", str(outdir), str(folder)], env=clean_env())
    assert result.ok, result.output
    pattern = "*.whl" if kind == "wheel" else "*.tar.gz"
    (built,) = sorted(outdir.glob(pattern))
    return built


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f"'{item}'" for item in items) + "]"


def pinlab_here(*args: str, cwd: Path, merge_output: bool = True) -> Completed:
    """``pinlab ARGS`` as a shell in *cwd* runs it, but in this process (a new one costs 0.25 s):
    its exit status and its output, standard output and error interleaved as a terminal shows
    them, or with ``merge_output=False`` standard output, then error only if it failed (as
    :func:`pinlab.process.run`). An exception that would have been a traceback fails the test all the same."""
    from pinlab.cli import main

    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err if not merge_output else out):
            try:
                status = main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                status = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(before)
    output = out.getvalue() + (err.getvalue() if status != 0 else "")
    return Completed(("pinlab", *args), status, output)


def can_symlink(folder: Path) -> bool:
    """Whether this user can make a symbolic link in *folder* (Windows: only with Developer Mode or the privilege)."""
    try:
        (folder / "probe-link").symlink_to(folder, target_is_directory=True)
    except OSError:
        return False
    (folder / "probe-link").unlink()
    return True
