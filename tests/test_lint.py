import json
import sys
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import Specifier

from helpers import build, write_project
from pinlab.cli import main
from pinlab.lint import GUIDE, cap_of, check, lint
from pinlab.process import clean_env, run
from pinlab.requirements import Declared, read_source
from pinlab.toys import build_wheel, find_toy


def findings(requirement: str) -> list[tuple[str, str]]:
    """(code, offending clauses) for one requirement in [project] dependencies."""
    declared = Declared(Requirement(requirement), requirement, "dependencies")
    return [(finding.code, finding.specifier) for finding in check(declared)]


@pytest.mark.parametrize("requirement, expected", [
    ("toyhost==1.0", [("PIN001", "==1.0")]),
    ("toyhost===1.0", [("PIN001", "===1.0")]),
    ("toyhost===not-pep440", [("PIN001", "===not-pep440")]),
    ("toyhost==1.0,<2", [("PIN001", "==1.0")]),  # an exact pin caps too; one finding is enough
    ("toyhost==1.0a27", [("PIN002", "==1.0a27")]),
    ("toyhost==1.0rc1", [("PIN002", "==1.0rc1")]),
    ("toyhost==1.0.dev3", [("PIN002", "==1.0.dev3")]),
    ("toyhost===1.0a27", [("PIN002", "===1.0a27")]),
    ("toyhost>=1.0,<=1.0", [("PIN001", "<=1.0,>=1.0")]),  # admits one release: an exact pin (was a cap)
    ("toyhost>=1.0a27,<=1.0a27", [("PIN002", "<=1.0a27,>=1.0a27")]),
    ("toyhost~=1.0,<=1.0", [("PIN001", "<=1.0,~=1.0")]),
    ("toyhost>=1.0,<=1.0.0", [("PIN001", "<=1.0.0,>=1.0")]),  # 1.0 and 1.0.0 are one version
    ("toyhost>=1.0,<=1.1", [("PIN003", "<=1.1")]),
    ("toyhost @ https://example.invalid/toyhost-1.0.tar.gz",
     [("PIN005", "@ https://example.invalid/toyhost-1.0.tar.gz")]),
    ("toyhost<2", [("PIN003", "<2")]),
    ("toyhost<=1.4", [("PIN003", "<=1.4")]),
    ("toyhost>=1.0a27,<2", [("PIN003", "<2")]),
    ("toyhost~=1.4", [("PIN003", "~=1.4 (caps at <2)")]),
    ("toyhost~=1.4.2", [("PIN003", "~=1.4.2 (caps at <1.5)")]),
    ("toyhost==1.*", [("PIN003", "==1.* (caps at <2)")]),
    ("toyhost==1.4.*", [("PIN003", "==1.4.* (caps at <1.5)")]),
    ("toyhost>=1.0a27", []),
    ("toyhost>1", []),
    ("toyhost!=1.0a27", []),
    ("toyhost!=1.*", []),
    ("toyhost", []),
])
def test_each_specifier_gets_the_finding_it_deserves(requirement, expected):
    assert findings(requirement) == expected


@pytest.mark.parametrize("spec, bound, below", [
    ("~=1.4", "<2", "1.99"), ("~=1.4.2", "<1.5", "1.4.99"), ("==1.4.*", "<1.5", "1.4.99"),
    ("~=2!1.4", "<2!2", "2!1.99"), ("<=1.4", "<=1.4", "1.4"),
])
def test_a_cap_is_where_packaging_stops_admitting(spec, bound, below):
    assert str(cap_of(Specifier(spec))) == bound
    first_refused = bound.lstrip("<=")
    assert Specifier(spec).contains(below, prereleases=True)
    assert not Specifier(spec).contains(first_refused + (".1" if bound.startswith("<=") else ""))


def test_a_finding_says_what_where_and_links_to_the_guide():
    (finding,) = check(Declared(Requirement('toyhost==1.0a27; python_version >= "3"'),
                                'toyhost==1.0a27; python_version >= "3"', "extra 'pinned'"), "pyproject.toml")
    assert finding.code == "PIN002" and finding.severity == "error"
    assert finding.message == ("exact pin on a pre-release: every user is held to this one snapshot of toyhost; "
                               "fixes in its next release can never reach them")
    assert finding.url == f"{GUIDE}#pin002" == "https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin002"
    assert (finding.where, finding.marker) == ("extra 'pinned'", 'python_version >= "3"')


# -- pyproject.toml -----------------------------------------------------------------------------------

