"""``pinlab lint`` on real environments and repositories as an exploratory tester found them:
broken distributions, a bad requirement among many, a uv workspace root, lockstep look-alikes.

Each environment is a real virtual environment (``python -m venv --without-pip``) whose
site-packages gets the dist-info folders a broken install leaves; its own interpreter reads it.
Each test asserts what a user sees: the whole output and the exit status.
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import build, pinlab_here, write_project
from pinlab.process import clean_env, run


def pinlab(*args: str, cwd: Path):
    return pinlab_here(*args, cwd=cwd, merge_output=False)


def make_venv(folder: Path) -> tuple[Path, Path]:
    """A real venv without pip: its interpreter and its site-packages."""
    assert run([sys.executable, "-m", "venv", "--without-pip", str(folder)], env=clean_env()).ok
    python = next(p for p in folder.glob("*/python*") if p.name in ("python", "python.exe"))
    result = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env=clean_env())
    return python, Path(result.output.strip())


def dist_info(site: Path, folder: str, metadata: str | None) -> Path:
    """A ``.dist-info`` folder in *site*, with this METADATA text (None: no METADATA file)."""
    path = site / folder
    path.mkdir(parents=True)
    if metadata is not None:
        (path / "METADATA").write_text(metadata, encoding="utf-8")
    return path


def meta(name: str | None, version: str, *requires: str, metadata_version: str = "2.1") -> str:
    lines = [f"Metadata-Version: {metadata_version}", *([f"Name: {name}"] if name else []), f"Version: {version}"]
    return "\n".join([*lines, *(f"Requires-Dist: {r}" for r in requires)]) + "\n"


# -- item 1: broken distributions are named, never dropped ---------------------------------------------

def test_all_installed_names_each_distribution_it_cannot_read_as_not_checked(tmp_path):
    python, site = make_venv(tmp_path / "v env")
    dist_info(site, "good-1.0.dist-info", meta("good", "1.0", "bar>=2"))
    noname = dist_info(site, "noname-1.0.dist-info", meta(None, "1.0", "baz==1"))
    nometa = dist_info(site, "nometa-1.0.dist-info", None)
    result = pinlab("lint", "--all-installed", "--python", str(python), cwd=tmp_path)
    # Before: "installed good ... All clear: nothing is pinned or capped.", exit 0.
    assert (result.returncode, result.output) == (1, (
        "installed good (good 1.0: 1 requirement)\n"
        "  no pins, no caps\n"
        "installed noname-1.0.dist-info\n"
        f"  not checked: its METADATA has no Name (it declares 1 requirement), so it cannot be linted ({noname})\n"
        "installed nometa-1.0.dist-info\n"
        f"  not checked: it has no METADATA file, so it cannot be linted ({nometa})\n"
        "No pins or caps in what could be read.\n"
        "Not checked: installed noname-1.0.dist-info, installed nometa-1.0.dist-info (see 'not checked' above), "
        "so this is not all clear.\n"))


def test_an_environment_of_broken_distributions_only_is_not_checked_not_unusable(tmp_path):
    python, site = make_venv(tmp_path / "venv")
    nometa = dist_info(site, "nometa-1.0.dist-info", None)
    result = pinlab("lint", "--all-installed", "--python", str(python), cwd=tmp_path)
    assert (result.returncode, result.output) == (1, (
        "installed nometa-1.0.dist-info\n"
        f"  not checked: it has no METADATA file, so it cannot be linted ({nometa})\n"
        "No pins or caps in what could be read.\n"
        "Not checked: installed nometa-1.0.dist-info (see 'not checked' above), so this is not all clear.\n"))


def test_a_shadowed_copy_is_said_and_the_one_python_imports_is_linted(tmp_path):
    python, site = make_venv(tmp_path / "venv")
    first = dist_info(site, "dup-1.0.dist-info", meta("dup", "1.0", "bar>=1"))
    later = tmp_path / "other dir"  # after site-packages on sys.path, as a .pth file puts it
    second = dist_info(later, "dup-2.0.dist-info", meta("Dup", "2.0", "bar==1"))
    (site / "other.pth").write_text(f"{later}\n", encoding="utf-8")
    for args in (["--all-installed"], ["--installed", "dup"]):
        result = pinlab("lint", *args, "--python", str(python), cwd=tmp_path)
        # Before: the first copy alone, no word of the second.
        assert (result.returncode, result.output) == (0, (
            "installed dup (dup 1.0: 1 requirement)\n"
            f"  note: another copy, dup 2.0 in {second}, is shadowed: this one, in {first}, is first on sys.path, "
            "the one Python imports and the one linted\n"
            "All clear: nothing is pinned or capped.\n")), args


# -- item 2: one bad requirement does not stop an environment ---------------------------------------------

def test_an_invalid_installed_requirement_makes_that_distribution_not_checked_and_the_rest_linted(tmp_path):
    python, site = make_venv(tmp_path / "venv")
    dist_info(site, "badreq-1.0.dist-info", meta("badreq", "1.0", "foo ==", "bar>=2"))
    dist_info(site, "other-1.0.dist-info", meta("other", "1.0", "bar==2"))
    why = "Expected semicolon (after name with no version specifier) or end"
    result = pinlab("lint", "--all-installed", "--python", str(python), cwd=tmp_path)
    # Before: exit 2, "installed badreq: invalid requirement 'foo ==' ...", and other's pin never shown.
    assert (result.returncode, result.output) == (1, (
        "installed badreq (badreq 1.0: 1 requirement)\n"
        f"  not checked: its metadata has an invalid requirement 'foo ==' ({why})\n"
        "installed other (other 1.0: 1 requirement)\n"
        "  PIN001 error   bar==2  [dependencies]\n"
        "    exact pin: users can install no other release of bar beside this library, not even one that fixes "
        "a bug\n"
        "    see https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin001\n"
        "Found 1 error and 0 warnings.\n"
        "Not checked: installed badreq (see 'not checked' above), so this is not all clear.\n"))
    alone = pinlab("lint", "--installed", "badreq", "--python", str(python), cwd=tmp_path)
    assert (alone.returncode, alone.output) == (1, (
        "installed badreq (badreq 1.0: 1 requirement)\n"
        f"  not checked: its metadata has an invalid requirement 'foo ==' ({why})\n"
        "No pins or caps in what could be read.\n"
        "Not checked: installed badreq (see 'not checked' above), so this is not all clear.\n"))


def sdist(folder: Path, pkg_info: str) -> Path:
    """An sdist holding only this PKG-INFO (what lint reads) and a setup.py."""
    import io
    import tarfile

    path = folder / "toylib-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in (("PKG-INFO", pkg_info), ("setup.py", "from setuptools import setup\nsetup()\n")):
            data = text.encode()
            member = tarfile.TarInfo(f"toylib-1.0/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


def test_a_dynamic_requires_python_is_not_checked_since_pin004_judges_it(tmp_path):
    # Metadata 2.2 (PEP 643): a field marked Dynamic in an sdist may differ in the wheel built from
    # it, so a cap there (PIN004) can be neither found nor ruled out.
    sdist(tmp_path, meta("toylib", "1.0", "toyhost>=1", metadata_version="2.2") + "Dynamic: Requires-Python\n")
    result = pinlab("lint", "toylib-1.0.tar.gz", cwd=tmp_path)
    # Before: "no pins, no caps" and "All clear: nothing is pinned or capped.", exit 0.
    assert (result.returncode, result.output) == (1, (
        "toylib-1.0.tar.gz (toylib 1.0: 1 requirement)\n"
        "  not checked: Requires-Python is dynamic (computed when the project is built), so a capped "
        "requires-python (PIN004) cannot be ruled out: lint the built wheel\n"
        "No pins or caps in what could be read.\n"
        "Not checked: toylib-1.0.tar.gz (see 'not checked' above), so this is not all clear.\n"))
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "toylib"\nversion = "1.0"\ndynamic = ["requires-python"]\n', encoding="utf-8")
    result = pinlab("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (1, (
        "pyproject.toml (toylib 1.0: 0 requirements)\n"
        "  not checked: requires-python is dynamic (computed when the project is built), so a capped "
        "requires-python (PIN004) cannot be ruled out: lint the built wheel\n"
        "No pins or caps in what could be read.\n"
        "Not checked: pyproject.toml (see 'not checked' above), so this is not all clear.\n"))


# -- item 3: a uv workspace root lints its members; nothing checked is never all clear ----------------------

def toml(path: Path, text: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pyproject.toml").write_text(text, encoding="utf-8")


def test_a_uv_workspace_root_lints_its_members_as_uv_finds_them(tmp_path):
    ws = tmp_path / "my ws"
    toml(ws, '[tool.uv.workspace]\nmembers = ["packages/*"]\nexclude = ["packages/seeds"]\n')
    toml(ws / "packages" / "a", '[project]\nname = "a"\nversion = "1"\ndependencies = ["foo==1"]\n')
    toml(ws / "packages" / "b", '[project]\nname = "b"\nversion = "1"\ndependencies = ["foo>=1"]\n')
    toml(ws / "packages" / "seeds", '[project]\nname = "seeds"\nversion = "1"\ndependencies = ["foo<2"]\n')
    (ws / "packages" / "stub").mkdir()  # a leftover folder: no pyproject.toml, so no member
    result = pinlab("lint", "my ws", cwd=tmp_path)
    # Before: "my ws/pyproject.toml: skipped ... All clear: nothing is pinned or capped (1 skipped)", exit 0.
    assert (result.returncode, result.output) == (1, (
        "my ws/pyproject.toml: skipped, a uv workspace root with no [project] table, no package metadata; "
        "its members are linted: packages/a, packages/b\n"
        "  note: packages/stub matches [tool.uv.workspace] members but holds no pyproject.toml: not a member, "
        "not linted\n"
        "my ws/packages/a/pyproject.toml (a 1: 1 requirement)\n"
        "  PIN001 error   foo==1  [dependencies]\n"
        "    exact pin: users can install no other release of foo beside this library, not even one that fixes "
        "a bug\n"
        "    see https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin001\n"
        "my ws/packages/b/pyproject.toml (b 1: 1 requirement)\n"
        "  no pins, no caps\n"
        "Found 1 error and 0 warnings (1 skipped).\n"))
    # A member named on the command line too is linted once (the pre-commit hook names every file).
    again = pinlab("lint", "my ws/packages/a/pyproject.toml", "my ws", cwd=tmp_path)
    assert [line for line in again.output.splitlines() if not line.startswith(" ")] == [
        "my ws/packages/a/pyproject.toml (a 1: 1 requirement)",
        "my ws/pyproject.toml: skipped, a uv workspace root with no [project] table, no package metadata; "
        "its members are linted: packages/a, packages/b",
        "my ws/packages/b/pyproject.toml (b 1: 1 requirement)",
        "Found 1 error and 0 warnings (1 skipped).",
    ]


def test_a_workspace_root_whose_members_match_nothing_is_not_checked(tmp_path):
    toml(tmp_path, '[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    result = pinlab("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (1, (
        "pyproject.toml (0 requirements)\n"
        "  not checked: a uv workspace root with no [project] table, and no folder with a pyproject.toml matches "
        "its [tool.uv.workspace] members: nothing here was linted\n"
        "No pins or caps in what could be read.\n"
        "Not checked: pyproject.toml (see 'not checked' above), so this is not all clear.\n"))


def test_a_workspace_root_that_is_a_package_is_linted_with_its_members(tmp_path):
    toml(tmp_path, '[project]\nname = "root"\nversion = "1"\ndependencies = ["lib"]\n\n'
                   '[tool.uv.workspace]\nmembers = ["lib"]\n')
    toml(tmp_path / "lib", '[project]\nname = "lib"\nversion = "1"\ndependencies = ["foo<2"]\n')
    result = pinlab("lint", cwd=tmp_path)
    assert result.returncode == 1
    assert [line for line in result.output.splitlines() if not line.startswith("    ")] == [
        "pyproject.toml (root 1: 1 requirement)",
        "  no pins, no caps",
        "lib/pyproject.toml (lib 1: 1 requirement)",
        "  PIN003 warning foo<2  [dependencies]",
        "Found 0 errors and 1 warning.",
    ]


@pytest.mark.parametrize("workspace, message", [
    ('members = "packages/*"', "[tool.uv.workspace] members must be a list of strings (globs)"),
    ('members = ["/abs/*"]', "[tool.uv.workspace] members: invalid glob '/abs/*'"),
])
def test_a_workspace_table_that_is_wrong_is_one_line_and_exit_status_2(tmp_path, workspace, message):
    toml(tmp_path, f"[tool.uv.workspace]\n{workspace}\n")
    result = pinlab("lint", cwd=tmp_path)
    assert result.returncode == 2
    assert result.output.startswith(f"pinlab lint: error: pyproject.toml: {message}")
    assert result.output.count("\n") == 1


# -- item 4: lockstep needs names that say one family releases both ---------------------------------------

@pytest.mark.parametrize("name, version, requirement, severity", [
    # Real cases (their wheels' Requires-Dist): a part of the declarer, and siblings under a two-part stem.
    ("apache-airflow", "3.0.2", "apache-airflow-core==3.0.2", "info"),
    ("opentelemetry-instrumentation-flask", "0.45b0", "opentelemetry-instrumentation-wsgi==0.45b0", "info"),
    # A shared first word and an equal version is a coincidence, not evidence (before: info, exit 0).
    ("django-foo", "1.0", "django-bar==1.0", "error"),
    ("google-cloud-storage", "2.18.0", "google-auth==2.18.0", "error"),
    ("opentelemetry-instrumentation-flask", "0.45b0", "opentelemetry-util-http==0.45b0", "error"),
    # The plugin's pin on its host stays an error at an equal version.
    ("opentelemetry-instrumentation-flask", "0.45b0", "opentelemetry-instrumentation==0.45b0", "error"),
])
def test_a_lockstep_pin_needs_a_name_that_extends_the_declarer_or_a_two_part_stem(
        tmp_path, name, version, requirement, severity):
    write_project(tmp_path, name, version, [requirement])
    wheel = build(tmp_path, tmp_path / "dist")
    result = pinlab("lint", str(wheel.relative_to(tmp_path)), cwd=tmp_path)
    code = "PIN002" if "b0" in version else "PIN001"
    assert result.output.splitlines()[1] == f"  {code} {severity:<7} {requirement}  [dependencies]"
    assert result.returncode == (1 if severity == "error" else 0)


# -- item 5: the minor ones ----------------------------------------------------------------------------------

def test_the_same_file_named_twice_is_one_input(tmp_path):
    toml(tmp_path / "proj a", '[project]\nname = "a"\nversion = "1"\ndependencies = ["foo<2"]\n')
    result = pinlab("lint", "proj a", "proj a/pyproject.toml", cwd=tmp_path)
    # Before: two headers, each showing both inputs' findings (two PIN003 under each).
    assert (result.returncode, result.output) == (1, (
        "proj a/pyproject.toml (a 1: 1 requirement)\n"
        "  PIN003 warning foo<2  [dependencies]\n"
        "    upper cap: only foo<2 is admitted, so newer releases are refused even if they work; cap only after "
        "a real break\n"
        "    see https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin003\n"
        "Found 0 errors and 1 warning.\n"))


def test_ignoring_every_finding_says_how_many_were_ignored(tmp_path):
    toml(tmp_path, '[project]\nname = "a"\nversion = "1"\ndependencies = ["foo==1", "bar==2", "baz<3"]\n')
    result = pinlab("lint", "--ignore", "PIN001", "--ignore", "pin003", cwd=tmp_path)
    # Before: "All clear: nothing is pinned or capped.", not a word of the three findings left out.
    assert (result.returncode, result.output) == (0, (
        "pyproject.toml (a 1: 3 requirements)\n"
        "  no pins, no caps\n"
        "All clear: nothing is pinned or capped but what is ignored "
        "(3 findings ignored: --ignore PIN001, PIN003).\n"))


def test_a_folder_given_as_python_is_named_with_the_interpreter_inside_it(tmp_path):
    python, _site = make_venv(tmp_path / "v1")
    result = pinlab("lint", "--all-installed", "--python", "v1", cwd=tmp_path)
    # Before: "--python v1: cannot be run: Permission denied".
    assert (result.returncode, result.output) == (2, (
        "pinlab lint: error: --python v1: a folder, not an interpreter "
        f"(did you mean --python {Path('v1', python.relative_to(tmp_path / 'v1')).as_posix()}?)\n"))
    (tmp_path / "empty").mkdir()
    result = pinlab("lint", "--installed", "foo", "--python", "empty", cwd=tmp_path)
    assert (result.returncode, result.output) == (2, (
        "pinlab lint: error: --python empty: a folder, not an interpreter (no Python interpreter inside it)\n"))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_named_pipe_is_refused_not_read_forever(tmp_path):
    os.mkfifo(tmp_path / "fifo.whl")
    result = pinlab("lint", "fifo.whl", cwd=tmp_path)
    # Before: it hung, waiting for a writer.
    assert (result.returncode, result.output) == (2, "pinlab lint: error: fifo.whl: not a regular file\n")


def test_explain_help_says_what_each_exit_status_means(capsys):
    from pinlab.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["explain", "--help"])
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.endswith(
        "exit status: 0 when every vulnerable package was checked and none has its fix blocked (a package whose "
        "advisory no release fixes is reported, and does not change the status); 1 when an installed requirement "
        "blocks a fix, or a package could not be checked (never all clear); 2 for unusable input.")


# -- a wheel's fields are final, even where it says Dynamic ---------------------------------------------

DEPENDENCIES_FROM_A_BUILD_HOOK = '''\
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        build_data["dependencies"].append("toyhost>=1")
'''


def test_a_wheel_or_installed_copy_that_says_dynamic_is_linted_as_written_its_sdist_not_checked(tmp_path):
    # apache-airflow 2.10.4's shape: hatchling copies Dynamic into the wheel's METADATA when a build
    # hook adds the dependencies. Dynamic (PEP 643) only speaks of an sdist: a wheel's fields are final.
    project = write_project(tmp_path / "src", "toylib", "1.0", [], extra_toml="[tool.hatch.build.targets.wheel.hooks.custom]\n")
    text = (project / "pyproject.toml").read_text(encoding="utf-8").replace(
        "dependencies = []", 'dynamic = ["dependencies", "requires-python"]')
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    (project / "hatch_build.py").write_text(DEPENDENCIES_FROM_A_BUILD_HOOK, encoding="utf-8")
    wheel = build(project, tmp_path / "dist")
    sdist = build(project, tmp_path / "dist", "sdist")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("toylib-1.0.dist-info/METADATA").decode()
    assert "Dynamic: Requires-Dist\nDynamic: Requires-Python\nRequires-Dist: toyhost>=1\n" in metadata
    result = pinlab("lint", f"dist/{wheel.name}", cwd=tmp_path)
    # Before: "not checked: Requires-Dist is dynamic (computed when the project is built): lint the
    # built wheel" (and the same of Requires-Python), exit 1: of the built wheel itself.
    assert (result.returncode, result.output) == (0, (
        f"dist/{wheel.name} (toylib 1.0: 1 requirement)\n"
        "  no pins, no caps\n"
        "All clear: nothing is pinned or capped.\n"))
    # Installed, its METADATA is the wheel's, Dynamic and all: final too.
    python, site_packages = make_venv(tmp_path / "venv")
    assert run([sys.executable, "-m", "pip", "install", "--isolated", "--no-index", "--no-deps", "--quiet",
                "--target", str(site_packages), str(wheel)], env=clean_env()).ok
    result = pinlab("lint", "--installed", "toylib", "--python", str(python), cwd=tmp_path)
    assert (result.returncode, result.output) == (0, (
        "installed toylib (toylib 1.0: 1 requirement)\n"
        "  no pins, no caps\n"
        "All clear: nothing is pinned or capped.\n"))
    result = pinlab("lint", f"dist/{sdist.name}", cwd=tmp_path)
    assert (result.returncode, result.output) == (1, (
        f"dist/{sdist.name} (toylib 1.0: 0 requirements)\n"
        "  not checked: Requires-Dist is dynamic (computed when the project is built): lint the built wheel\n"
        "  not checked: Requires-Python is dynamic (computed when the project is built), so a capped "
        "requires-python (PIN004) cannot be ruled out: lint the built wheel\n"
        "No pins or caps in what could be read.\n"
        f"Not checked: dist/{sdist.name} (see 'not checked' above), so this is not all clear.\n"))
