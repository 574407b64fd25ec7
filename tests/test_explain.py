import json
import os
import sys

import pytest
from helpers import build, write_project
from packaging.version import Version

from pinlab import AdvisoryService, LocalIndex, Sandbox, audit, toy_index
from pinlab.cli import main
from pinlab.environment import Environment, Installed
from pinlab.explain import Vulnerability, explain, fixed_versions, format_text
from pinlab.process import clean_env, run
from pinlab.toys import build_wheel, examples_dir, find_toys

ADVISORIES = examples_dir() / "advisories"
MARKERS = {"python_version": "3.11", "sys_platform": "linux"}
TOYSEC = Vulnerability("TOYSEC-2026-1", "toyhost", "1.0a27", ("1.0a28",), ("TOY-CVE-2026-0027",))


def explained(capsys, *args: str) -> tuple[int, dict]:
    status = main(["explain", "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)



def test_the_pinned_plugin_blocks_the_fix(pinned, capsys):
    status, data = explained(capsys, "--python", str(pinned.python), "--advisories", str(ADVISORIES))
    assert status == 1
    (verdict,) = data["vulnerable"]
    assert verdict == {
        "package": "toyhost", "version": "1.0a27", "advisories": ["TOYSEC-2026-1"], "aliases": ["TOY-CVE-2026-0027"],
        "fixed": ["1.0a28"], "verdict": "blocked",
        "blockers": [{"distribution": "toyhost-export 0.3a1", "requirement": "toyhost==1.0a27",
                      "path": ["toyhost-export 0.3a1"], "way_out": None}],
        "path": ["toyhost-export 0.3a1", "toyhost 1.0a27"],
        "each_advisory": [{"id": "TOYSEC-2026-1", "fixed": ["1.0a28"], "fixable": True}],
    }
    assert data["blocked"] == 1


def test_find_links_shows_the_way_out(pinned, toys_index, capsys):
    assert main(["explain", "--python", str(pinned.python), "--advisories", str(ADVISORIES),
                 "--find-links", str(toys_index.path)]) == 1
    assert capsys.readouterr().out == (
        "toyhost 1.0a27 is vulnerable: TOYSEC-2026-1 (alias TOY-CVE-2026-0027)\n"
        "  fixed in: 1.0a28\n"
        "  path: toyhost-export 0.3a1 (installed directly) -> toyhost 1.0a27\n"
        "  BLOCKED: 1.0a28 or 2.0 is excluded by\n"  # the folder has toyhost 2.0 too, which TOYSEC does not affect
        "    toyhost-export 0.3a1 requires toyhost==1.0a27\n"
        "      path: toyhost-export 0.3a1 (installed directly)\n"
        "      way out: upgrade to toyhost-export 0.3a2 (toyhost_export-0.3a2-py3-none-any.whl), "
        "which requires toyhost>=1.0a27 and so admits 1.0a28\n"
        "1 vulnerable package, 1 blocked.\n"
    )


def test_no_way_out_when_the_folder_has_no_newer_release_of_the_blocker(pinned, capsys):
    with toy_index("toyhost", "toyhost-export==0.3a1") as older:
        status, data = explained(capsys, "--python", str(pinned.python), "--advisories", str(ADVISORIES),
                                 "--find-links", str(older.path))
    assert status == 1 and data["vulnerable"][0]["blockers"][0]["way_out"] is None


def test_with_the_fixed_plugin_the_fix_is_upgradable_and_then_installed(toys_index, capsys):
    with Sandbox(toys_index) as sandbox:
        assert sandbox.pip("install toyhost-export==0.3a2 toyhost==1.0a27").ok
        status, data = explained(capsys, "--python", str(sandbox.python), "--advisories", str(ADVISORIES))
        assert status == 0
        assert [(v["verdict"], v["fixed"], v["blockers"]) for v in data["vulnerable"]] == [("upgradable", ["1.0a28"], [])]
        assert sandbox.pip("install toyhost>=1.0a28").ok
        assert main(["explain", "--python", str(sandbox.python), "--advisories", str(ADVISORIES)]) == 0
        assert capsys.readouterr().out == "No known vulnerability in the 3 installed distributions.\n"


@pytest.fixture
def app_index(tmp_path):
    """The toys, and an application that needs the pinned plugin and caps the host itself."""
    write_project(tmp_path / "toyapp", "toyapp", "1.0", ["toyhost-export==0.3a1", "toyhost<1.0a28"])
    with LocalIndex([build(tmp_path / "toyapp", tmp_path / "dist"), *map(build_wheel, find_toys())]) as index:
        yield index


def test_every_blocker_is_named_with_its_path_from_what_was_installed(app_index, capsys):
    with Sandbox(app_index) as sandbox:
        assert sandbox.pip("install toyapp").ok
        status, data = explained(capsys, "--python", str(sandbox.python), "--advisories", str(ADVISORIES),
                                 "--find-links", str(app_index.path))
    assert status == 1
    (verdict,) = data["vulnerable"]
    assert verdict["path"] == ["toyapp 1.0", "toyhost 1.0a27"]  # the shortest chain: the app requires it too
    assert [(b["distribution"], b["requirement"], b["path"], b["way_out"] and b["way_out"]["release"])
            for b in verdict["blockers"]] == [
        ("toyapp 1.0", "toyhost<1.0a28", ["toyapp 1.0"], None),
        ("toyhost-export 0.3a1", "toyhost==1.0a27", ["toyapp 1.0", "toyhost-export 0.3a1"], "toyhost-export 0.3a2"),
    ]


# -- pip-audit's report as input ------------------------------------------------------------------------

def test_a_real_pip_audit_report_gives_the_same_verdict_and_a_stale_one_is_noted(pinned, tmp_path, capsys):
    with AdvisoryService() as service:
        report = audit(pinned, service)
    assert [(p.name, p.version) for p in report.vulnerable] == [("toyhost", "1.0a27")]
    audit_json = tmp_path / "audit.json"
    audit_json.write_text(json.dumps(report.report), encoding="utf-8")

    status, data = explained(capsys, "--python", str(pinned.python), "--audit-json", str(audit_json))
    assert status == 1
    (verdict,) = data["vulnerable"]
    assert (verdict["advisories"], verdict["fixed"], verdict["blockers"][0]["requirement"]) == (
        ["TOYSEC-2026-1"], ["1.0a28"], "toyhost==1.0a27")

    # Forcing the fix in (chapter 2) leaves the report out of date: what it did not audit is not
    # checked, and that is not "all clear" (it was exit status 0).
    assert pinned.pip("install toyhost==1.0a28").ok
    status, data = explained(capsys, "--python", str(pinned.python), "--audit-json", str(audit_json))
    assert (status, data["vulnerable"], data["notes"], data["not_checked"]) == (1, [], [], [
        "toyhost 1.0a28: the report audited 1.0a27: run pip-audit again"])
    assert main(["explain", "--python", str(pinned.python), "--audit-json", str(audit_json)]) == 1
    assert capsys.readouterr().out == (
        "not checked: toyhost 1.0a28: the report audited 1.0a27: run pip-audit again\n"
        "No known vulnerability in what was checked, 1 not checked.\n")


# -- the verdict, on environments described directly ---------------------------------------------------

def environment(*dists: tuple[str, str, tuple[str, ...]]) -> Environment:
    return Environment.of(MARKERS, (Installed(name, version, requires) for name, version, requires in dists))


HOST = ("toyhost", "1.0a27", ())


def verdict_of(env: Environment, *vulnerabilities: Vulnerability):
    (verdict,) = explain(env, vulnerabilities or [TOYSEC]).verdicts
    return verdict


def test_a_pin_behind_a_marker_that_does_not_hold_here_blocks_nothing():
    env = environment(HOST, ("plugin", "1", ('toyhost==1.0a27; python_version < "3"',)))
    assert verdict_of(env).verdict == "upgradable"
    env = environment(HOST, ("plugin", "1", ('toyhost==1.0a27; python_version >= "3"',)))
    assert [str(b) for b in verdict_of(env).blockers] == ['plugin 1 requires toyhost==1.0a27; python_version >= "3"']


def test_a_pin_in_an_extra_blocks_only_when_something_installed_asks_for_that_extra():
    plugin = ("plugin", "1", ('toyhost==1.0a27; extra == "pin"', "toyhost>=1.0a27"))
    assert verdict_of(environment(HOST, plugin)).verdict == "upgradable"
    verdict = verdict_of(environment(HOST, plugin, ("app", "2", ("plugin[pin]>=1",))))
    assert [(str(b), b.path) for b in verdict.blockers] == [
        ('plugin 1 requires toyhost==1.0a27; extra == "pin"', ("app 2", "plugin 1"))]


def test_without_a_fixed_version_the_verdict_is_no_fix_and_not_blocked():
    env = environment(HOST, ("plugin", "1", ("toyhost==1.0a27",)))
    explanation = explain(env, [Vulnerability("TOYSEC-2", "toyhost", "1.0a27", ())])
    assert [v.verdict for v in explanation.verdicts] == ["no fix"] and explanation.exit_status == 0
    assert "  no fix: no release fixes it yet\n" in format_text(explanation)


def test_a_cap_that_excludes_the_fix_blocks_and_one_that_admits_it_does_not():
    assert verdict_of(environment(HOST, ("plugin", "1", ("toyhost<1.0a28",)))).verdict == "blocked"
    assert verdict_of(environment(HOST, ("plugin", "1", ("toyhost<2,!=1.0a26",)))).verdict == "upgradable"


@pytest.mark.parametrize("installed, fixes, expected", [
    ("1.0a27", [["1.0a28"]], ["1.0a28"]),
    ("1.0a27", [["0.9.5", "1.0a28"]], ["1.0a28"]),           # an older branch's fix does not help
    ("1.0a27", [["1.0a28", "1.0"], ["1.0"]], ["1.0"]),      # the fix must fix both advisories
    ("1.0a27", [["1.0a28"], []], ["1.0a28"]),                # one has no fix: it hides nothing (it was [])
    ("1.0a27", [["1.0a28"], ["0.9.5"]], ["1.0a28"]),         # nor one fixed only on an older branch
    ("1.0a27", [["1.0a26"]], []),
])
def test_fixed_versions_are_the_newer_ones_that_fix_every_advisory(installed, fixes, expected):
    assert fixed_versions(Version(installed), fixes) == tuple(map(Version, expected))


# -- unusable input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--audit-json", "nosuch.json"], "--audit-json nosuch.json: no such file"),
    (["--audit-json", "broken.json"], "--audit-json broken.json: invalid JSON: Expecting value: line 1 column 1 (char 0)"),
    (["--audit-json", "list.json"], '--audit-json list.json: neither a pip-audit JSON report (no "dependencies" list) '
                                    'nor a uv audit one (no "vulnerabilities" list and "summary")'),
    (["--audit-json", "partial.json"], "--audit-json partial.json: dependencies[0].version is missing "
                                       "(it must be a non-empty string)"),
    (["--advisories", "nosuch"], "--advisories nosuch: not a folder"),
    (["--advisories", "empty"], "--advisories empty: no OSV records (*.json) in this folder"),
    (["--advisories", "bad"], "--advisories bad: no record could be loaded "
                              "(a.json: invalid JSON: Expecting value: line 1 column 1 (char 0))"),
    (["--advisories", str(ADVISORIES), "--find-links", "nosuch"], "--find-links nosuch: not a folder"),
    (["--python", "nosuch/python", "--advisories", str(ADVISORIES)], "--python nosuch/python: no such file"),
    pytest.param(["--python", "list.json", "--advisories", str(ADVISORIES)],
                 "--python list.json: cannot be run: Permission denied",
                 marks=pytest.mark.skipif(os.name == "nt", reason="Windows words this error differently")),
])
def test_unusable_input_is_one_line_naming_it_and_exit_status_2(tmp_path, args, message):
    (tmp_path / "broken.json").write_text("not json")
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "partial.json").write_text('{"dependencies": [{"name": "toyhost"}]}')
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.json").write_text("")
    result = run([sys.executable, "-m", "pinlab", "explain", *args], env=clean_env(), cwd=tmp_path)
    assert (result.returncode, result.output) == (2, f"pinlab explain: error: {message}\n")


def test_without_python_it_explains_the_interpreter_running_it(capsys):
    from pinlab.environment import read_environment

    count = len(read_environment().distributions)
    assert main(["explain", "--advisories", str(ADVISORIES)]) == 0
    assert capsys.readouterr().out == f"No known vulnerability in the {count} installed distributions.\n"
