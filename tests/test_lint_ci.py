"""``pinlab lint`` in CI (issue 11, items 8 and 9): SARIF for code scanning, workflow annotations,
file and line of each finding, ``--version``, and whole environments read once."""

import importlib.util
import json
import sys
import types
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from helpers import build, pinlab_here, write_project
from pinlab.cli import main
from pinlab.lint import RULES, lint
from pinlab.process import clean_env, run
from pinlab.requirements import read_source
from pinlab.sandbox import Sandbox


def pinlab(*args, cwd):
    return pinlab_here(*args, cwd=cwd)


PYPROJECT = '''\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "toylib"
version = "1.0"
requires-python = ">=3.8,<4"
dependencies = [
    "toyhost>=1.0a27",
    'toyhost-export==0.3a1; python_version >= "3"',
]

[project.optional-dependencies]
docs = ["toyhost-charts<1"]
caps = ["toyhost-charts<1", "toyhost-badges~=0.2"]

[dependency-groups]
test = ["pytest==8.0.0"]

[tool.pinlab]
allow = [
  {code = "PIN003", requirement = "toyhost-badges", reason = "0.3 broke our badges (issue 7)"},
]

[tool.hatch.build.targets.wheel]
packages = ["src/toylib"]
'''


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "src" / "toylib").mkdir(parents=True)
    (tmp_path / "src" / "toylib" / "__init__.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


def test_each_finding_of_a_pyproject_knows_its_line(repo):
    report = lint([read_source(repo / "pyproject.toml")])
    lines = PYPROJECT.splitlines()
    found = {(f.code, f.requirement, f.where): f.line for f in [*report.findings, *report.allowed]}
    assert found == {
        ("PIN002", 'toyhost-export==0.3a1; python_version >= "3"', "dependencies"): 11,
        ("PIN003", "toyhost-charts<1", "extra 'docs'"): 15,  # the same string twice: each on its own line
        ("PIN003", "toyhost-charts<1", "extra 'caps'"): 16,
        ("PIN003", "toyhost-badges~=0.2", "extra 'caps'"): 16,
        ("PIN004", "requires-python >=3.8,<4", "requires-python"): 8,
        ("PIN001", "pytest==8.0.0", "dependency group 'test'"): 19,
    }
    for (_code, requirement, _where), line in found.items():
        assert line is not None and requirement.split()[-1].split("==")[0].split("<")[0] in lines[line - 1]


def test_sarif_is_the_shape_github_code_scanning_reads(repo):
    result = pinlab("lint", "--format", "sarif", cwd=repo)
    assert result.returncode == 1
    log = json.loads(result.output)
    assert (log["version"], log["$schema"]) == ("2.1.0", "https://json.schemastore.org/sarif-2.1.0.json")
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("pinlab", version("pinlab"))
    assert [rule["id"] for rule in driver["rules"]] == list(RULES) == ["PIN001", "PIN002", "PIN003", "PIN004",
                                                                       "PIN005"]
    assert driver["rules"][1]["helpUri"] == "https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin002"
    assert driver["rules"][1]["defaultConfiguration"] == {"level": "error"}
    results = sarif_run["results"]
    for result_ in results:
        assert driver["rules"][result_["ruleIndex"]]["id"] == result_["ruleId"]
        assert result_["level"] in ("error", "warning", "note")
        (location,) = result_["locations"]
        assert location["physicalLocation"]["artifactLocation"] == {"uri": "pyproject.toml"}
    shown = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"], "suppressions" in r)
             for r in results]
    assert shown == [
        ("PIN002", "error", {"startLine": 11}, False),
        ("PIN003", "warning", {"startLine": 16}, False),
        ("PIN004", "warning", {"startLine": 8}, False),
        ("PIN001", "note", {"startLine": 19}, False),  # a dependency group
        ("PIN003", "note", {"startLine": 15}, False),  # the docs extra, for contributors
        ("PIN003", "warning", {"startLine": 16}, True),  # allowed, with its reason
    ]
    assert results[0]["message"]["text"] == (
        'toyhost-export==0.3a1; python_version >= "3" [dependencies]: exact pin on a pre-release: every user is '
        "held to this one snapshot of toyhost-export; fixes in its next release can never reach them")
    assert results[-1]["suppressions"] == [{"kind": "inSource", "justification": "0.3 broke our badges (issue 7)"}]
    assert sarif_run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_sarif_uris_are_relative_and_encoded_and_a_wheel_points_at_its_first_line(repo):
    folder = repo / "dist files"
    wheel = build(repo, folder)
    # An absolute path inside the checkout becomes relative to it, its space percent-encoded.
    result = pinlab("lint", "--format", "sarif", str(wheel), cwd=repo)
    locations = {json.dumps(r["locations"]) for r in json.loads(result.output)["runs"][0]["results"]}
    assert locations == {json.dumps([{"physicalLocation": {
        "artifactLocation": {"uri": f"dist%20files/{wheel.name}"}, "region": {"startLine": 1}}}])}


