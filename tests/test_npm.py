"""The local npm registry and isolated npm projects, with the real npm (chapter 6)."""

from __future__ import annotations

import gzip
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pinlab.npm import (
    AUDIT_PATH,
    NpmProject,
    NpmRegistry,
    check_plugin_range,
    check_scoped_override,
    npm_missing,
    publish_toys,
    scoped_path,
    semver_range,
)

needs_npm = pytest.mark.skipif(npm_missing() is not None, reason=npm_missing() or "")

HOST, EXPORT, CHARTS = "@pinlab-toys/host", "@pinlab-toys/export", "@pinlab-toys/charts"
NESTED = {
    "node_modules/@pinlab-toys/charts": "0.1.0",
    "node_modules/@pinlab-toys/export": "0.3.0-alpha.1",
    "node_modules/@pinlab-toys/export/node_modules/@pinlab-toys/host": "1.0.0-alpha.27",
    "node_modules/@pinlab-toys/host": "1.0.0-alpha.28",
}


@pytest.fixture(scope="module")
def published():
    """The chapter's registry, its toys packed by one npm call (publish_toys), and what that returned."""
    missing = npm_missing()
    if missing:
        pytest.skip(missing)
    with NpmRegistry() as served:
        yield served, publish_toys(served)


@pytest.fixture(scope="module")
def registry(published):
    return published[0]


