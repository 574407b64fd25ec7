"""``pinlab lint`` on what repositories and indexes actually hold (issue 11, items 6 and 7).

Each test writes the file a real project has (a ruff-only pyproject.toml, a Poetry project, an
sdist shaped like requests 2.25.1's) or builds a real wheel with ``build`` + hatchling, and checks
what a user sees: the whole text, the exit status. The old wrong answers are asserted gone.
"""

import io
import json
import tarfile

import pytest

from helpers import build, pinlab_here, write_project
from pinlab.lint import lint
from pinlab.poetry import UntranslatableConstraint, to_specifier
from pinlab.requirements import read_source


def pinlab(*args, cwd):
    return pinlab_here(*args, cwd=cwd, merge_output=False)


def findings_of(folder, *paths):
    report = lint([read_source(folder / path) for path in paths or ["pyproject.toml"]])
    return [(f.code, f.severity, f.requirement, f.where) for f in report.findings], report


# -- item 6: what a repository holds ------------------------------------------------------------------

RUFF_ONLY = '[tool.ruff]\nline-length = 100\n\n[tool.black]\nline-length = 100\n'


def test_a_pyproject_of_tool_settings_is_skipped_and_the_other_files_still_checked(tmp_path):
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "pyproject.toml").write_text(RUFF_ONLY)
    (tmp_path / "lib").mkdir()
    write_project(tmp_path / "lib", "toylib", "1.0", ["toyhost==1.0a27"])
    # As the pre-commit hook runs it: every changed pyproject.toml, in one command.
    result = pinlab("lint", "tools/pyproject.toml", "lib/pyproject.toml", cwd=tmp_path)
    # Before: exit 2, "tools/pyproject.toml: no [project] table ...", and lib's pin was never shown.
    assert result.returncode == 1
    assert result.output.splitlines()[:3] == [
        "tools/pyproject.toml: skipped, it holds only tool settings ([tool.ruff], [tool.black]), no package metadata",
        "lib/pyproject.toml (toylib 1.0: 1 requirement)",
        "  PIN002 error   toyhost==1.0a27  [dependencies]",
    ]
    assert result.output.endswith("Found 1 error and 0 warnings (1 skipped).\n")
    # Alone, nothing was checked at all: never "All clear", never 0 (before: "All clear ... (1 skipped)", 0).
    alone = pinlab("lint", "tools", cwd=tmp_path)
    assert (alone.returncode, alone.output) == (1, (
        "tools/pyproject.toml: skipped, it holds only tool settings ([tool.ruff], [tool.black]), no package metadata\n"
        "Nothing checked: every input was skipped, so this is not all clear.\n"))


def test_a_setuptools_project_without_project_table_is_not_checked_not_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[build-system]\nrequires = ["setuptools"]\n\n' + RUFF_ONLY)
    (tmp_path / "setup.py").write_text('from setuptools import setup\nsetup(install_requires=["toyhost<2"])\n')
    result = pinlab("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (1, (
        "pyproject.toml (0 requirements)\n"
        "  not checked: no [project] table: the requirements are computed by setup.py when the package is "
        "built; lint the built wheel to check them\n"
        "No pins or caps in what could be read.\n"
        "Not checked: pyproject.toml (see 'not checked' above), so this is not all clear.\n"))