def test_pins_behind_markers_and_in_extras_count_and_say_where(tmp_path):
    write_project(tmp_path, "toylib", "1.0",
                  ['toyhost==1.0a27; sys_platform == "win32"', "toyhost-charts>=0.1"],
                  extras={"export": ["toyhost-export==0.3a1"], "caps": ["toyhost<2"]})
    report = lint([read_source(tmp_path)])
    found = [(f.code, f.severity, f.requirement, f.where, f.marker) for f in report.findings]
    assert found == [
        ("PIN002", "error", 'toyhost==1.0a27; sys_platform == "win32"', "dependencies", 'sys_platform == "win32"'),
        ("PIN002", "error", "toyhost-export==0.3a1", "extra 'export'", None),
        ("PIN003", "warning", "toyhost<2", "extra 'caps'", None),
    ]
    assert report.exit_status == 1


def test_dependency_groups_are_informational_and_an_include_is_not_counted_twice(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost>=1.0a27"], extra_toml=(
        "[dependency-groups]\n"
        'test = ["pytest==8.0.0"]\n'
        'dev = [{include-group = "test"}, "ruff<1"]\n'
    ))
    report = lint([read_source(tmp_path / "pyproject.toml")])
    found = [(f.code, f.severity, f.where) for f in report.findings]
    assert found == [("PIN001", "info", "dependency group 'test'"), ("PIN003", "info", "dependency group 'dev'")]
    assert report.findings[0].message.endswith("(informational: dependency groups are not published)")
    assert report.exit_status == 0, "nothing published is pinned"