def _files_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below *folder*: relative path -> (size, mtime in ns)."""
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def _installed_app(registry):
    registry.requests.clear()
    with NpmProject(registry) as app:
        installing = app.npm("install")
        requests = list(registry.requests)
        yield app, installing, app.npm("ls --all"), requests


@pytest.fixture
def installed_app(_installed_app):
    """The toy application, installed once by the real npm from the registry and shared by the
    tests that only read it: (the project, npm install's result, npm ls --all's, the requests npm
    install made). A test that changes a file of it fails here."""
    app = _installed_app[0]
    before = _files_of(app.app)
    yield _installed_app
    assert _files_of(app.app) == before, "the test changed the shared npm project: it must make its own"


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, object]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.loads(refused.read())


def test_npm_missing_says_which_tool_is_absent(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert npm_missing() == ("node and npm not found on PATH: install Node.js with npm "
                             "(https://nodejs.org, or apt-get install nodejs npm) to run the npm chapter")


def test_semver_range_turns_osv_events_into_npm_ranges():
    assert semver_range([{"introduced": "0"}, {"fixed": "1.0.0-alpha.28"}]) == "<1.0.0-alpha.28"
    assert semver_range([{"introduced": "1.2.0"}, {"last_affected": "1.4.1"}]) == ">=1.2.0 <=1.4.1"
    assert semver_range([{"introduced": "0"}, {"fixed": "1.0.1"}, {"introduced": "2.0.0"}]) == "<1.0.1 || >=2.0.0"


@needs_npm
def test_a_real_npm_install_from_the_registry_nests_the_pinned_host(registry, installed_app):
    app, installing, listed, requests = installed_app
    assert installing.ok, installing
    assert installing.command == ("npm", "install")
    assert app.installed() == NESTED
    assert listed.ok and listed.output.count(f"{HOST}@") == 2, listed
    # Every tarball came from the registry on 127.0.0.1, as the lock file records.
    lock = app.read_json("package-lock.json")
    assert {entry["resolved"].split("/-/")[0] for entry in lock["packages"].values() if "resolved" in entry} == {
        f"{registry.url}{name}" for name in (HOST, EXPORT, CHARTS)}
    assert {"GET " + scoped_path(name) for name in (HOST, EXPORT, CHARTS)} <= set(requests)
    assert "GET /@pinlab-toys/host/-/host-1.0.0-alpha.27.tgz" in requests
    assert f"POST {AUDIT_PATH}" in requests  # npm install audits by itself


@needs_npm
def test_npm_audit_is_answered_by_the_local_advisories(registry, installed_app):
    app, installing, _, _ = installed_app
    assert installing.ok
    report = app.npm_json("audit")
    audited = app.npm("audit")
    assert audited.returncode == 1
    assert sorted(report["vulnerabilities"]) == [EXPORT, HOST]
    host = report["vulnerabilities"][HOST]
    assert host["nodes"] == ["node_modules/@pinlab-toys/export/node_modules/@pinlab-toys/host"]
    assert [(via["source"], via["range"], via["severity"]) for via in host["via"]] == [
        ("TOYSEC-2026-2", "<1.0.0-alpha.28", "high")]
    assert report["vulnerabilities"][EXPORT]["via"] == [HOST]
    # The output names the advisory's page by placeholder, never by this run's port.
    assert "http://127.0.0.1:<port>/-/pinlab/advisories/TOYSEC-2026-2" in audited.output
    assert str(registry.port) not in audited.output


@needs_npm
def test_the_audit_endpoint_answers_npms_gzipped_bulk_body(registry):
    body = gzip.compress(json.dumps({HOST: ["1.0.0-alpha.27"], "left-pad": ["1.3.0"]}).encode())
    status, answer = _post(registry.url.rstrip("/") + AUDIT_PATH, body,
                           {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert status == 200
    assert answer == {HOST: [{
        "id": "TOYSEC-2026-2",
        "url": f"{registry.url}-/pinlab/advisories/TOYSEC-2026-2",
        "title": "@pinlab-toys/host renderTitle() does not escape HTML (cross-site scripting)",
        "severity": "high",
        "vulnerable_versions": "<1.0.0-alpha.28",
        "cwe": ["CWE-79"],
        "cvss": {"score": 0, "vectorString": None},
    }]}
    status, answer = _post(registry.url.rstrip("/") + AUDIT_PATH, b"not json", {"Content-Type": "application/json"})
    assert (status, answer) == (400, {"error": "the audit body is not JSON: Expecting value: line 1 column 1 (char 0)"})
    status, answer = _post(registry.url.rstrip("/") + AUDIT_PATH, b"{}", {"Content-Encoding": "gzip"})
    assert (status, answer) == (400, {"error": "the audit body is not gzip, as its Content-Encoding says: "
                                               "Not a gzipped file (b'{}')"})


@needs_npm
def test_a_package_the_registry_does_not_hold_is_a_404_for_npm(registry):
    with NpmProject(registry) as app:
        missing = app.npm("install @pinlab-toys/nothing-here")
    assert missing.returncode == 1
    assert "npm error 404 Not Found - GET http://127.0.0.1:<port>/@pinlab-toys%2fnothing-here - Not found" in missing.output


@needs_npm
def test_nothing_listens_and_nothing_is_left_after_close():
    registry = NpmRegistry()
    port, storage = registry.port, registry._storage.path
    assert storage.is_dir()
    registry.close()
    registry.close()  # safe twice
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert not storage.exists()
    assert repr(registry) == "NpmRegistry(closed)"


@needs_npm
def test_the_callers_npm_configuration_is_ignored(registry, installed_app, monkeypatch, tmp_path):
    _, expected, expected_ls, _ = installed_app  # what npm does with no settings of the caller's

    # A decoy user's setup: a registry where nothing listens, a user config and a global config
    # that say the same and omit every dependency, a cache of its own, and a HOME with an .npmrc.
    decoy = "http://127.0.0.1:9/"
    decoy_rc = tmp_path / "decoy-npmrc"
    decoy_rc.write_text(f"registry={decoy}\nomit=prod\nfund=true\npackage-lock=false\n", encoding="utf-8")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".npmrc").write_text(decoy_rc.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", decoy)
    monkeypatch.setenv("npm_config_userconfig", str(decoy_rc))
    monkeypatch.setenv("NPM_CONFIG_GLOBALCONFIG", str(decoy_rc))
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "decoy-cache"))
    monkeypatch.setenv("NPM_CONFIG_OMIT", "prod")
    monkeypatch.setenv("NODE_OPTIONS", "--require ./does-not-exist.js")

    with NpmProject(registry) as app:
        installing = app.npm("install")
        assert (installing.output, installing.returncode) == (expected.output, expected.returncode)
        assert app.installed() == NESTED
        assert app.npm("ls --all").output == expected_ls.output
    assert not (tmp_path / "decoy-cache").exists()


@needs_npm
def test_the_scoped_override_exercise_checks_what_it_says(registry):
    everywhere = check_scoped_override({HOST: "1.0.0-alpha.28"}, registry)
    assert not everywhere
    assert everywhere.message == "every plugin gets the fixed host, but charts' own requirement was overridden too"
    assert not check_scoped_override({}, registry)
    scoped = check_scoped_override({EXPORT: {HOST: "1.0.0-alpha.28"}}, registry)
    assert scoped.passed, scoped
    assert scoped.message == "only the export plugin's pin is overridden: one host, 1.0.0-alpha.28; charts' range stands"


# -- the second exercise: release the plugin with a range ----------------------------------------

PLUGIN_JSON = "workspace/npm-export/package.json"
PINNED = '"@pinlab-toys/host": "1.0.0-alpha.27"'


@pytest.fixture
def next_release(tmp_path):
    from pinlab.exercises import WorkingCopy

    return WorkingCopy.of_example("npm-export", workspace=tmp_path / "workspace").reset()


def _range(copy, written):
    copy.edit(PINNED, f'"@pinlab-toys/host": "{written}"', "package.json")


@needs_npm
def test_the_plugin_range_exercise_untouched_keeps_a_nested_host(registry, next_release):
    before = list(registry.tarballs)
    check = check_plugin_range(next_release, registry)
    assert (check.passed, check.message, check.hint) == (
        False,
        'npm still installs host 1.0.0-alpha.27 and 1.0.0-alpha.28: your "1.0.0-alpha.27" does not admit '
        "1.0.0-alpha.28, which charts needs, so the plugin keeps a copy of its own.",
        "release a range, as chapter 1 did in Python: the oldest host release that works, as a lower bound")
    assert check.note.startswith(f"{PLUGIN_JSON} is still the original")
    assert registry.tarballs == before  # the trial release is not left in the chapter's registry


@needs_npm
@pytest.mark.parametrize("written", [">=1.0.0-alpha.27", "^1.0.0-alpha.27"])
def test_the_plugin_range_exercise_solution_passes(registry, next_release, written):
    _range(next_release, written)
    check = check_plugin_range(next_release, registry)
    assert check.passed, str(check)
    assert check.message == (f'Your release 0.3.0-alpha.2 ("{written}") lets the fix in: npm installs one host, '
                             "1.0.0-alpha.28, npm audit finds nothing and the export page is escaped; beside host "
                             "1.0.0-alpha.27 your plugin shares that copy too.")


@needs_npm
@pytest.mark.parametrize("written", ["1.0.0-alpha.28", ">=1.0.0-alpha.28"])
def test_the_plugin_range_exercise_pinning_the_fix_leaves_out_the_release_it_was_written_for(
        registry, next_release, written):
    _range(next_release, written)
    check = check_plugin_range(next_release, registry)
    assert (check.passed, check.message, check.hint) == (
        False,
        f'your "{written}" leaves out host 1.0.0-alpha.27, the release the plugin was written and tested for: '
        "beside an application that has it, npm gives your plugin a second copy of the host.",
        "state the oldest release that works as the lower bound")


@needs_npm
def test_the_plugin_range_exercise_broken_json_is_one_line_naming_the_file(registry, next_release):
    next_release.edit(PINNED, PINNED + ",", "package.json")  # the commonest slip in JSON
    # The learner's Python words it (3.13: "Illegal trailing comma ..." on line 8; before: "Expecting
    # property name ..." on line 9): the check passes its reading on, with the file's name.
    with pytest.raises(json.JSONDecodeError) as python_says:
        json.loads(next_release.file("package.json").read_text(encoding="utf-8"))
    check = check_plugin_range(next_release, registry)
    assert (check.passed, check.message, check.hint) == (
        False, f"{PLUGIN_JSON}, line {python_says.value.lineno}: not valid JSON: {python_says.value.msg}",
        "fix that in the file and save it, or start again with reset()")


@needs_npm
def test_publish_toys_packs_every_toy_in_one_npm_call(published):
    served, tarballs = published
    assert [str(tarball) for tarball in tarballs] == [
        "@pinlab-toys/charts@0.1.0", "@pinlab-toys/export@0.3.0-alpha.1",
        "@pinlab-toys/host@1.0.0-alpha.27", "@pinlab-toys/host@1.0.0-alpha.28"]
    assert [tarball.path.parent for tarball in served.tarballs] == [served._storage.path] * 4


@needs_npm
def test_the_plugin_range_exercise_dropping_the_dependency_is_not_a_fix(registry, next_release):
    next_release.edit(PINNED, "", "package.json")
    check = check_plugin_range(next_release, registry)
    assert (check.passed, check.message, check.hint) == (
        False, f"{PLUGIN_JSON} no longer depends on @pinlab-toys/host, which the plugin's index.js requires.",
        "keep the dependency on @pinlab-toys/host and change only its version range")