def old_sdist(folder, metadata_version="2.1", dynamic=False):
    """An sdist shaped like requests 2.25.1's: PKG-INFO (metadata 2.1) lists no Requires-Dist,
    and the caps are in setup.py."""
    pkg_info = (f"Metadata-Version: {metadata_version}\nName: requests\nVersion: 2.25.1\n"
                "Summary: Python HTTP for Humans.\nRequires-Python: >=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*\n"
                + ("Dynamic: Requires-Dist\n" if dynamic else ""))
    setup_py = ("from setuptools import setup\nrequires = ['chardet>=3.0.2,<5', 'idna>=2.5,<3', "
                "'urllib3>=1.21.1,<1.27', 'certifi>=2017.4.17']\nsetup(install_requires=requires)\n")
    path = folder / "requests-2.25.1.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in (("PKG-INFO", pkg_info), ("setup.py", setup_py)):
            data = text.encode()
            member = tarfile.TarInfo(f"requests-2.25.1/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


def test_an_sdist_older_than_metadata_2_2_is_not_checked_never_all_clear(tmp_path):
    old_sdist(tmp_path)
    result = pinlab("lint", "requests-2.25.1.tar.gz", cwd=tmp_path)
    # Before: "no pins, no caps" and "All clear: nothing is pinned or capped.", exit status 0.
    assert (result.returncode, result.output) == (1, (
        "requests-2.25.1.tar.gz (requests 2.25.1: 0 requirements)\n"
        "  not checked: its PKG-INFO is metadata 2.1, older than 2.2, so its requirements are computed by "
        "setup.py when it is built (it lists none); lint the built wheel\n"
        "No pins or caps in what could be read.\n"
        "Not checked: requests-2.25.1.tar.gz (see 'not checked' above), so this is not all clear.\n"))
    assert "All clear" not in result.output


def test_an_sdist_whose_requires_dist_is_dynamic_is_not_checked(tmp_path):
    old_sdist(tmp_path, metadata_version="2.2", dynamic=True)
    (source,) = lint([read_source(tmp_path / "requests-2.25.1.tar.gz")]).unchecked
    assert source.unchecked == ("Requires-Dist is dynamic (computed when the project is built): lint the built wheel",)


def test_a_modern_sdist_built_by_hatchling_is_checked(tmp_path):
    (tmp_path / "src").mkdir()
    write_project(tmp_path / "src", "toylib", "1.0", ["toyhost<2"])
    sdist = build(tmp_path / "src", tmp_path / "dist", "sdist")
    report = lint([read_source(sdist)])
    assert report.unchecked == () and [f.code for f in report.findings] == ["PIN003"]


@pytest.mark.parametrize("requires_python, expected", [
    (">=3.8,<4", [("PIN004", "<4")]),
    ("~=3.9", [("PIN004", "~=3.9 (caps at <4)")]),
    ("==3.11.*", [("PIN004", "==3.11.* (caps at <3.12)")]),
    (">=3.10,!=3.15", []),  # apache-airflow 3.3.2: excludes one release, caps nothing
    (">=3.10", []),
])
def test_a_capped_requires_python_is_flagged_in_pyproject_and_in_the_built_wheel(tmp_path, requires_python,
                                                                                  expected):
    write_project(tmp_path, "toylib", "1.0", [], extra_toml="")
    text = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(text.replace('version = "1.0"\n',
                                                          f'version = "1.0"\nrequires-python = "{requires_python}"\n'))
    wheel = build(tmp_path, tmp_path / "dist")
    for path in (tmp_path / "pyproject.toml", wheel):
        report = lint([read_source(path)])
        assert [(f.code, f.specifier) for f in report.findings] == expected
    if expected:
        (finding,) = report.findings
        assert (finding.severity, finding.where) == ("warning", "requires-python")
        bound = "<3.12" if "3.11" in requires_python else "<4"
        assert finding.message == (
            f"capped requires-python: only Python{bound} is admitted: on a newer Python, installers fall back to "
            "an older release of this library, and every project that depends on it must copy the cap")


def test_a_direct_url_requirement_is_an_error(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost @ https://example.invalid/toyhost-1.0a27.tar.gz"])
    found, report = findings_of(tmp_path)
    assert found == [("PIN005", "error", "toyhost @ https://example.invalid/toyhost-1.0a27.tar.gz", "dependencies")]
    assert report.findings[0].message == (
        "direct URL reference: toyhost is fetched from one URL, never from an index: no installer can pick a "
        "fixed release for it, and PyPI refuses uploads that declare one")


# -- Poetry ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("constraint, specifier", [
    # python-poetry.org/docs/dependency-specification/, each example of its tables.
    ("^1.2.3", ">=1.2.3,<2"), ("^1.2", ">=1.2,<2"), ("^1", ">=1,<2"), ("^0.2.3", ">=0.2.3,<0.3"),
    ("^0.0.3", ">=0.0.3,<0.0.4"), ("^0.0", ">=0.0,<0.1"), ("^0", ">=0,<1"),
    ("~1.2.3", ">=1.2.3,<1.3"), ("~1.2", ">=1.2,<1.3"), ("~1", ">=1,<2"),
    ("*", ""), ("1.*", "==1.*"), ("1.2.*", "==1.2.*"),
    (">= 1.2.0", ">=1.2.0"), ("> 1", ">1"), ("< 2", "<2"), ("!= 1.2.3", "!=1.2.3"), (">= 1.2, < 1.5", ">=1.2,<1.5"),
    ("1.2.3", "==1.2.3"), ("==1.2.3", "==1.2.3"), ("~=1.4", "~=1.4"),
])
def test_poetry_constraints_mean_what_poetry_documents(constraint, specifier):
    assert to_specifier(constraint) == specifier