def test_an_input_that_was_not_checked_is_in_the_sarif_invocation(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n')
    result = pinlab("lint", "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 1
    (invocation,) = json.loads(result.output)["runs"][0]["invocations"]
    assert invocation["toolExecutionNotifications"] == [{
        "level": "warning",
        "message": {"text": "pyproject.toml: not checked: dependencies are dynamic (computed when the project is "
                            "built): lint the built wheel to check them"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "pyproject.toml"},
                                            "region": {"startLine": 1}}}],
    }]


def test_sarif_refuses_installed_distributions_whose_results_code_scanning_would_drop(tmp_path):
    result = pinlab("lint", "--format", "sarif", "--all-installed", cwd=tmp_path)
    assert (result.returncode, result.output) == (2, (
        "pinlab lint: error: --format sarif: an installed distribution is no file of the repository, and GitHub "
        "code scanning does not show results without one; use --format github, json or text\n"))


def test_github_annotations_point_at_the_file_and_line(repo):
    result = pinlab("lint", "--format", "github", cwd=repo)
    assert result.returncode == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        "::error file=pyproject.toml,line=11,title=PIN002 exact pin on a pre-release::toyhost-export==0.3a1; "
        'python_version >= "3" [dependencies]: exact pin on a pre-release: every user is held to this one snapshot '
        "of toyhost-export; fixes in its next release can never reach them "
        "(see https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin002)")
    assert [line.split("::")[1] for line in lines[:5]] == [
        "error file=pyproject.toml,line=11,title=PIN002 exact pin on a pre-release",
        "warning file=pyproject.toml,line=16,title=PIN003 upper cap",
        "warning file=pyproject.toml,line=8,title=PIN004 capped requires-python",
        "notice file=pyproject.toml,line=19,title=PIN001 exact pin",
        "notice file=pyproject.toml,line=15,title=PIN003 upper cap",
    ]
    assert lines[5:] == ["Found 1 error and 2 warnings (2 informational findings, 1 allowed)."]


def test_annotation_values_are_escaped(tmp_path):
    folder = tmp_path / "a,b"
    folder.mkdir()
    write_project(folder, "toylib", "1.0", ["toyhost<2"])
    result = pinlab("lint", "--format", "github", "a,b", cwd=tmp_path)
    assert result.output.splitlines()[0].startswith("::warning file=a%2Cb/pyproject.toml,line=8,title=PIN003 upper cap::")


def test_version():
    result = run([sys.executable, "-m", "pinlab", "--version"], env=clean_env())
    assert (result.returncode, result.output) == (0, f"pinlab {version('pinlab')}\n")


# -- item 9: a whole environment, read once --------------------------------------------------------------

def test_all_installed_lints_every_distribution_reading_the_environment_once(pinned_to_read, capsys, monkeypatch):
    import pinlab.environment

    calls = []
    real_run = pinlab.environment.run

    def counting_run(*a, **k):
        calls.append(a)
        return real_run(*a, **k)

    monkeypatch.setattr(pinlab.environment, "run", counting_run)
    python = str(pinned_to_read.python)  # toyhost-export 0.3a1 and the toyhost it pins
    assert main(["lint", "--all-installed", "--python", python]) == 1
    text = capsys.readouterr().out
    assert len(calls) == 1, "one interpreter run for the whole environment"
    headers = [line for line in text.splitlines() if line.startswith("installed ")]
    assert [header.split(" (")[0] for header in headers] == [
        "installed pip", "installed toyhost", "installed toyhost-export"]
    assert "installed toyhost-export (toyhost-export 0.3a1: 1 requirement)\n  PIN002 error   toyhost==1.0a27" \
        in text
    # Several --installed names: one read as well (before: one interpreter run per name).
    calls.clear()
    assert main(["lint", "--installed", "toyhost", "--installed", "toyhost-export", "--python", python]) == 1
    assert len(calls) == 1


def test_all_installed_in_an_environment_with_nothing_installed_is_unusable(tmp_path):
    assert run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "empty venv")], env=clean_env()).ok
    python = next(p for p in (tmp_path / "empty venv").glob("*/python*") if p.name in ("python", "python.exe"))
    result = pinlab_here("lint", "--all-installed", "--python", str(python), cwd=tmp_path)
    assert (result.returncode, result.output) == (
        2, f"pinlab lint: error: --all-installed: --python {python.as_posix()} has no installed distributions\n")


# -- the CI recipe the guide gives maintainers (examples/ci/) ------------------------------------------------------
#
# nox is not among the kit's test tools, and its sessions would install from PyPI. So the recipe's noxfile is
# loaded with a stand-in `nox` module that records what each session asks nox to do; the tests then run those
# very commands for real, with uv (as nox's uv backend runs `session.install`) or pip, against the toy index, in
# the project's folder as nox would (`.` is the project, built here with hatchling: uv cannot fetch it offline).

RECIPE = Path(__file__).parent.parent / "examples" / "ci"


@dataclass
class _Recorded:
    """What a session asked nox to do: ("install" | "run", arguments)."""

    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    posargs: tuple[str, ...] = ()

    def install(self, *args: str) -> None:
        self.calls.append(("install", args))

    def run(self, *args: str, **options: object) -> None:
        self.calls.append(("run", args))