def test_ignore_leaves_out_a_code(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost<2"])
    assert lint([read_source(tmp_path)]).exit_status == 1
    assert lint([read_source(tmp_path)], ignore=["pin003"]).findings == ()


def test_dynamic_dependencies_are_not_checked_and_never_all_clear(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "toylib"\nversion = "1"\ndynamic = ["dependencies"]\n')
    result = pinlab("lint", cwd=tmp_path)
    # Before: a note, "All clear: nothing is pinned or capped." and exit status 0.
    assert (result.returncode, result.output) == (1, (
        "pyproject.toml (toylib 1: 0 requirements)\n"
        "  not checked: dependencies are dynamic (computed when the project is built): "
        "lint the built wheel to check them\n"
        "No pins or caps in what could be read.\n"
        "Not checked: pyproject.toml (see 'not checked' above), so this is not all clear.\n"))


# -- built and installed distributions ----------------------------------------------------------------

@pytest.fixture(scope="module")
def pinned_and_fixed(tmp_path_factory):
    """The same toy library built twice, its metadata pinning toyhost==1.0a27, then >=1.0a27."""
    built = {}
    for operator in ("==", ">="):
        folder = tmp_path_factory.mktemp("src")
        write_project(folder, "toylib", "1.0", [f"toyhost{operator}1.0a27"],
                      extras={"pinned": ['toyhost-export==0.3a1; python_version >= "3"']})
        out = tmp_path_factory.mktemp("dist")
        built[operator] = {kind: build(folder, out, kind) for kind in ("wheel", "sdist")}
    return built


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_a_built_distribution_pinning_a_pre_release_is_reported(pinned_and_fixed, kind, capsys):
    dist = pinned_and_fixed["=="][kind]
    assert main(["lint", "--format", "json", str(dist)]) == 1
    report = json.loads(capsys.readouterr().out)
    found = [(f["code"], f["requirement"], f["where"], f["marker"]) for f in report["findings"]]
    assert found == [
        ("PIN002", "toyhost==1.0a27", "dependencies", None),
        # In METADATA an extra is part of the marker; lint still says which extra it is.
        ("PIN002", "toyhost-export==0.3a1; (python_version >= '3') and extra == 'pinned'", "extra 'pinned'",
         'python_version >= "3" and extra == "pinned"'),
    ]
    assert report["inputs"][0]["kind"] == kind and report["inputs"][0]["project"] == "toylib"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_same_distribution_with_a_lower_bound_reports_nothing_but_its_extra(pinned_and_fixed, kind):
    source = read_source(pinned_and_fixed[">="][kind])
    report = lint([source])
    assert [f.where for f in report.findings] == ["extra 'pinned'"]


def test_the_toy_plugin_before_and_after_its_fix(capsys):
    before, after = (build_wheel(find_toy(key)) for key in ("toyhost-export==0.3a1", "toyhost-export==0.3a2"))
    assert main(["lint", str(before)]) == 1
    text = capsys.readouterr().out
    assert f"{before.as_posix()} (toyhost-export 0.3a1: 1 requirement)\n  PIN002 error   toyhost==1.0a27" in text
    assert text.endswith("Found 1 error and 0 warnings.\n")
    assert main(["lint", str(after)]) == 0
    assert capsys.readouterr().out == (f"{after.as_posix()} (toyhost-export 0.3a2: 1 requirement)\n"
                                       "  no pins, no caps\nAll clear: nothing is pinned or capped.\n")


def test_an_installed_distribution_is_read_in_its_own_interpreter(pinned_to_read, capsys):
    python = str(pinned_to_read.python)  # toyhost-export 0.3a1 and the toyhost it pins
    assert main(["lint", "--installed", "toyhost-export", "--python", python]) == 1
    assert capsys.readouterr().out.startswith(
        "installed toyhost-export (toyhost-export 0.3a1: 1 requirement)\n  PIN002 error   toyhost==1.0a27")
    assert main(["lint", "--installed", "toyhost-charts", "--python", python]) == 2
    assert capsys.readouterr().err == (
        "pinlab lint: error: --installed toyhost-charts: no distribution of that name is installed\n")


# -- the command: exit statuses and unusable input ----------------------------------------------------

def pinlab(*args, cwd):
    return run([sys.executable, "-m", "pinlab", *args], env=clean_env(), cwd=cwd, merge_output=False)


def test_with_no_argument_it_lints_the_current_folder(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost==1.0"])
    result = pinlab("lint", cwd=tmp_path)
    assert result.returncode == 1
    assert result.output.splitlines()[:2] == ["pyproject.toml (toylib 1.0: 1 requirement)",
                                              "  PIN001 error   toyhost==1.0  [dependencies]"]
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "toylib"\nversion = "1"\n')
    clean = pinlab("lint", cwd=tmp_path)
    assert (clean.returncode, clean.output) == (0, "pyproject.toml (toylib 1: 0 requirements)\n  no pins, no caps\n"
                                                   "All clear: nothing is pinned or capped.\n")


def bad_inputs(folder):
    (folder / "broken").mkdir()
    (folder / "broken" / "pyproject.toml").write_text('[project]\nname = "x"\nversion "1"\n')
    (folder / "invalid").mkdir()
    (folder / "invalid" / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["toyhost=>1.0"]\n')
    with zipfile.ZipFile(folder / "plain-1.0-py3-none-any.whl", "w") as archive:
        archive.writestr("plain/__init__.py", "")
    (folder / "text-1.0-py3-none-any.whl").write_text("not a zip")
    with zipfile.ZipFile(folder / "plain-1.0.zip", "w") as archive:
        archive.writestr("readme.txt", "")
    (folder / "cycle").mkdir()
    (folder / "cycle" / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n')


@pytest.mark.parametrize("argument, message", [
    ("missing/pyproject.toml", "missing/pyproject.toml: no such file"),
    ("missing", "missing: no such file"),
    ("broken", "broken/pyproject.toml: invalid TOML: Expected '=' after a key in a key/value pair (at line 3, column 9)"),
    ("invalid/pyproject.toml", "invalid/pyproject.toml: invalid requirement 'toyhost=>1.0' in [project] dependencies: "
                               "Expected semicolon (after name with no version specifier) or end"),
    ("plain-1.0-py3-none-any.whl", "plain-1.0-py3-none-any.whl: not a wheel (no .dist-info/METADATA inside)"),
    ("text-1.0-py3-none-any.whl", "text-1.0-py3-none-any.whl: not a wheel (not a zip archive)"),
    ("plain-1.0.zip", "plain-1.0.zip: not a wheel or an sdist (no PKG-INFO in its top folder)"),
    ("cycle", "cycle/pyproject.toml: [dependency-groups] a: Cyclic dependency group include while resolving a: "
              "a -> b, b -> a"),
])
def test_unusable_input_is_one_line_naming_it_and_exit_status_2(tmp_path, argument, message):
    bad_inputs(tmp_path)
    result = run([sys.executable, "-m", "pinlab", "lint", argument], env=clean_env(), cwd=tmp_path)
    assert (result.returncode, result.output) == (2, f"pinlab lint: error: {message}\n")


def test_one_unusable_input_among_good_ones_still_stops_with_2(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost>=1"])
    result = run([sys.executable, "-m", "pinlab", "lint", ".", "nosuch.whl"], env=clean_env(), cwd=tmp_path)
    assert (result.returncode, result.output) == (2, "pinlab lint: error: nosuch.whl: no such file\n")


def test_a_command_line_argparse_cannot_parse_is_one_line_too(tmp_path):
    result = run([sys.executable, "-m", "pinlab", "explain"], env=clean_env(), cwd=tmp_path)
    assert (result.returncode, result.output) == (
        2, "pinlab explain: error: one of the arguments --audit-json --advisories is required "
           "(see pinlab explain --help)\n")


def test_the_kit_practises_what_it_teaches():
    from pinlab.toys import examples_dir

    report = lint([read_source(examples_dir().parent / "pyproject.toml")])
    assert [(f.code, f.requirement, f.where) for f in report.findings] == []