def test_an_or_constraint_is_named_as_untranslatable():
    with pytest.raises(UntranslatableConstraint, match=r"'\^1.2 \|\| \^2.0' joins alternatives with '\|\|'"):
        to_specifier("^1.2 || ^2.0")


POETRY_PROJECT = '''\
[tool.poetry]
name = "toyhost-gallery"
version = "0.1.0"
description = "a Poetry plugin for toyhost"

[tool.poetry.dependencies]
python = "^3.8"
toyhost = "1.0a27"
toyhost-export = "^0.3a2"
toyhost-charts = {version = ">=0.1", optional = true}
toyhost-badges = [
    {version = "~0.2", markers = "sys_platform == 'win32'"},
    {version = ">=0.2", markers = "sys_platform != 'win32'"},
]
toyhost-share = "^0.1 || ^1.0"

[tool.poetry.extras]
charts = ["toyhost-charts"]

[tool.poetry.group.test.dependencies]
pytest = "8.0.0"

[build-system]
requires = ["poetry-core>=1.0"]
build-backend = "poetry.core.masonry.api"
'''


def test_a_poetry_project_is_read_with_its_carets_and_tildes_as_caps(tmp_path):
    (tmp_path / "pyproject.toml").write_text(POETRY_PROJECT)
    found, report = findings_of(tmp_path)
    # Before: exit 2, "pyproject.toml: no [project] table, so nothing here is published metadata".
    assert found == [
        ("PIN002", "error", "toyhost==1.0a27", "dependencies"),
        ("PIN003", "warning", "toyhost-export>=0.3a2,<0.4", "dependencies"),
        # One of a list of constraints, each shown on its own.
        ("PIN003", "warning", 'toyhost-badges>=0.2,<0.3 ; sys_platform == "win32"', "dependencies"),
        ("PIN004", "warning", "requires-python >=3.8,<4", "requires-python"),
        ("PIN001", "info", "pytest==8.0.0", "dependency group 'test' (poetry)"),
    ]
    assert [(f.specifier, f.line) for f in report.findings] == [
        ("==1.0a27", 8), ("<0.4", 9), ("<0.3", 12), ("<4", 7), ("==8.0.0", 21)]
    (source,) = report.sources
    assert (source.project, source.version) == ("toyhost-gallery", "0.1.0")
    assert [(d.requirement.name, d.where) for d in source.declared if d.requirement.name == "toyhost-charts"] == [
        ("toyhost-charts", "extra 'charts'")]
    assert source.unchecked == ("[tool.poetry.dependencies] toyhost-share: '^0.1 || ^1.0' joins alternatives with "
                                "'||', which PEP 440 cannot say: lint the built wheel to check it",)
    assert report.exit_status == 1


