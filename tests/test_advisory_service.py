"""The advisory service over real HTTP on 127.0.0.1, and that it never outlives its owner."""

import http.client
import json
import sys
import textwrap

import nbformat
import pytest
from nbclient import NotebookClient

from pinlab import AdvisoryService
from pinlab.advisories import load_advisories
from pinlab.process import clean_env, run
from pinlab.toys import examples_dir


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


def test_other_paths_and_methods_are_refused(service):
    assert post(service, query("toyhost", "1.0"), path="/v1/querybatch") == (
        404, {"code": 5, "message": "no such endpoint '/v1/querybatch': POST /v1/query"})
    assert post(service, b"", method="GET") == (405, {"code": 3, "message": "use POST /v1/query"})


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


def test_a_forgotten_service_stops_when_the_interpreter_exits():
    code = textwrap.dedent("""\
        from pinlab import AdvisoryService
        service = AdvisoryService()
        print(service.port, flush=True)
        """)  # never closed
    result = run([sys.executable, "-c", code], env=clean_env(), merge_output=False)
    assert result.ok, result.output
    assert refuses_connections(int(result.output))


def test_nothing_listens_after_a_notebook_kernel_ends(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from pinlab import AdvisoryService\nservice = AdvisoryService()\nservice.port"),
    ])  # a learner who never closes the service
    NotebookClient(notebook, kernel_name="python3", timeout=60,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    port = int(notebook.cells[0].outputs[0]["data"]["text/plain"])
    assert refuses_connections(port)
