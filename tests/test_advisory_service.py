"""The advisory service over real HTTP on 127.0.0.1, and that it never outlives its owner."""

import gc
import http.client
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from pinlab import AdvisoryService
from pinlab.advisories import load_advisories
from pinlab.process import clean_env
from pinlab.sandbox import has_uv, uv_binary
from pinlab.toys import examples_dir

UV_AUDIT_SAMPLE = Path(__file__).parent / "data" / "uv-audit-sample.json"


def post(service_or_port, body, path="/v1/query", method="POST"):
    """Send one request with the standard library's client (it ignores proxy settings)."""
    port = service_or_port if isinstance(service_or_port, int) else service_or_port.port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        connection.request(method, path, body=data if method == "POST" else None,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def query(name, version):
    return {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}


def refuses_connections(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.connect()
    except ConnectionRefusedError:
        return True
    finally:
        connection.close()
    return False


@pytest.fixture(scope="module")
def service():
    with AdvisoryService() as running:
        yield running


def test_a_vulnerable_version_gets_the_full_record(service):
    status, body = post(service, query("toyhost", "1.0a27"))
    record = json.loads((examples_dir() / "advisories" / "TOYSEC-2026-1.json").read_text(encoding="utf-8"))
    assert (status, body) == (200, {"vulns": [record]})


@pytest.mark.parametrize("version", ["1.0a28", "1.0rc1", "2.0"])
def test_no_match_is_an_empty_object(service, version):
    assert post(service, query("toyhost", version)) == (200, {})


def test_unknown_packages_and_other_ecosystems_get_an_empty_object(service):
    assert post(service, query("toyhost-export", "0.3a1")) == (200, {})
    assert post(service, {"package": {"name": "toyhost", "ecosystem": "npm"}, "version": "1.0.0"}) == (200, {})


def test_names_are_normalised(service):
    status, body = post(service, query("ToyHost", "1.0a27"))
    assert status == 200 and [vuln["id"] for vuln in body["vulns"]] == ["TOYSEC-2026-1"]


def test_a_query_without_version_lists_every_record_for_the_package(service):
    status, body = post(service, {"package": {"name": "toyhost", "ecosystem": "PyPI"}})
    assert status == 200 and [vuln["id"] for vuln in body["vulns"]] == ["TOYSEC-2026-1"]


@pytest.mark.parametrize(("body", "message"), [
    (b"not json", "the body is not JSON: Expecting value: line 1 column 1 (char 0)"),
    (b"[]", "the query must be a JSON object"),
    ({"version": "1.0"}, "the query has no 'package' object"),
    ({"package": {"ecosystem": "PyPI"}, "version": "1.0"}, "package.name must be a non-empty string"),
    ({"package": {"name": "toyhost"}, "version": "1.0"}, "package.ecosystem must be a non-empty string"),
    (query("toyhost", 1.0), "version must be a string"),
    (query("toyhost", "soon"), "invalid PyPI version 'soon'"),
    ({"package": {"purl": "pkg:pypi/toyhost@1.0a27"}},
     "purl queries are not supported: give package.name and package.ecosystem"),
    ({"commit": "abc123"}, "commit queries are not supported: ask by package and version"),
])
def test_a_bad_request_gets_400_with_a_message_and_the_service_keeps_serving(service, body, message):
    assert post(service, body) == (400, {"code": 3, "message": message})
    assert post(service, query("toyhost", "1.0a28")) == (200, {})


def test_a_batch_gets_ids_and_modified_times_in_the_order_asked(service):
    body = {"queries": [query("toyhost-export", "0.3a1"), query("toyhost", "1.0a27"), query("toyhost", "1.0a28"),
                        {"package": {"name": "toyhost", "ecosystem": "PyPI"}}]}
    assert post(service, body, path="/v1/querybatch") == (200, {"results": [
        {},
        {"vulns": [{"id": "TOYSEC-2026-1", "modified": "2026-06-20T09:00:00Z"}]},
        {},
        {"vulns": [{"id": "TOYSEC-2026-1", "modified": "2026-06-20T09:00:00Z"}]},
    ]})
    assert post(service, {"queries": []}, path="/v1/querybatch") == (200, {"results": []})


@pytest.mark.parametrize(("body", "message"), [
    ([], "the body must be a JSON object with a 'queries' list"),
    ({"queries": {}}, "the body must be a JSON object with a 'queries' list"),
    ({"queries": [query("toyhost", "1.0a27"), query("toyhost", "soon")]}, "queries[1]: invalid PyPI version 'soon'"),
    ({"queries": [query("toyhost", "1.0")] * 1001}, "a batch holds at most 1000 queries, not 1001"),
])
def test_a_bad_batch_gets_400_naming_the_query(service, body, message):
    assert post(service, body, path="/v1/querybatch") == (400, {"code": 3, "message": message})


def test_a_record_is_served_by_id(service):
    record = json.loads((examples_dir() / "advisories" / "TOYSEC-2026-1.json").read_text(encoding="utf-8"))
    assert post(service, b"", path="/v1/vulns/TOYSEC-2026-1", method="GET") == (200, record)
    assert post(service, b"", path="/v1/vulns/TOYSEC-2026-9", method="GET") == (
        404, {"code": 5, "message": "no advisory with id 'TOYSEC-2026-9'"})


def test_other_paths_and_methods_are_refused(service):
    endpoints = "POST /v1/query, POST /v1/querybatch, GET /v1/vulns/<id>"
    # What uv audit asks for when given the query URL instead of the base URL.
    assert post(service, {"queries": []}, path="/v1/v1/querybatch") == (
        404, {"code": 5, "message": f"no such endpoint '/v1/v1/querybatch': the service answers {endpoints}"})
    assert post(service, b"", method="GET") == (405, {"code": 12, "message": "use POST /v1/query"})
    assert post(service, query("toyhost", "1.0a27"), path="/v1/vulns/TOYSEC-2026-1") == (
        405, {"code": 12, "message": "use GET /v1/vulns/TOYSEC-2026-1"})


def test_it_listens_on_loopback_only_and_says_where(service):
    assert service._server.server_address[0] == "127.0.0.1"
    assert service.url == f"http://127.0.0.1:{service.port}/v1/query"
    assert repr(service) == "AdvisoryService(serving on 127.0.0.1: TOYSEC-2026-1)"


def test_it_serves_a_database_given_to_it(tmp_path):
    (tmp_path / "empty.json").write_text("{}")
    database = load_advisories(tmp_path)
    with AdvisoryService(database) as service:
        assert post(service, query("toyhost", "1.0a27")) == (200, {})
        assert service.database.problems == database.problems


def test_nothing_listens_after_the_with_block():
    with AdvisoryService() as service:
        port = service.port
        assert post(port, query("toyhost", "1.0a28")) == (200, {})
    assert service.closed and refuses_connections(port)
    assert repr(service) == "AdvisoryService(closed: TOYSEC-2026-1)"
    service.close()  # closing twice is harmless


def test_a_forgotten_service_frees_its_port_while_the_process_lives():
    # The OS frees every port when a process exits; what pinlab must do is stop a service nobody
    # holds any more, while the interpreter (a learner's kernel) goes on running.
    service = AdvisoryService()  # never closed
    port = service.port
    assert post(port, query("toyhost", "1.0a28")) == (200, {})
    del service
    gc.collect()
    assert refuses_connections(port)


def test_re_running_a_notebook_cell_frees_the_first_service_while_the_kernel_lives(tmp_path):
    cell = "from pinlab import AdvisoryService\nservice = AdvisoryService()\nservice.port"
    check = textwrap.dedent("""\
        import gc, http.client
        gc.collect()
        connection = http.client.HTTPConnection("127.0.0.1", first, timeout=5)
        try:
            connection.connect()
            print("still listening")
        except ConnectionRefusedError:
            print("refused")
        finally:
            connection.close()
        """)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(cell), nbformat.v4.new_code_cell("first = _"),
        nbformat.v4.new_code_cell(cell),  # the learner runs the cell again, never closing the first
        nbformat.v4.new_code_cell(check),
    ])
    NotebookClient(notebook, kernel_name="python3", timeout=60,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert notebook.cells[3].outputs[0]["text"] == "refused\n"


# --- the real uv audit against the service -------------------------------------------------------

def uv_env():
    """The caller's uv settings and proxies dropped: uv must reach 127.0.0.1 directly."""
    env = clean_env({"UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"})
    env = {key: value for key, value in env.items()
           if key.lower() not in {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}}
    return {**env, "NO_PROXY": "127.0.0.1"}


def uv(*args, cwd):
    return subprocess.run([uv_binary(), *args], cwd=cwd, env=uv_env(), capture_output=True, encoding="utf-8",
                          stdin=subprocess.DEVNULL, timeout=300, check=False)


@pytest.fixture
def locked_project(tmp_path, toys_index):
    """Lock a project that depends on *requirement*, from the toy index, offline; return its folder."""
    if not has_uv():
        pytest.skip("uv is not installed")
    if uv("audit", "--help", cwd=tmp_path).returncode != 0:
        pytest.skip("this uv has no audit command (uv audit came with uv 0.13)")

    def lock(requirement):
        project = tmp_path / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text(
            f'[project]\nname = "site"\nversion = "1.0"\nrequires-python = ">=3.10"\n'
            f'dependencies = ["{requirement}"]\n', encoding="utf-8")
        # A file: URL, not the path: uv splits --find-links at commas, even on the command line.
        locked = uv("lock", "--offline", "--no-index", "--find-links", toys_index.path.as_uri(),
                    "--cache-dir", str(tmp_path / "uv-cache"), "--python", sys.executable, cwd=project)
        assert locked.returncode == 0, locked.stderr
        return project

    return lock


def uv_audit(project, service):
    # A fresh cache: uv keeps query answers for 30 minutes and records for an hour.
    done = uv("audit", "--frozen", "--service-url", service.base_url, "--output-format", "json",
              "--cache-dir", str(project / "audit-cache"), cwd=project)
    return done.returncode, json.loads(done.stdout)


def test_uv_audit_finds_the_advisory_through_the_service(service, locked_project):
    project = locked_project("toyhost-export==0.3a1")  # chapter 3's plugin, which pins toyhost==1.0a27
    status, report = uv_audit(project, service)
    # The sample other tests read as "what uv audit says": it must be what it really says.
    assert (status, report) == (1, json.loads(UV_AUDIT_SAMPLE.read_text(encoding="utf-8")))
    assert [(v["dependency"], v["id"], v["fix_versions"]) for v in report["vulnerabilities"]] == [
        ({"name": "toyhost", "version": "1.0a27"}, "TOYSEC-2026-1", ["1.0a28"])]


def test_uv_audit_finds_nothing_once_the_fix_is_locked(service, locked_project):
    project = locked_project("toyhost-export==0.3a2")  # the ranged plugin: toyhost 2.0 is locked
    status, report = uv_audit(project, service)
    assert (status, report["summary"], report["vulnerabilities"]) == (
        0, {"audited_packages": 2, "vulnerabilities": 0, "adverse_statuses": 0}, [])