def test_a_poetry_constraint_that_is_no_constraint_is_one_line_and_exit_status_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\ntoyhost = "^x.y"\n')
    result = pinlab_here("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (
        2, "pinlab lint: error: pyproject.toml: [tool.poetry.dependencies] toyhost: invalid version constraint "
           "'^x.y'\n")



POETRY_FORMS = """\
[tool.poetry]
name = "fastlib"
version = "1.0.0"

[tool.poetry.dependencies]
python = ">=3.9"
orjson = {version = "3.10.12", optional = true}
tomli = {version = "2.0.1", python = "<3.11"}
colorama = {version = "0.4.6", markers = "sys_platform == 'win32'"}
numpy = [
    {version = "1.26.4", python = "<3.12"},
    {version = "2.1.3", python = ">=3.12"},
]
simplejson.version = "3.19.3"
simplejson.python = "<3.12"

[tool.poetry.dependencies.ujson]
version = "5.10.0"
optional = true

[tool.poetry.extras]
fast = ["orjson", "ujson"]
"""

PIN001 = ("exact pin: users can install no other release of {} beside this library, not even one that fixes a bug",
          "https://pinlab.readthedocs.io/en/latest/05-detect-it.html#pin001")


def test_every_form_of_a_poetry_dependency_reads_as_the_requirement_poetry_means(tmp_path):
    (tmp_path / "pyproject.toml").write_text(POETRY_FORMS, encoding="utf-8")
    # (requirement, where, its line): an inline table, its python and markers keys, a list of
    # constraints (each table on its line), dotted keys, a [tool.poetry.dependencies.NAME] table.
    expected = [
        ("orjson", "orjson==3.10.12", "extra 'fast'", 7),
        ("tomli", 'tomli==2.0.1 ; python_version < "3.11"', "dependencies", 8),
        ("colorama", 'colorama==0.4.6 ; sys_platform == "win32"', "dependencies", 9),
        ("numpy", 'numpy==1.26.4 ; python_version < "3.12"', "dependencies", 11),
        ("numpy", 'numpy==2.1.3 ; python_version >= "3.12"', "dependencies", 12),
        ("simplejson", 'simplejson==3.19.3 ; python_version < "3.12"', "dependencies", 14),
        # Before: "" (and "  PIN001 error     [extra 'fast']", ":: [extra 'fast']: ..."), a table has no one line.
        ("ujson", "ujson==5.10.0", "extra 'fast'", 17),
    ]
    message, url = PIN001
    result = pinlab("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (1, "pyproject.toml (fastlib 1.0.0: 7 requirements)\n" + "".join(
        f"  PIN001 error   {requirement}  [{where}]\n    {message.format(name)}\n    see {url}\n"
        for name, requirement, where, _ in expected) + "Found 7 errors and 0 warnings.\n")
    result = pinlab("lint", "--format", "github", cwd=tmp_path)
    assert (result.returncode, result.output) == (1, "".join(
        f"::error file=pyproject.toml,line={line},title=PIN001 exact pin::{requirement} [{where}]: "
        f"{message.format(name)} (see {url})\n" for name, requirement, where, line in expected)
        + "Found 7 errors and 0 warnings.\n")
    result = pinlab("lint", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert [(f["project"], f["requirement"], f["where"], f["line"]) for f in json.loads(result.output)["findings"]] \
        == expected


# -- item 7: findings weighed as a maintainer would ---------------------------------------------------

def test_pins_in_contributors_extras_are_one_step_lower_and_users_extras_are_not(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost>=1.0a28"], extras={
        "test": ["pytest==8.0.0"], "docs-screenshots": ["sphinx==7.0.0", "toyhost-charts<1"],
        "export": ["toyhost-export==0.3a1"],
    })
    wheel = build(tmp_path, tmp_path / "dist")
    for path in (tmp_path / "pyproject.toml", wheel):
        report = lint([read_source(path)])
        assert sorted((f.code, f.severity, f.project, f.where) for f in report.findings) == [
            ("PIN001", "warning", "pytest", "extra 'test'"),
            ("PIN001", "warning", "sphinx", "extra 'docs-screenshots'"),
            ("PIN002", "error", "toyhost-export", "extra 'export'"),
            ("PIN003", "info", "toyhost-charts", "extra 'docs-screenshots'"),
        ]
    (pytest_pin,) = (f for f in report.findings if f.project == "pytest")
    assert pytest_pin.message == (
        "exact pin: users can install no other release of pytest beside this library, not even one that fixes a bug "
        "(lower severity: extra 'test' is for the project's contributors, not its users)")


