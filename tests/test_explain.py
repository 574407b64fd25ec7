import json
import os
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from helpers import build, write_project
from pinlab import AdvisoryService, LocalIndex, Sandbox, audit, toy_index
from pinlab.advisories import parse_advisory
from pinlab.cli import main
from pinlab.environment import Environment, Installed
from pinlab.explain import Vulnerability, as_json, explain, fixed_versions, format_text
from pinlab.process import clean_env, run
from pinlab.toys import build_wheel, examples_dir, find_toy, find_toys

ADVISORIES = examples_dir() / "advisories"
MARKERS = {"python_version": "3.11", "sys_platform": "linux"}
# The tests' own installs run with uv (0.1 s each, pip 1 s): explain reads the environment they
# leave, whichever installer made it; what pip itself does is asserted in test_sandbox.py.
TOYSEC = Vulnerability("TOYSEC-2026-1", "toyhost", "1.0a27", ("1.0a28",), ("TOY-CVE-2026-0027",))


def explained(capsys, *args: str) -> tuple[int, dict]:
    status = main(["explain", "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)



def test_the_pinned_plugin_blocks_the_fix(pinned_to_read, capsys):
    status, data = explained(capsys, "--python", str(pinned_to_read.python), "--advisories", str(ADVISORIES))
    assert status == 1
    (verdict,) = data["vulnerable"]
    assert verdict == {
        "package": "toyhost", "version": "1.0a27", "advisories": ["TOYSEC-2026-1"], "aliases": ["TOY-CVE-2026-0027"],
        "fixed": ["1.0a28"], "verdict": "blocked",
        "blockers": [{"distribution": "toyhost-export 0.3a1", "requirement": "toyhost==1.0a27",
                      "path": ["toyhost-export 0.3a1"], "way_out": None}],
        "path": ["toyhost-export 0.3a1", "toyhost 1.0a27"],
        "each_advisory": [{"id": "TOYSEC-2026-1", "fixed": ["1.0a28"], "fixable": False, "fixed_after": [],
                           "verdict": "blocked", "blocked_by": ["toyhost-export 0.3a1 requires toyhost==1.0a27"]}],
        "fixed_from": ">=1.0a28", "narrowed_by": [], "install": "", "requires_python": "", "python": "",
    }
    assert data["blocked"] == 1


def test_find_links_shows_the_way_out(pinned_to_read, toys_index, capsys):
    assert main(["explain", "--python", str(pinned_to_read.python), "--advisories", str(ADVISORIES),
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


def test_no_way_out_when_the_folder_has_no_newer_release_of_the_blocker(pinned_to_read, capsys):
    with toy_index("toyhost", "toyhost-export==0.3a1") as older:
        status, data = explained(capsys, "--python", str(pinned_to_read.python), "--advisories", str(ADVISORIES),
                                 "--find-links", str(older.path))
    assert status == 1 and data["vulnerable"][0]["blockers"][0]["way_out"] is None


def test_with_the_fixed_plugin_the_fix_is_upgradable_and_then_installed(toys_index, capsys):
    with Sandbox(toys_index) as sandbox:
        assert sandbox.uv("pip install toyhost-export==0.3a2 toyhost==1.0a27").ok
        status, data = explained(capsys, "--python", str(sandbox.python), "--advisories", str(ADVISORIES))
        assert status == 0
        assert [(v["verdict"], v["fixed"], v["blockers"]) for v in data["vulnerable"]] == [("upgradable", ["1.0a28"], [])]
        assert sandbox.uv("pip install toyhost>=1.0a28").ok
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
        assert sandbox.uv("pip install toyapp").ok
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

def test_a_real_pip_audit_report_gives_the_same_verdict_and_a_stale_one_is_noted(pip_audit_of_pinned, pinned, tmp_path,
                                                                                 capsys):
    # The report is pip-audit's on the shared blocked sandbox; *pinned* is made the same way, and
    # is this test's own, since it forces the fix in below.
    report = pip_audit_of_pinned
    assert [(p.name, p.version) for p in report.vulnerable] == [("toyhost", "1.0a27")]
    audit_json = tmp_path / "audit.json"
    audit_json.write_text(json.dumps(report.report), encoding="utf-8")

    status, data = explained(capsys, "--python", str(pinned.python), "--audit-json", str(audit_json))
    assert status == 1
    (verdict,) = data["vulnerable"]
    assert (verdict["advisories"], verdict["fixed"], verdict["blockers"][0]["requirement"]) == (
        ["TOYSEC-2026-1"], ["1.0a28"], "toyhost==1.0a27")

    # Forcing the fix in (chapter 3) leaves the report out of date: what it did not audit is not
    # checked, and that is not "all clear" (it was exit status 0).
    assert pinned.uv("pip install toyhost==1.0a28").ok
    status, data = explained(capsys, "--python", str(pinned.python), "--audit-json", str(audit_json))
    assert (status, data["vulnerable"], data["notes"], data["not_checked"]) == (1, [], [], [
        "toyhost 1.0a28: the report audited 1.0a27: run pip-audit again"])
    assert main(["explain", "--python", str(pinned.python), "--audit-json", str(audit_json)]) == 1
    assert capsys.readouterr().out == (
        "not checked: toyhost 1.0a28: the report audited 1.0a27: run pip-audit again\n"
        "No known vulnerability in what was checked; not everything could be checked (see 'not checked' above).\n")


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
def test_unusable_input_is_one_line_naming_it_and_exit_status_2(tmp_path, capsys, monkeypatch, args, message):
    (tmp_path / "broken.json").write_text("not json")
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "partial.json").write_text('{"dependencies": [{"name": "toyhost"}]}')
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.json").write_text("")
    monkeypatch.chdir(tmp_path)  # the paths are as a user in that folder types them
    status = main(["explain", *args])  # in this process (0.25 s less): a traceback would fail the test as well
    assert (status, *capsys.readouterr()) == (2, "", f"pinlab explain: error: {message}\n")


def test_without_python_it_explains_the_interpreter_running_it(capsys):
    from pinlab.environment import read_environment

    count = len(read_environment().distributions)
    assert main(["explain", "--advisories", str(ADVISORIES)]) == 0
    assert capsys.readouterr().out == f"No known vulnerability in the {count} installed distributions.\n"


# -- per advisory: each keeps its own fixes ---------------------------------------------------------------

NO_FIX_RECORD = {  # a real-shaped record with no fix yet: introduced, and nothing after it
    "id": "TOYSEC-2026-2", "modified": "2026-06-21T09:00:00Z", "published": "2026-06-21T09:00:00Z",
    "summary": "toyhost leaks the session cookie in error pages", "aliases": [],
    "affected": [{"package": {"ecosystem": "PyPI", "name": "toyhost"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}],
}


@pytest.fixture
def two_advisories(tmp_path):
    """The kit's TOYSEC-2026-1 (fixed in 1.0a28) beside a record no release fixes yet."""
    folder = tmp_path / "advisories"
    folder.mkdir()
    (folder / "TOYSEC-2026-1.json").write_bytes((ADVISORIES / "TOYSEC-2026-1.json").read_bytes())
    (folder / "TOYSEC-2026-2.json").write_text(json.dumps(NO_FIX_RECORD), encoding="utf-8")
    return folder


def test_an_advisory_with_no_fix_does_not_hide_the_blocked_fix_of_another(pinned_to_read, two_advisories, tmp_path, capsys):
    # Before: the whole package became "no fix", the blocker disappeared, exit status 0.
    assert main(["explain", "--python", str(pinned_to_read.python), "--advisories", str(two_advisories)]) == 1
    assert capsys.readouterr().out == (
        "toyhost 1.0a27 is vulnerable: TOYSEC-2026-1, TOYSEC-2026-2 (alias TOY-CVE-2026-0027)\n"
        "  TOYSEC-2026-1 fixed in: 1.0a28\n"
        "  TOYSEC-2026-2 fixed in: no release newer than 1.0a27 is known\n"
        "  path: toyhost-export 0.3a1 (installed directly) -> toyhost 1.0a27\n"
        "  BLOCKED: 1.0a28 is excluded by\n"
        "    toyhost-export 0.3a1 requires toyhost==1.0a27\n"
        "      path: toyhost-export 0.3a1 (installed directly)\n"
        "  (no newer release is known to fix TOYSEC-2026-2: the verdict is for the others)\n"
        "1 vulnerable package, 1 blocked.\n"
    )
    # The real pip-audit, asked about the same two records, gives the same verdict through its report.
    with AdvisoryService(two_advisories) as service:
        report = audit(pinned_to_read, service)
    audit_json = tmp_path / "audit.json"
    audit_json.write_text(json.dumps(report.report), encoding="utf-8")
    status, data = explained(capsys, "--python", str(pinned_to_read.python), "--audit-json", str(audit_json))
    (verdict,) = data["vulnerable"]
    assert (status, verdict["verdict"], verdict["each_advisory"]) == (1, "blocked", [
        {"id": "TOYSEC-2026-1", "fixed": ["1.0a28"], "fixable": False, "fixed_after": [], "verdict": "blocked",
         "blocked_by": ["toyhost-export 0.3a1 requires toyhost==1.0a27"]},
        {"id": "TOYSEC-2026-2", "fixed": [], "fixable": False, "fixed_after": [], "verdict": "no fix",
         "blocked_by": []}])


def test_a_fix_named_only_for_an_older_branch_does_not_hide_the_blocker():
    # A report can name an advisory on 1.0a27 whose only fix is 0.9.5 (an old branch's): it fixes
    # nothing newer, and the other advisory is still blocked.
    env = environment(HOST, ("plugin", "1", ("toyhost==1.0a27",)))
    old = Vulnerability("OLD-1", "toyhost", "1.0a27", ("0.9.5",))
    verdict = verdict_of(env, TOYSEC, old)
    assert (verdict.verdict, [str(b) for b in verdict.blockers]) == ("blocked", ["plugin 1 requires toyhost==1.0a27"])


def test_any_unaffected_release_counts_as_a_fix_not_only_the_fixed_event():
    # sqlparse-like: fixed in 1.0a28; a requirement >=2.0 admits only later releases, all unaffected.
    env = environment(HOST, ("plugin", "1", ("toyhost>=2.0",)))
    assert verdict_of(env).verdict == "upgradable"
    # Two branches fixed (1.0a28 and 2.0.3): 2.0.1 is on 2.0's branch before its fix, so still affected.
    two = Vulnerability("TWO-1", "toyhost", "1.0a27", ("1.0a28", "2.0.3"))
    env = environment(HOST, ("plugin", "1", ("toyhost>=2.0,<2.0.2",)))
    assert verdict_of(env, two).verdict == "blocked"


# -- the way out, from a folder of releases --------------------------------------------------------------

def folder_of(tmp_path, *projects, toys=("toyhost==1.0a28", "toyhost==2.0")):
    """A --find-links folder: some toy wheels, and new releases built from (name, version, deps, toml)."""
    folder = tmp_path / "links"
    folder.mkdir()
    for toy in find_toys():
        if any(f"{toy.name}=={toy.version}" == wanted for wanted in toys):
            wheel = build_wheel(toy)
            (folder / wheel.name).write_bytes(wheel.read_bytes())
    for name, version, deps, toml in projects:
        build_into(write_project(tmp_path / f"{name}-{version}", name, version, deps, extra_toml=toml), folder)
    return folder


def build_into(project, folder):
    """Build *project*'s wheel and put it in *folder* (which holds other wheels already)."""
    wheel = build(project, project / "dist")
    (folder / wheel.name).write_bytes(wheel.read_bytes())


def way_out_lines(capsys, python, folder) -> list[str]:
    main(["explain", "--python", str(python), "--advisories", str(ADVISORIES), "--find-links", str(folder)])
    out = capsys.readouterr().out.splitlines()
    return [line for line in out if line.startswith(("      way out", "        ", "note:"))]


def test_a_newer_blocker_whose_requirement_admits_only_later_fixed_releases_is_a_way_out(pinned_to_read, tmp_path, capsys):
    # dbt-core 1.12.6 requires sqlparse>=0.5.5: it admits no named fix, but only fixed releases. It was rejected.
    folder = folder_of(tmp_path, ("toyhost-export", "0.4", ["toyhost>=2.0"], ""), toys=("toyhost==1.0a28",))
    assert way_out_lines(capsys, pinned_to_read.python, folder) == [
        "      way out: upgrade to toyhost-export 0.4 (toyhost_export-0.4-py2.py3-none-any.whl), "
        "which requires toyhost>=2.0 and so admits 2.0"]


# The toys' own plugin release that is the way out (requires toyhost>=1.0a27), its wheel from the cache: no build.
WITH_THE_WAY_OUT = ("toyhost==1.0a28", "toyhost==2.0", "toyhost-export==0.3a2")


def test_a_release_for_another_python_or_platform_is_skipped_with_a_note(pinned_to_read, tmp_path, capsys):
    folder = folder_of(tmp_path, toys=WITH_THE_WAY_OUT)
    # requests 2.34.2 needs a newer Python than the environment's: built with a Requires-Python no Python meets.
    project = write_project(tmp_path / "needs-py4", "toyhost-export", "0.5", ["toyhost>=1.0a28"])
    text = (project / "pyproject.toml").read_text(encoding="utf-8")
    (project / "pyproject.toml").write_text(text.replace('version = "0.5"', 'version = "0.5"\nrequires-python = ">=3.99"'),
                                            encoding="utf-8")
    build_into(project, folder)
    # A wheel built for Windows on Python 2.7 (its tags say so): not installable here.
    (folder / "toyhost_export-0.6-cp27-cp27m-win32.whl").write_bytes(
        (folder / "toyhost_export-0.3a2-py3-none-any.whl").read_bytes())
    # And a damaged download.
    (folder / "toyhost_export-0.7-py3-none-any.whl").write_bytes(b"<html>502 Bad Gateway</html>")
    python = ".".join(map(str, sys.version_info[:3]))
    assert way_out_lines(capsys, pinned_to_read.python, folder) == [
        "      way out: upgrade to toyhost-export 0.3a2 (toyhost_export-0.3a2-py3-none-any.whl), "
        "which requires toyhost>=1.0a27 and so admits 1.0a28",
        "note: --find-links: toyhost_export-0.7-py3-none-any.whl is not a usable wheel (File is not a zip file): skipped",
        f"note: --find-links: toyhost_export-0.6-cp27-cp27m-win32.whl is not for this interpreter (Python {python}): skipped",
        f"note: --find-links: toyhost-export 0.5 requires Python >=3.99, not {python}: skipped",
    ]


def old_style_sdist(folder, name: str, version: str) -> None:
    """An sdist as setuptools made them before metadata 2.2 (requests 2.26.0): PKG-INFO has no Requires-Dist,
    whatever setup.py requires."""
    import io
    import tarfile

    base = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{base}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a plugin\n",
        f"{base}/setup.py": f"from setuptools import setup\nsetup(name={name!r}, version={version!r}, "
                            "install_requires=['toyhost==1.0a27'])\n",
    }
    with tarfile.open(folder / f"{base}.tar.gz", "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_an_sdist_that_does_not_say_its_requirements_is_unknown_not_a_way_out(pinned_to_read, tmp_path, capsys):
    # Before: "which no longer requires toyhost" (requests 2.26.0's sdist and urllib3).
    folder = folder_of(tmp_path)
    old_style_sdist(folder, "toyhost-export", "0.9")
    assert way_out_lines(capsys, pinned_to_read.python, folder) == [
        "      way out, perhaps: toyhost-export 0.9 (toyhost_export-0.9.tar.gz), an sdist that does not say "
        "what it requires: unknown, build it to know"]
    # Beside a wheel that is a way out (the toys' own), the wheel is preferred.
    wheel = build_wheel(find_toy("toyhost-export==0.3a2"))
    (folder / wheel.name).write_bytes(wheel.read_bytes())
    assert way_out_lines(capsys, pinned_to_read.python, folder)[0].startswith("      way out: upgrade to toyhost-export 0.3a2 ")


def test_a_way_out_that_needs_more_than_what_is_installed_says_so(pinned, tmp_path, capsys):
    assert pinned.uv("pip install toyhost-badges==0.1").ok
    folder = folder_of(tmp_path, ("toyhost-export", "0.4", ["toyhost>=1.0a28", "toyhost-badges>=0.2"], ""))
    assert way_out_lines(capsys, pinned.python, folder) == [
        "      way out: upgrade to toyhost-export 0.4 (toyhost_export-0.4-py2.py3-none-any.whl), "
        "which requires toyhost>=1.0a28 and so admits 1.0a28",
        "        it also needs a newer toyhost-badges than installed"]
    # Something installed that holds toyhost-badges back turns that into a collision.
    site = build(write_project(tmp_path / "site", "toyhost-site", "1.0", ["toyhost-badges<0.2"]), tmp_path / "site-dist")
    assert pinned.uv("pip install --no-deps", site).ok
    assert way_out_lines(capsys, pinned.python, folder)[1:] == [
        "        COLLIDES: it also requires toyhost-badges>=0.2, but toyhost-site 1.0 requires toyhost-badges<0.2"]


# -- never exit 0 on nothing ------------------------------------------------------------------------------

@pytest.fixture
def run_explain(tmp_path, monkeypatch, capsys):
    """``pinlab explain ARGS`` in *tmp_path*, as a shell there runs it: its exit status and what it
    printed, standard output then error. In this process, not a new one (0.25 s each): an exception
    that would have been a traceback fails the test all the same."""
    monkeypatch.chdir(tmp_path)

    def run_it(*args: str) -> tuple[int, str]:
        status = main(["explain", *args])
        out, err = capsys.readouterr()
        return status, out + err
    return run_it


def test_a_report_that_audited_nothing_is_refused(pinned_to_read, run_explain, tmp_path):
    # pip-audit skips what it cannot find on its index: a whole private environment reads "0 vulnerabilities".
    skipped = {"dependencies": [
        {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} ({version})"}
        for name, version in (("toyhost", "1.0a27"), ("toyhost-export", "0.3a1"))], "fixes": []}
    (tmp_path / "skipped.json").write_text(json.dumps(skipped), encoding="utf-8")
    assert run_explain("--python", str(pinned_to_read.python), "--audit-json", "skipped.json") == (2, (
        "pinlab explain: error: --audit-json skipped.json: pip-audit audited nothing: all 2 dependencies were "
        "skipped (toyhost: Dependency not found on PyPI and could not be audited: toyhost (1.0a27))\n"))


def test_a_report_made_for_another_environment_is_refused(pip_audit_of_pinned, toys_index, run_explain, tmp_path):
    # pip-audit run without --python audits the tool's own environment; explain then looked at another (exit 0).
    (tmp_path / "audit.json").write_text(json.dumps(pip_audit_of_pinned.report), encoding="utf-8")
    with Sandbox(toys_index) as other:
        assert other.uv("pip install toyhost==2.0").ok
        status, output = run_explain("--python", str(other.python), "--audit-json", "audit.json")
    assert (status, output) == (2, (
        "pinlab explain: error: --audit-json audit.json: made for another environment: 2 of the 3 packages it "
        "names are not installed here at that version (e.g. toyhost 1.0a27: 2.0 is installed); "
        "run pip-audit on this environment, or give explain its --python\n"))


def test_an_environment_with_no_distribution_is_refused(run_explain, tmp_path):
    # Before: "No known vulnerability in the 0 installed distributions.", exit status 0.
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "empty env")
    python = next(p for p in (tmp_path / "empty env").rglob("python*") if p.is_file() and p.parent.name in ("bin", "Scripts"))
    status, output = run_explain("--python", str(python), "--advisories", str(ADVISORIES))
    assert (status, output) == (2, f"pinlab explain: error: --python {python.as_posix()}: no distribution is "
                                   "installed in that environment: nothing to check\n")


# -- odd things real environments and reports have ---------------------------------------------------------

def add_debian_distribution(sandbox, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    """A distribution as Debian's python3-* packages install them: metadata only, a version not PEP 440."""
    purelib = run([sandbox.python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).output.strip()
    info = os.path.join(purelib, f"{name.replace('-', '_')}-{version}.dist-info")
    os.makedirs(info)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def test_a_version_that_is_not_pep_440_is_named_and_skipped_never_a_traceback(pinned, tmp_path, capsys):
    # Before: a traceback and exit status 1, which reads as "blocked".
    add_debian_distribution(pinned, "toyhost-debian", "1.1build1", ("toyhost==1.0a27",))
    add_debian_distribution(pinned, "toyhost-snapshot", "1.0-SNAPSHOT")
    folder = tmp_path / "advisories"
    folder.mkdir()
    (folder / "TOYSEC-2026-1.json").write_bytes((ADVISORIES / "TOYSEC-2026-1.json").read_bytes())
    record = dict(NO_FIX_RECORD, id="TOYSEC-2026-3", affected=[{"package": {"ecosystem": "PyPI", "name": "toyhost-snapshot"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}])
    (folder / "TOYSEC-2026-3.json").write_text(json.dumps(record), encoding="utf-8")
    status = main(["explain", "--python", str(pinned.python), "--advisories", str(folder),
                   "--find-links", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1
    assert "    toyhost-debian 1.1build1 requires toyhost==1.0a27\n" in out
    assert out.endswith(
        "note: --find-links: toyhost-debian 1.1build1 has a version that is not comparable (not PEP 440): "
        "its newer releases were not looked for\n"
        "not checked: toyhost-snapshot 1.0-SNAPSHOT: version not comparable (not PEP 440), skipped\n"
        "1 vulnerable package, 1 blocked; not everything could be checked (see 'not checked' above).\n")


@pytest.mark.skipif(os.name == "nt", reason="the misbehaving interpreters are shell scripts")
@pytest.mark.parametrize("script, message", [
    ("sleep 30", "not a Python interpreter that can list its packages (stopped: it had not finished after 0.5 s)"),
    ("yes", "not a Python interpreter that can list its packages (stopped: it printed more than 100000 bytes)"),
    ("printf '{\"markers\": {\"python_version\": '", "not a Python 3.8+ interpreter that can list its packages "
     "(its output is not the expected JSON: {\"markers\": {\"python_version\":)"),
    ("kill -9 $$", "not a Python 3.8+ interpreter that can list its packages (killed by signal 9 (SIGKILL), no output)"),
    ("echo 'Fatal Python error: init_fs_encoding' >&2; exit 1", "not a Python 3.8+ interpreter that can list "
     "its packages (exit status 1: Fatal Python error: init_fs_encoding)"),
])
def test_a_python_that_hangs_floods_or_breaks_gets_one_line(tmp_path, monkeypatch, capsys, script, message):
    import pinlab.environment

    monkeypatch.setattr(pinlab.environment, "_TIMEOUT", 0.5)  # small: the hanging one waits it out
    monkeypatch.setattr(pinlab.environment, "_MAX_OUTPUT", 100_000)
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    python.chmod(0o755)
    assert main(["explain", "--python", str(python), "--advisories", str(ADVISORIES)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"pinlab explain: error: --python {python.as_posix()}: {message}\n")


def test_audit_json_with_a_wrong_type_is_refused_naming_the_field(pinned_to_read, run_explain, tmp_path):
    # Before: "1.0a28" was read letter by letter, as the fixes "1", ".", "0", "a", "2", "8".
    report = {"dependencies": [{"name": "toyhost", "version": "1.0a27",
                                "vulns": [{"id": "TOYSEC-2026-1", "fix_versions": "1.0a28", "aliases": []}]}]}
    (tmp_path / "audit.json").write_text(json.dumps(report), encoding="utf-8")
    assert run_explain("--python", str(pinned_to_read.python), "--audit-json", "audit.json") == (2, (
        'pinlab explain: error: --audit-json audit.json: dependencies[0].vulns[0].fix_versions must be a list '
        'of strings, not "1.0a28"\n'))


def test_records_that_name_no_pypi_version_are_counted_in_a_note(pinned_to_read, tmp_path, capsys):
    folder = tmp_path / "advisories"
    folder.mkdir()
    (folder / "TOYSEC-2026-1.json").write_bytes((ADVISORIES / "TOYSEC-2026-1.json").read_bytes())
    git_only = dict(NO_FIX_RECORD, id="GHSA-toy-git", affected=[{"package": {"ecosystem": "PyPI", "name": "toyhost-export"},
                    "ranges": [{"type": "GIT", "repo": "https://example.invalid/toyhost-export",
                                "events": [{"introduced": "0"}, {"fixed": "a1b2c3"}]}]}])
    no_affected = {key: value for key, value in NO_FIX_RECORD.items() if key != "affected"} | {"id": "PYSEC-toy-none"}
    (folder / "git.json").write_text(json.dumps(git_only), encoding="utf-8")
    (folder / "none.json").write_text(json.dumps(no_affected), encoding="utf-8")
    status, data = explained(capsys, "--python", str(pinned_to_read.python), "--advisories", str(folder))
    assert status == 1 and data["blocked"] == 1
    assert data["notes"] == ["2 records name no PyPI version they affect (no PyPI 'affected' entry, or only GIT or "
                             "SEMVER ranges), so they were not used: GHSA-toy-git, PYSEC-toy-none"]
    assert data["not_checked"] == ["toyhost-export 0.3a1: GHSA-toy-git names it but no version it affects"]


# -- uv audit's report as input ---------------------------------------------------------------------------

def uv_audit(project, index, service) -> dict:
    """The real uv audit's JSON report on *project*, locked from the toys' index, asking the local service."""
    from pinlab.sandbox import uv_binary

    settings = ["--no-config", "--cache-dir", str(project / "uv-cache")]
    # A file: URL: uv splits --find-links at commas, and the test run's temp folder holds one.
    locked = run([uv_binary(), "lock", *settings, "--offline", "--no-index", "--find-links", index.path.as_uri(),
                  "--prerelease", "allow"], cwd=project, env=clean_env())
    assert locked.ok, locked.output
    done = run([uv_binary(), "audit", *settings, "--frozen", "--preview-features", "audit-command,json-output",
                "--service-url", service.base_url, "--output-format", "json"], cwd=project, env=clean_env(),
               merge_output=False)
    report, _end = json.JSONDecoder().raw_decode(done.output)  # uv audit exits 1 when it finds something
    return report


def write_uv_project(folder, dependencies):
    folder.mkdir()
    (folder / "pyproject.toml").write_text(
        "[project]\nname = 'toyhost-site'\nversion = '1'\nrequires-python = '>=3.10'\n"
        f"dependencies = {json.dumps(dependencies)}\n", encoding="utf-8")
    return folder


def test_a_real_uv_audit_report_gives_the_same_verdict(pinned_to_read, toys_index, tmp_path, capsys):
    project = write_uv_project(tmp_path / "site", ["toyhost-export==0.3a1"])
    with AdvisoryService() as service:
        report = uv_audit(project, toys_index, service)
    assert report["summary"]["audited_packages"] == 2
    (tmp_path / "uv-audit.json").write_text(json.dumps(report), encoding="utf-8")
    status, data = explained(capsys, "--python", str(pinned_to_read.python), "--audit-json", str(tmp_path / "uv-audit.json"))
    (verdict,) = data["vulnerable"]
    assert (status, verdict["advisories"], verdict["fixed"], [b["requirement"] for b in verdict["blockers"]]) == (
        1, ["TOYSEC-2026-1"], ["1.0a28"], ["toyhost==1.0a27"])
    # The lock holds 2 packages; the sandbox 3 (pip too): the report cannot show it audited them.
    pip = pinned_to_read_pip(pinned_to_read)
    assert (data["notes"], data["not_checked"]) == ([], [
        f"2 installed distributions not shown to be audited: uv audit audited 2 packages (a project's lock), this "
        f"environment has 3, and its report names only the vulnerable ones: {pip}, toyhost-export 0.3a1"])


def pinned_to_read_pip(sandbox) -> str:
    """``pip 26.3``: whichever pip the sandbox was made with."""
    from pinlab.environment import read_environment

    return str(read_environment(sandbox.python).get("pip"))


def uv_report(audited: int, *vulnerable: tuple[str, str, str, list[str]]) -> dict:
    """A uv audit JSON report as uv 0.13 writes it (see test_audit_reports.py's captured one)."""
    return {"schema": {"version": "preview"},
            "summary": {"audited_packages": audited, "vulnerabilities": len(vulnerable)},
            "vulnerabilities": [{"dependency": {"name": name, "version": version}, "id": ident, "aliases": [],
                                 "summary": "", "fix_versions": fixes} for name, version, ident, fixes in vulnerable]}


def test_a_uv_audit_report_is_no_all_clear_for_what_it_does_not_name_whatever_its_count(pinned_to_read, toys_index,
                                                                                         run_explain, tmp_path):
    # Before: a one-package lock's clean report, or a hand-made one counting 500 packages, gave
    # "No known vulnerability in the 3 installed distributions.", exit status 0, while toyhost
    # 1.0a27 is vulnerable.
    project = write_uv_project(tmp_path / "one", ["toyhost==2.0"])
    with AdvisoryService() as service:
        report = uv_audit(project, toys_index, service)
    assert (report["summary"]["audited_packages"], report["vulnerabilities"]) == (1, [])
    (tmp_path / "clean.json").write_text(json.dumps(report), encoding="utf-8")
    (tmp_path / "500.json").write_text(json.dumps(uv_report(500)), encoding="utf-8")
    pip = pinned_to_read_pip(pinned_to_read)
    for name, audited in (("clean.json", "1 package"), ("500.json", "500 packages")):
        assert run_explain("--python", str(pinned_to_read.python), "--audit-json", name) == (1, (
            f"not checked: 3 installed distributions not shown to be audited: uv audit audited {audited} (a "
            f"project's lock), this environment has 3, and its report names only the vulnerable ones: {pip}, "
            "toyhost 1.0a27, toyhost-export 0.3a1\n"
            "No known vulnerability in what was checked; not everything could be checked (see 'not checked' above).\n"))
    # As many packages as are installed, and what it names installed at that version: before, taken
    # as an audit of this environment. But a count never shows which versions were audited (a lock
    # audited, then `uv pip install idna==3.6` here: the counts still match): not checked.
    (tmp_path / "three.json").write_text(json.dumps(uv_report(3, ("toyhost", "1.0a27", "TOYSEC-2026-1", ["1.0a28"]))),
                                         encoding="utf-8")
    status, output = run_explain("--python", str(pinned_to_read.python), "--audit-json", "three.json")
    assert (status, output.splitlines()[-2:]) == (1, [
        f"not checked: 2 installed distributions not shown to be audited: uv audit audited 3 packages (a project's "
        f"lock), this environment has 3, and its report names only the vulnerable ones: {pip}, toyhost-export 0.3a1",
        "1 vulnerable package, 1 blocked; not everything could be checked (see 'not checked' above)."])
    assert "taken as an audit" not in output
    # As many, but one it names is not installed at that version: its count cannot be trusted.
    (tmp_path / "other.json").write_text(json.dumps(uv_report(3, ("toyhost", "1.0a27", "TOYSEC-2026-1", ["1.0a28"]),
                                                              ("pip", "1.0", "PIP-1", ["2.0"]))), encoding="utf-8")
    status, output = run_explain("--python", str(pinned_to_read.python), "--audit-json", "other.json")
    assert (status, output.splitlines()[-2:]) == (1, [
        f"not checked: 2 installed distributions not shown to be audited: uv audit audited 3 packages (a project's "
        f"lock), this environment has 3, and its report names only the vulnerable ones: {pip}, toyhost-export 0.3a1",
        "1 vulnerable package, 1 blocked; not everything could be checked (see 'not checked' above)."])


def test_a_uv_audit_report_of_nothing_or_of_another_environment_is_refused(pinned_to_read, toys_index, run_explain, tmp_path):
    empty = write_uv_project(tmp_path / "empty", [])
    other = write_uv_project(tmp_path / "other", ["toyhost==0.9"])
    with AdvisoryService() as service:
        (tmp_path / "empty.json").write_text(json.dumps(uv_audit(empty, toys_index, service)), encoding="utf-8")
        (tmp_path / "other.json").write_text(json.dumps(uv_audit(other, toys_index, service)), encoding="utf-8")
    assert run_explain("--python", str(pinned_to_read.python), "--audit-json", "empty.json") == (2, (
        "pinlab explain: error: --audit-json empty.json: uv audit audited nothing: the report lists no package\n"))
    assert run_explain("--python", str(pinned_to_read.python), "--audit-json", "other.json") == (2, (
        "pinlab explain: error: --audit-json other.json: made for another environment: 1 of the 1 packages it "
        "names are not installed here at that version (e.g. toyhost 0.9: 1.0a27 is installed); "
        "run uv audit on this environment, or give explain its --python\n"))


def test_a_package_pip_audit_skipped_is_not_checked_whatever_the_reason(pinned_to_read, pip_audit_of_pinned,
                                                                         tmp_path, capsys):
    # Not on PyPI, installed from a wheel (not from the project's folder): a private package or a
    # release deleted from PyPI, which a public advisory may name (before: a note, "a local or
    # private package"). Skipped for another reason (--skip-editable), it was not checked either.
    report = pip_audit_of_pinned
    for reason, status, where in (
        ("Dependency not found on PyPI and could not be audited: toyhost-export (0.3a1)", 1, "not_checked"),
        ("distribution marked as editable", 1, "not_checked"),
    ):
        data = json.loads(json.dumps(report.report))
        entry = next(d for d in data["dependencies"] if d["name"] == "toyhost-export")
        entry.clear()
        entry.update({"name": "toyhost-export", "skip_reason": reason})
        (tmp_path / "audit.json").write_text(json.dumps(data), encoding="utf-8")
        got_status, got = explained(capsys, "--python", str(pinned_to_read.python), "--audit-json", str(tmp_path / "audit.json"))
        assert (got_status, got["blocked"]) == (status, 1)
        expected = ("toyhost-export 0.3a1: pip-audit could not find this release on PyPI (a private package, or a "
                    "release deleted from PyPI?), so it was not audited" if "PyPI" in reason
                    else f"toyhost-export 0.3a1: pip-audit skipped it ({reason})")
        assert (got["notes"], got[where]) == ([], [expected])


def test_where_the_interpreter_tags_are_unknown_wheels_are_not_checked_and_a_note_says_so(tmp_path):
    env = environment(HOST, ("toyhost-export", "0.3a1", ("toyhost==1.0a27",)))  # described directly: no tags known
    folder = folder_of(tmp_path, toys=WITH_THE_WAY_OUT)
    explanation = explain(env, [TOYSEC], find_links=folder)
    way_out = explanation.verdicts[0].blockers[0].way_out
    assert way_out is not None and way_out.release == "toyhost-export 0.3a2"
    assert "note: --find-links: this interpreter's wheel tags are not known (neither packaging nor a known platform): " \
           "wheels were not checked against them" in format_text(explanation)


# -- fixed ranges, judged whole: real wheels of real shapes ------------------------------------------------

# Shaped like what the tester found on real venvs: botocore 1.35.0 (urllib3 !=2.2.0,<3), requests
# (urllib3 <3,>=1.21.1), Flask 1.1.4 (Werkzeug <2.0,>=0.15), each built here as a toy wheel.
REAL_SHAPES = [
    ("toyurl", "2.1.0", []), ("toyurl", "2.5.0", []),
    ("toybot", "1.35.0", ["toyurl!=2.2.0,<3"]), ("toyreq", "2.32.3", ["toyurl<3,>=1.21.1"]),
    ("toywerk", "1.0.1", []), ("toyflask", "1.1.4", ["toywerk<2.0,>=0.15"]),
]


def osv_record(ident: str, name: str, *events: dict) -> dict:
    return {"id": ident, "modified": "2026-06-21T09:00:00Z", "summary": f"{name} is vulnerable", "aliases": [],
            "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": list(events)}]}]}


def advisories_folder(folder, *records: dict):
    folder.mkdir()
    for record in records:
        (folder / f"{record['id']}.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def real_shapes(tmp_path_factory):
    """A sandbox holding toyurl 2.1.0 under toybot and toyreq, and toywerk 1.0.1 under toyflask;
    and a --find-links folder with toyurl 2.5.0."""
    tmp = tmp_path_factory.mktemp("shapes")
    wheels = [build(write_project(tmp / f"{name}-{version}", name, version, deps), tmp / "dist" / f"{name}-{version}")
              for name, version, deps in REAL_SHAPES]
    links = tmp / "links"
    links.mkdir()
    newer = next(w for w in wheels if w.name.startswith("toyurl-2.5.0"))
    (links / newer.name).write_bytes(newer.read_bytes())
    with LocalIndex(wheels) as index, Sandbox(index) as sandbox:
        assert sandbox.uv("pip install toybot==1.35.0 toyreq==2.32.3 toyurl==2.1.0 toyflask==1.1.4 toywerk==1.0.1").ok
        yield sandbox, links


def test_an_exclusion_of_the_fix_alone_is_no_block(real_shapes, run_explain, tmp_path):
    # Before: "BLOCKED: 2.2.0 or 3 is excluded by" both requirements, exit status 1, though 2.2.1
    # and later fix it and both admit them; and with toyurl 2.5.0 offered, "nothing installed
    # excludes 2.2.0", which toybot does.
    sandbox, links = real_shapes
    advisories_folder(tmp_path / "osv", osv_record("GHSA-toy-url", "toyurl", {"introduced": "0"}, {"fixed": "2.2.0"}))
    expected = ("toyurl 2.1.0 is vulnerable: GHSA-toy-url\n"
                "  fixed in: 2.2.0\n"
                "  path: toybot 1.35.0 (installed directly) -> toyurl 2.1.0\n"
                "  upgradable: 2.2.0 is excluded by toybot 1.35.0 requires toyurl!=2.2.0,<3, but not every later "
                "fixed release (install toyurl>=2.2.0,!=2.2.0)\n"
                "1 vulnerable package, 0 blocked.\n")
    assert run_explain("--python", str(sandbox.python), "--advisories", "osv") == (0, expected)
    assert run_explain("--python", str(sandbox.python), "--advisories", "osv", "--find-links", str(links)) == (0, expected)


def test_a_last_affected_version_means_every_later_release_is_a_fix(real_shapes, run_explain, tmp_path):
    # Before: "no fix: no release fixes it yet", 0 blocked, exit status 0, though every release
    # after 2.2.2 is unaffected and toyflask's <2.0 keeps all of them out.
    sandbox, _links = real_shapes
    advisories_folder(tmp_path / "osv", osv_record("GHSA-toy-werk", "toywerk", {"introduced": "0"},
                                                   {"last_affected": "2.2.2"}))
    assert run_explain("--python", str(sandbox.python), "--advisories", "osv") == (1, (
        "toywerk 1.0.1 is vulnerable: GHSA-toy-werk\n"
        "  fixed in: any release after 2.2.2\n"
        "  path: toyflask 1.1.4 (installed directly) -> toywerk 1.0.1\n"
        "  BLOCKED: every release after 2.2.2 is excluded by\n"
        "    toyflask 1.1.4 requires toywerk<2.0,>=0.15\n"
        "      path: toyflask 1.1.4 (installed directly)\n"
        "1 vulnerable package, 1 blocked.\n"))


def test_a_last_affected_version_with_nothing_against_its_later_releases_is_upgradable():
    env = environment(("toywerk", "2.2.2", ()), ("app", "1", ("toywerk>=2",)))
    record = osv_record("GHSA-toy-werk", "toywerk", {"introduced": "0"}, {"last_affected": "2.2.2"})
    advisory = parse_advisory(record)
    explanation = explain(env, [Vulnerability(advisory.id, "toywerk", "2.2.2", (), advisory=advisory)])
    assert explanation.exit_status == 0
    assert format_text(explanation).splitlines()[1:4] == [
        "  fixed in: any release after 2.2.2",
        "  path: app 1 (installed directly) -> toywerk 2.2.2",
        "  upgradable: nothing installed excludes the releases after 2.2.2 (install toywerk>2.2.2)"]


def test_a_cap_the_fix_satisfies_is_not_named_and_a_cap_is_no_candidate():
    # Before: with <3 and !=2.5.0, both were named as blocking 2.5.0 "or 3"; 2.5.1 fixes it.
    urllib3 = Vulnerability("GHSA-pq67", "urllib3", "2.1.0", ("2.5.0",))
    env = environment(("urllib3", "2.1.0", ()), ("requests", "2.32.3", ("urllib3<3",)),
                      ("botocore", "1.35.0", ("urllib3!=2.5.0",)))
    explanation = explain(env, [urllib3])
    assert (explanation.exit_status, format_text(explanation).splitlines()[3]) == (0, (
        "  upgradable: 2.5.0 is excluded by botocore 1.35.0 requires urllib3!=2.5.0, but not every later fixed "
        "release (install urllib3>=2.5.0,!=2.5.0)"))
    # Before: "BLOCKED: 3 or 3.7", a 3 that only the cap named.
    idna = Vulnerability("PYSEC-2024-60", "idna", "2.10", ("3.7",))
    explanation = explain(environment(("idna", "2.10", ()), ("requests", "2.25.1", ("idna<3,>=2.5",))), [idna])
    assert (explanation.exit_status, format_text(explanation).splitlines()[3:5]) == (1, [
        "  BLOCKED: 3.7 is excluded by", "    requests 2.25.1 requires idna<3,>=2.5"])


def test_requirements_that_block_only_together_are_each_named_and_a_cap_beyond_them_is_not():
    # <2.5.1 keeps out 2.5.1 and later, !=2.5.0 keeps out 2.5.0: together, every fix; <3 adds nothing.
    urllib3 = Vulnerability("GHSA-pq67", "urllib3", "2.1.0", ("2.5.0",))
    env = environment(("urllib3", "2.1.0", ()), ("a", "1", ("urllib3<2.5.1",)), ("b", "1", ("urllib3!=2.5.0",)),
                      ("c", "1", ("urllib3<3",)))
    verdict = verdict_of(env, urllib3)
    assert (verdict.verdict, [str(b) for b in verdict.blockers]) == (
        "blocked", ["a 1 requires urllib3<2.5.1", "b 1 requires urllib3!=2.5.0"])


def test_records_that_cannot_be_loaded_or_are_not_for_pypi_are_not_an_all_clear(pinned, run_explain, tmp_path):
    # Before: "note: not loaded: ..." then "No known vulnerability in the 3 installed
    # distributions.", exit status 0; a folder of npm records alone, the same.
    assert pinned.uv("pip install toyhost==2.0").ok  # nothing the kit's record affects
    fixed_wrong = osv_record("TOYSEC-bad", "toyhost", {"introduced": "0"}, {"fixed": "not a version!"})
    folder = advisories_folder(tmp_path / "osv", fixed_wrong)
    (folder / "TOYSEC-2026-1.json").write_bytes((ADVISORIES / "TOYSEC-2026-1.json").read_bytes())
    (folder / "broken.json").write_text("{", encoding="utf-8")
    assert run_explain("--python", str(pinned.python), "--advisories", "osv") == (1, (
        "note: not loaded: TOYSEC-bad.json: affected[0].ranges[0].events[1].fixed: invalid version 'not a version!'\n"
        "note: not loaded: broken.json: invalid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)\n"
        "not checked: 2 records of --advisories osv could not be loaded (see the notes): what they say about the "
        "installed distributions is not known\n"
        "No known vulnerability in what was checked; not everything could be checked (see 'not checked' above).\n"))
    npm = dict(osv_record("GHSA-toy-npm", "left-pad", {"introduced": "0"}, {"fixed": "1.3.0"}))
    npm["affected"][0]["package"]["ecosystem"] = "npm"
    advisories_folder(tmp_path / "npm", npm)
    assert run_explain("--python", str(pinned.python), "--advisories", "npm") == (1, (
        "note: 1 record names no PyPI version it affects (no PyPI 'affected' entry, or only GIT or SEMVER ranges), "
        "so it was not used: GHSA-toy-npm\n"
        "not checked: no record of --advisories npm says which versions of a PyPI package it affects: nothing "
        "installed was checked against it\n"
        "No known vulnerability in what was checked; not everything could be checked (see 'not checked' above).\n"))


def test_each_advisory_gets_its_own_verdict_and_fixable_only_when_its_fix_can_be_installed(capsys):
    # urllib3 1.26.5 under a requests that caps it below 1.27: GHSA-v845 is fixed on the 1.26
    # branch, GHSA-pq67 only in 2.5.0. Before: only "BLOCKED by requests", and "fixable": true for
    # both in the JSON, though 2.5.0 cannot be installed.
    env = environment(("urllib3", "1.26.5", ()), ("requests", "2.29.0", ("urllib3<1.27,>=1.21.1",)))
    v845 = Vulnerability("GHSA-v845", "urllib3", "1.26.5", ("1.26.17", "2.0.6"))
    pq67 = Vulnerability("GHSA-pq67", "urllib3", "1.26.5", ("2.5.0",))
    explanation = explain(env, [v845, pq67])
    assert (explanation.exit_status, format_text(explanation)) == (1, (
        "urllib3 1.26.5 is vulnerable: GHSA-v845, GHSA-pq67\n"
        "  GHSA-v845 fixed in: 1.26.17, 2.0.6 (on its own: upgradable)\n"
        "  GHSA-pq67 fixed in: 2.5.0 (on its own: BLOCKED by requests 2.29.0 requires urllib3<1.27,>=1.21.1)\n"
        "  path: requests 2.29.0 (installed directly) -> urllib3 1.26.5\n"
        "  BLOCKED: 2.5.0 is excluded by\n"
        "    requests 2.29.0 requires urllib3<1.27,>=1.21.1\n"
        "      path: requests 2.29.0 (installed directly)\n"
        "1 vulnerable package, 1 blocked."))
    (verdict,) = json.loads(json.dumps(as_json(explanation)))["vulnerable"]  # as the CLI writes it
    assert [(a["id"], a["verdict"], a["fixable"], a["blocked_by"]) for a in verdict["each_advisory"]] == [
        ("GHSA-v845", "upgradable", True, []),
        ("GHSA-pq67", "blocked", False, ["requests 2.29.0 requires urllib3<1.27,>=1.21.1"])]


def test_a_bare_major_version_is_on_the_branch_of_its_x_0_fix():
    # Before: the 2 that toyapp's >=2 names was shown as a fix, though 2 is 2.0.0, before 2.0.7;
    # and what to install is the fix toyapp admits, not toyapp's bound.
    urllib3 = Vulnerability("GHSA-v845", "urllib3", "1.26.5", ("1.26.18", "2.0.7"))
    verdict = verdict_of(environment(("urllib3", "1.26.5", ()), ("toyapp", "1", ("urllib3>=2",))), urllib3)
    assert (verdict.verdict, verdict.fixed, verdict.install) == ("upgradable", ("1.26.18", "2.0.7"),
                                                                 "urllib3>=2.0.7")


def test_what_came_from_a_local_folder_is_not_checked_by_a_uv_audit_report(tmp_path):
    # uv sync installs the project itself, editable, from its folder; uv audit audits what a
    # registry serves (a one-package lock, click==7.1.2: audited_packages 1, measured with uv
    # 0.13.9). A public package can come from a folder too (tool.uv.sources idna = {path =
    # "idna-3.6"}), and idna 3.6 has a public advisory. Before: "no public advisory names it" and
    # "taken as an audit of this environment", exit status 0.
    from pinlab.explain import from_audit_json

    project = Installed("myproj", "0.1", ("click==7.1.2", "idna"), (tmp_path / "my proj").as_uri())
    idna = Installed("idna", "3.6", (), (tmp_path / "my proj" / "idna-3.6").as_uri())
    env = Environment.of(MARKERS, [project, idna, Installed("click", "7.1.2", ())])
    (tmp_path / "uv.json").write_text(json.dumps(uv_report(1)), encoding="utf-8")
    explanation = explain(env, from_audit_json(tmp_path / "uv.json", env))
    assert (explanation.exit_status, format_text(explanation)) == (1, (
        "not checked: 3 installed distributions not shown to be audited: uv audit audited 1 package (a project's "
        "lock), this environment has 3, and its report names only the vulnerable ones: click 7.1.2, idna 3.6, "
        "myproj 0.1\n"
        "No known vulnerability in what was checked; not everything could be checked (see 'not checked' above)."))


def hand_made_venv(tmp_path, dists: dict[str, tuple[str, str | None]]) -> Path:
    """A real venv (no pip) whose site-packages holds the dist-info folders *dists* names:
    folder name -> (METADATA after its first line, direct_url.json or None); its python."""
    venv = tmp_path / "v env"
    assert run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=clean_env()).ok
    python = next(p for p in venv.glob("*/python*") if p.name in ("python", "python.exe"))
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                    env=clean_env()).output.strip())
    for folder, (metadata, direct_url) in dists.items():
        (site / folder).mkdir()
        (site / folder / "METADATA").write_text("Metadata-Version: 2.1\n" + metadata, encoding="utf-8")
        if direct_url is not None:
            (site / folder / "direct_url.json").write_text(direct_url, encoding="utf-8")
    return python


def pip_audit_report(*dependencies: dict) -> dict:
    """A pip-audit JSON report as pip-audit 2.x writes it (pip_audit/_format/json.py): a skipped
    dependency has only its name and skip_reason."""
    return {"dependencies": list(dependencies), "fixes": []}


def not_on_pypi(name: str, version: str) -> dict:
    return {"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} ({version})"}


def test_a_release_pip_audit_could_not_find_on_pypi_is_not_checked_unless_installed_from_a_folder(tmp_path, capsys):
    # PyPI's JSON API answers 404 for torch 2.5.1+cpu (a local version): before, "not on PyPI (a
    # local or private package)", a note, and "No known vulnerability in the 3 installed
    # distributions.", exit status 0. The project installed from its own folder keeps a note, which
    # says no advisory was looked up, not that none exists.
    project = (tmp_path / "my proj").as_uri()
    python = hand_made_venv(tmp_path, {
        "torch-2.5.1+cpu.dist-info": ("Name: torch\nVersion: 2.5.1+cpu\n", None),
        "myproj-0.1.dist-info": ("Name: myproj\nVersion: 0.1\nRequires-Dist: torch\nRequires-Dist: idna\n",
                                 json.dumps({"url": project, "dir_info": {"editable": True}})),
        "idna-3.7.dist-info": ("Name: idna\nVersion: 3.7\n", None),
    })
    report = pip_audit_report(not_on_pypi("torch", "2.5.1+cpu"), not_on_pypi("myproj", "0.1"),
                              {"name": "idna", "version": "3.7", "vulns": []})
    (tmp_path / "audit.json").write_text(json.dumps(report), encoding="utf-8")
    status = main(["explain", "--python", str(python), "--audit-json", str(tmp_path / "audit.json")])
    assert (status, capsys.readouterr().out) == (1, (
        "note: pip-audit skipped myproj 0.1: not on PyPI, and installed from a local folder (the project itself?): "
        "no advisory was looked up for it\n"
        "not checked: torch 2.5.1+cpu: pip-audit could not find this release on PyPI (a local version?), so it "
        "was not audited\n"
        "No known vulnerability in what was checked; not everything could be checked (see 'not checked' above).\n"))


def test_a_fix_whose_every_release_in_the_folder_refuses_the_python_is_blocked(tmp_path, capsys):
    # A Python 3.8 environment with urllib3 1.26.18, fixed in 2.5.0 (Requires-Python >=3.9): before,
    # "upgradable: nothing installed excludes 2.5.0 (install urllib3>=2.5.0)", exit status 0. Here
    # the fixed release requires a Python no interpreter has, on the current one.
    python = hand_made_venv(tmp_path, {"urllib3-1.26.18.dist-info": ("Name: urllib3\nVersion: 1.26.18\n", None)})
    report = pip_audit_report({"name": "urllib3", "version": "1.26.18", "vulns": [
        {"id": "GHSA-pq67-6m6q-mj2v", "fix_versions": ["2.5.0"], "aliases": [], "description": ""}]})
    (tmp_path / "audit.json").write_text(json.dumps(report), encoding="utf-8")
    here = ".".join(map(str, sys.version_info[:3]))
    head = ("urllib3 1.26.18 is vulnerable: GHSA-pq67-6m6q-mj2v\n"
            "  fixed in: 2.5.0\n"
            "  path: urllib3 1.26.18 (installed directly)\n")
    upgradable = head + "  upgradable: nothing installed excludes 2.5.0 (install urllib3>=2.5.0)\n" \
        "1 vulnerable package, 0 blocked.\n"
    for number, (requires_python, expected) in enumerate((
        (">=3.99", (1, head + f"  BLOCKED: every fixed release in the --find-links folder (2.5.0) requires Python "
                              f">=3.99, this environment has {here}\n1 vulnerable package, 1 blocked.\n")),
        (">=3.8", (0, upgradable)),
    )):
        project = write_project(tmp_path / f"urllib3 {number}", "urllib3", "2.5.0", [])
        text = (project / "pyproject.toml").read_text(encoding="utf-8")
        (project / "pyproject.toml").write_text(
            text.replace('version = "2.5.0"', f'version = "2.5.0"\nrequires-python = "{requires_python}"'),
            encoding="utf-8")
        folder = tmp_path / f"links {number}"
        folder.mkdir()
        build_into(project, folder)
        status = main(["explain", "--python", str(python), "--audit-json", str(tmp_path / "audit.json"),
                       "--find-links", str(folder)])
        assert (status, capsys.readouterr().out) == expected
    # Two advisories, one also fixed on the 1.26 branch (1.26.19, which the folder does not hold:
    # nothing is known of its Requires-Python): each gets its own verdict, and the package's is
    # blocked, as 1.26.19 does not fix the other.
    report["dependencies"][0]["vulns"].append(
        {"id": "GHSA-2", "fix_versions": ["1.26.19", "2.5.0"], "aliases": [], "description": ""})
    (tmp_path / "two.json").write_text(json.dumps(report), encoding="utf-8")
    status, data = explained(capsys, "--python", str(python), "--audit-json", str(tmp_path / "two.json"),
                             "--find-links", str(tmp_path / "links 0"))
    (verdict,) = data["vulnerable"]
    assert (status, verdict["verdict"], verdict["blockers"], verdict["requires_python"], verdict["python"]) == (
        1, "blocked", [], ">=3.99", here)
    assert [(a["id"], a["verdict"], a["fixable"], a["blocked_by"]) for a in verdict["each_advisory"]] == [
        ("GHSA-pq67-6m6q-mj2v", "blocked", False,
         ["Requires-Python >=3.99 of every fixed release in the --find-links folder"]),
        ("GHSA-2", "upgradable", True, [])]
    # Without the folder nothing is known of 2.5.0's Requires-Python: the verdict stays.
    status = main(["explain", "--python", str(python), "--audit-json", str(tmp_path / "audit.json")])
    assert (status, capsys.readouterr().out) == (0, upgradable)


def test_an_installed_distribution_whose_metadata_cannot_be_read_is_not_checked(tmp_path, capsys):
    """A dist-info without a Name (a broken install) is installed, but no advisory can be matched to
    it: the verdict is never all clear (before: the others' verdict alone, exit 0)."""
    venv = tmp_path / "v env"
    assert run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env=clean_env()).ok
    python = next(p for p in venv.glob("*/python*") if p.name in ("python", "python.exe"))
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                    env=clean_env()).output.strip())
    for folder, metadata in [("toyhost-1.0a28.dist-info", "Name: toyhost\nVersion: 1.0a28\n"),
                             ("noname-1.0.dist-info", "Version: 1.0\nRequires-Dist: toyhost==1.0a27\n")]:
        (site / folder).mkdir()
        (site / folder / "METADATA").write_text("Metadata-Version: 2.1\n" + metadata, encoding="utf-8")
    status = main(["explain", "--python", str(python), "--advisories", str(examples_dir() / "advisories")])
    assert (status, capsys.readouterr().out.splitlines()[-2:]) == (1, [
        "not checked: 1 installed distribution whose metadata cannot be read, so no advisory can be matched to it: "
        "noname-1.0.dist-info (its METADATA has no Name (it declares 1 requirement))",
        "No known vulnerability in what was checked; not everything could be checked (see 'not checked' above).",
    ])