def _load_recipe(monkeypatch):
    """The recipe's noxfile as a module, its sessions (name -> (function, decorator options)) and nox.options."""
    registered = {}

    def session(func=None, **options):
        def register(function):
            registered[function.__name__] = (function, options)
            return function
        return register(func) if func is not None else register

    stand_in: Any = types.ModuleType("nox")
    stand_in.session, stand_in.options, stand_in.Session = session, types.SimpleNamespace(), object
    monkeypatch.setitem(sys.modules, "nox", stand_in)
    spec = importlib.util.spec_from_file_location("recipe_noxfile", RECIPE / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, registered, stand_in.options


def _replay(sandbox, installer, args, project, wheel):
    """Run one recorded ``session.install`` in *sandbox*, in *project*'s folder as nox would."""
    def located(arg):
        if arg == ".":
            return str(wheel)
        return str(project / arg) if (project / arg).is_file() else arg
    command = [located(arg) for arg in args]
    return sandbox.uv("pip", "install", *command) if installer == "uv" else sandbox.pip("install", *command)


def test_ci_runs_every_session_of_the_recipe_and_lowest_needs_uv(monkeypatch):
    _module, sessions, options = _load_recipe(monkeypatch)
    assert options.sessions == ["newest", "lowest", "audit", "pins"] == list(sessions)
    assert sessions["lowest"][1] == {"venv_backend": "uv"}, "pip cannot resolve to the lowest versions"
    workflow = (RECIPE / "dependencies.yml").read_text(encoding="utf-8")
    assert "        session: [newest, lowest, audit, pins]\n" in workflow
    assert '      - run: python -m pip install "nox[uv]>=2024.10.9"' in workflow, "the uv backend needs uv"
    assert '# dependencies = ["nox[uv]>=2024.10.9"]\n' in (RECIPE / "noxfile.py").read_text(encoding="utf-8")


def test_lowest_installs_each_lower_bound_and_newest_the_newest_releases(monkeypatch, tmp_path, toys_index):
    module, sessions, _options = _load_recipe(monkeypatch)
    # A library of two requirements with lower bounds on pre-releases, and a "test tool" from the toy index
    # in place of pytest (which the offline toy index has not): TEST_TOOLS is the recipe's knob for them.
    project = write_project(tmp_path / "toylib", "toylib", "1.0", ["toyhost>=1.0a27", "toyhost-export>=0.3a1"])
    monkeypatch.setattr(module, "TEST_TOOLS", ["toyhost-badges>=0.1"])
    wheel = build(project, tmp_path / "dist")

    lowest = _Recorded()
    sessions["lowest"][0](lowest)
    assert lowest.calls == [
        ("install", ("--resolution=lowest-direct", "--prerelease=allow", "-r", "pyproject.toml",
                     "toyhost-badges>=0.1")),
        ("install", ("--no-deps", ".")),
        ("run", ("pytest",)),
    ]
    with Sandbox(toys_index) as sandbox:
        for _, args in lowest.calls[:2]:
            assert _replay(sandbox, "uv", args, project, wheel).ok
        assert sandbox.installed() == {"toyhost": "1.0a27", "toyhost-export": "0.3a1", "toyhost-badges": "0.1",
                                       "toylib": "1.0"}
        # Why --prerelease=allow: without it, uv tests the lower bound toyhost>=1.0a27 at 2.0.
        without = [arg for arg in lowest.calls[0][1] if arg != "--prerelease=allow"]
        dry_run = _replay(sandbox, "uv", ["--dry-run", "--reinstall", *without], project, wheel)
        assert " + toyhost==2.0\n" in dry_run.output, dry_run.output


        # The newest session, with pip, over the same environment (one sandbox less to make): its eager
        # upgrade takes every requirement to the newest release its range admits.
        newest = _Recorded()
        sessions["newest"][0](newest)
        assert newest.calls == [("install", ("--upgrade", "--upgrade-strategy", "eager", ".", "toyhost-badges>=0.1")),
                                ("run", ("pytest",))]
        assert _replay(sandbox, "pip", newest.calls[0][1], project, wheel).ok
        # toyhost-badges 0.2 caps the host below 2.0 (a cap with evidence, chapter 2): 1.0a28 is the newest left.
        assert sandbox.installed() == {"toyhost": "1.0a28", "toyhost-export": "0.3a2", "toyhost-badges": "0.2",
                                       "toylib": "1.0"}


def test_the_guide_shows_one_session_of_the_recipe_as_written():
    from pinlab import recipe

    shown = recipe("noxfile.py", session="lowest")
    assert shown.startswith('@nox.session(venv_backend="uv")') and shown in recipe("noxfile.py")
    assert shown.endswith('    session.run("pytest", *session.posargs)\n')
    with pytest.raises(ValueError, match=r"^examples/ci/noxfile.py has no session named 'oldest'$"):
        recipe("noxfile.py", session="oldest")