def test_a_lockstep_pin_is_informational_and_the_articles_pin_stays_an_error(tmp_path):
    # Like mlflow 3.18.0 requiring mlflow-skinny==3.18.0: one project, released together.
    write_project(tmp_path, "toyhost", "2.0", ["toyhost-core==2.0", "toyhost-web==2.0.0", "otherhost==2.0",
                                               "toyhost-sdk==1.3.2"])
    report = lint([read_source(build(tmp_path, tmp_path / "dist"))])
    assert [(f.code, f.severity, f.project) for f in report.findings] == [
        ("PIN001", "error", "otherhost"),  # another family: a pin on a stranger's release
        ("PIN001", "error", "toyhost-sdk"),  # a sibling, but not at toyhost's own version
        ("PIN001", "info", "toyhost-core"),
        ("PIN001", "info", "toyhost-web"),
    ]
    assert report.findings[2].message.endswith(
        "(informational: a lockstep pin, toyhost-core is released with toyhost at the same version)")
    # The article's case: toyhost-export 0.3a1 pins toyhost==1.0a27, another project's release.
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    write_project(plugin, "toyhost-export", "0.3a1", ["toyhost==1.0a27"])
    (pin,) = lint([read_source(plugin)]).findings
    assert (pin.code, pin.severity) == ("PIN002", "error")
    # Even when the plugin's version happens to equal its host's: a host is not a part of its plugin.
    write_project(plugin, "toyhost-export", "1.0a27", ["toyhost==1.0a27"])
    (pin,) = lint([read_source(plugin)]).findings
    assert (pin.code, pin.severity) == ("PIN002", "error")


ALLOW = '''
[tool.pinlab]
allow = [
  {code = "PIN001", requirement = "Toyhost_Core", reason = "toyhost-core is released with toyhost, always"},
  {code = "PIN003", requirement = "toyhost-charts", reason = "0.2 removed the API we use (issue 12)"},
]
'''


def test_an_allowed_finding_is_shown_with_its_reason_counted_and_left_out_of_the_verdict(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost-core==2.0", "toyhost-charts<0.2"], extra_toml=ALLOW)
    result = pinlab("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (0, (
        "pyproject.toml (toylib 1.0: 2 requirements)\n"
        "  PIN001 allowed toyhost-core==2.0  [dependencies]\n"
        "    reason: toyhost-core is released with toyhost, always\n"
        "  PIN003 allowed toyhost-charts<0.2  [dependencies]\n"
        "    reason: 0.2 removed the API we use (issue 12)\n"
        "All clear: nothing is pinned or capped but what is allowed (2 allowed).\n"))


def test_the_allow_entries_of_a_project_cover_its_built_wheel_in_the_same_run(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost-core==2.0", "toyhost-charts<0.2"], extra_toml=ALLOW)
    wheel = build(tmp_path, tmp_path / "dist")
    report = lint([read_source(tmp_path / "pyproject.toml"), read_source(wheel)])
    assert (report.findings, len(report.allowed), report.exit_status) == ((), 4, 0)
    alone = lint([read_source(wheel)])  # a wheel carries no [tool.pinlab]: its findings stand
    assert [f.code for f in alone.findings] == ["PIN001", "PIN003"]


def test_an_allow_entry_that_matches_nothing_is_noted(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost-core>=2.0", "toyhost-charts<0.2"], extra_toml=ALLOW)
    result = pinlab("lint", cwd=tmp_path)
    assert "  note: [tool.pinlab] allows PIN001 on toyhost-core, which has no such finding: remove the entry\n" \
        in result.output
    assert result.output.endswith("All clear: nothing is pinned or capped but what is allowed (1 allowed).\n")


@pytest.mark.parametrize("entry, message", [
    ('{code = "PIN001", requirement = "toyhost"}',
     "pyproject.toml: [tool.pinlab] allow[0] has no reason: say why this finding is acceptable"),
    ('{code = "PIN001", requirement = "toyhost", reason = "  "}',
     "pyproject.toml: [tool.pinlab] allow[0] has no reason: say why this finding is acceptable"),
    ('{code = "PIN009", requirement = "toyhost", reason = "r"}',
     "pyproject.toml: [tool.pinlab] allow (line 15): no such code 'PIN009' (known: PIN001, PIN002, PIN003, PIN004, "
     "PIN005)"),
    ('{code = "PIN001", project = "toyhost", reason = "r"}',
     "pyproject.toml: [tool.pinlab] allow[0] has an unknown key 'project' (known: code, requirement, reason)"),
])
def test_a_suppression_without_a_reason_or_with_a_wrong_code_is_unusable_input(tmp_path, entry, message):
    write_project(tmp_path, "toylib", "1.0", ["toyhost==1.0"], extra_toml=f"[tool.pinlab]\nallow = [\n  {entry},\n]\n")
    result = pinlab_here("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (2, f"pinlab lint: error: {message}\n")


def test_an_unknown_code_in_ignore_is_a_usage_error(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost<2"])
    result = pinlab_here("lint", "--ignore", "PIN003", "--ignore", "PIN03", cwd=tmp_path)
    # Before: ignored silently, so a typo hid nothing and reported everything, exit 1.
    assert (result.returncode, result.output) == (
        2, "pinlab lint: error: --ignore PIN03: no such code (known: PIN001, PIN002, PIN003, PIN004, PIN005)\n")


def test_poetry_2_reads_project_and_its_own_groups_not_the_enriching_table(tmp_path):
    # Poetry 2 (poetry's own pyproject.toml): [project] holds the dependencies; the
    # [tool.poetry.dependencies] entries only add a source, and are not a second declaration.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "toylib"\nversion = "1.0"\nrequires-python = ">=3.10"\ndependencies = ["toyhost>=1.0a28"]\n'
        '[tool.poetry.dependencies]\ntoyhost = {version = "1.0a27", source = "mirror"}\n'
        '[tool.poetry.group.test.dependencies]\npytest = "8.0.0"\n')
    found, report = findings_of(tmp_path)
    assert found == [("PIN001", "info", "pytest==8.0.0", "dependency group 'test' (poetry)")]
    assert report.findings[0].line == 9


def test_allow_as_an_array_of_tables_points_at_each_header(tmp_path):
    write_project(tmp_path, "toylib", "1.0", ["toyhost==1.0"], extra_toml=(
        '[[tool.pinlab.allow]]\ncode = "PIN001"\nrequirement = "toyhost"\nreason = "we ship together"\n\n'
        '[[tool.pinlab.allow]]\ncode = "PIN009"\nrequirement = "toyhost"\nreason = "r"\n'))
    result = pinlab_here("lint", cwd=tmp_path)
    assert (result.returncode, result.output) == (
        2, "pinlab lint: error: pyproject.toml: [tool.pinlab] allow (line 18): no such code 'PIN009' "
           "(known: PIN001, PIN002, PIN003, PIN004, PIN005)\n")
