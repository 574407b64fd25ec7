"""The advisory service under the load and the abuse a classroom gives it, over real sockets.

No assertion here is about time: every wait has a generous limit and only guards against a hang,
so a loaded two-core machine makes these tests slower, never red.
"""

import http.client
import json
import logging
import socket
import struct
import sys
import threading
import time

import pytest

from pinlab import AdvisoryService
from pinlab.advisories import AdvisoryDatabase, load_advisories

# SO_LINGER on, for 0 s: close() then resets the connection. Windows' struct linger has two shorts.
LINGER_0 = struct.pack("hh" if sys.platform == "win32" else "ii", 1, 0)
# Long enough for a machine under load, short enough that a hang ends the test in reasonable time.
PATIENCE = 120


def query(name, version):
    return {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}


def post(service, body, path="/v1/query"):
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=PATIENCE)
    try:
        connection.request("POST", path, body=body if isinstance(body, bytes) else json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def raw(service, request: bytes):
    """Send *request* as it is (http.client would refuse to send most of these) and read the whole
    answer: the service closes every connection after one response (HTTP/1.0)."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=PATIENCE) as client:
        client.sendall(request)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, json.loads(body)


def request_with_body(body: bytes, path="/v1/query") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


@pytest.fixture(scope="module")
def service():
    with AdvisoryService() as running:
        yield running


def test_two_hundred_clients_at_once_are_all_answered(service):
    clients = 200
    everyone_ready = threading.Barrier(clients)
    answers, failures = [], []

    def client(number):
        version = "1.0a27" if number % 2 else "1.0a28"
        try:
            everyone_ready.wait(timeout=PATIENCE)  # then all connect at the same moment
            status, body = post(service, query("toyhost", version))
            answers.append((status, [vuln["id"] for vuln in body.get("vulns", [])], version))
        except Exception as exc:  # noqa: BLE001 (any failure is what this test counts)
            failures.append(repr(exc))

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PATIENCE)
    assert failures == []
    assert sorted(answers, key=lambda a: a[2]) == sorted(
        [(200, ["TOYSEC-2026-1"], "1.0a27")] * 100 + [(200, [], "1.0a28")] * 100, key=lambda a: a[2])


MALFORMED_BODIES = [
    (b"[" * 60_000, "the body is not a query: its JSON is nested too deeply"),
    (b'{"version": ' + b"7" * 5_000 + b"}", "the body holds a 5000-digit number: a query holds none"),
    (json.dumps(query("toyhost", "1" * 60_000)).encode(),
     "the version is 60000 characters long: no PyPI version is"),
    (json.dumps(query("toyhost", "1." + "1" * 150)).encode(), None),  # long but a version: answered
    (b"\xff\xfe", "the body is not JSON: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    (b'{"package": {"name": ["toyhost"], "ecosystem": "PyPI"}}', "package.name must be a non-empty string"),
    (b"null", "the query must be a JSON object"),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED_BODIES, ids=lambda value: str(value)[:24])
def test_a_malformed_body_gets_a_json_400_and_the_service_keeps_serving(service, body, message, capfd):
    status, _, answer = raw(service, request_with_body(body))
    if message is None:
        assert (status, answer) == (200, {})
    else:
        assert (status, answer) == (400, {"code": 3, "message": message})
    assert post(service, query("toyhost", "1.0a28")) == (200, {})
    assert capfd.readouterr().err == ""


def test_a_malformed_batch_gets_a_json_400(service):
    status, _, answer = raw(service, request_with_body(b'{"queries": ' + b"[" * 60_000, path="/v1/querybatch"))
    assert (status, answer) == (400, {"code": 3, "message": "the body is not a query: its JSON is nested too deeply"})


@pytest.mark.parametrize(("request_bytes", "status", "message"), [
    (b"POST /v1/query HTTP/1.1\r\nHost: x\r\n\r\n", 411, "the request has no Content-Length"),
    (b"POST /v1/query HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411,
     "send the body with a Content-Length, not chunked"),
    (b"POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413,
     "the body is 99999999 bytes: the service reads at most 1048576"),
    (b"POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n", 400, "invalid Content-Length 'lots'"),
    (b"POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 400, "the body is empty: send a JSON query"),
    (b"POST /v1/query HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{}", None, None),  # see below
    (b"BREW /v1/query HTTP/1.1\r\n\r\n", 405, "use POST /v1/query"),
    (b"GET /nowhere HTTP/1.1\r\n\r\n", 404, "no such endpoint '/nowhere': the service answers "
                                           "POST /v1/query, POST /v1/querybatch, GET /v1/vulns/<id>"),
    (b"GET /v1/vulns/TOYSEC-2026-1 HTTP/9.9\r\n\r\n", 505, "Invalid HTTP version (9.9)"),
    (b"nonsense\r\n\r\n", 400, "Bad request syntax ('nonsense')"),
], ids=lambda value: value.decode(errors="replace")[:30] if isinstance(value, bytes) else str(value))
def test_every_refusal_is_json(service, request_bytes, status, message):
    if status is None:  # a body shorter than announced: the client half-closes to say it is done
        with socket.create_connection(("127.0.0.1", service.port), timeout=PATIENCE) as client:
            client.sendall(request_bytes)
            client.shutdown(socket.SHUT_WR)
            answer = b"".join(iter(lambda: client.recv(65536), b""))
        status, message = 400, "the body ended after 2 of 40 bytes"
        assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.0 400 Bad Request"
        assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {"code": 3, "message": message}
        return
    got_status, headers, answer = raw(service, request_bytes)
    assert (got_status, headers["Content-Type"]) == (status, "application/json")
    assert answer["message"] == message


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/v1/query", "POST"), ("DELETE", "/v1/querybatch", "POST"), ("PATCH", "/v1/vulns/TOYSEC-2026-1", "GET"),
    ("GET", "/v1/querybatch", "POST"), ("POST", "/v1/vulns/TOYSEC-2026-1", "GET"), ("OPTIONS", "/v1/query", "POST"),
])
def test_other_methods_get_405_with_allow(service, method, path, allow):
    # No body: one the service does not read could turn its answer into a reset on some systems.
    status, headers, answer = raw(service, f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert (status, headers["Allow"], answer) == (405, allow, {"code": 12, "message": f"use {allow} {path}"})


def test_head_gets_the_status_without_a_body(service):
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=PATIENCE)
    try:
        connection.request("HEAD", "/v1/query")
        response = connection.getresponse()
        assert (response.status, response.getheader("Allow"), response.read()) == (405, "POST", b"")
    finally:
        connection.close()


def wait_for(condition, what):
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_clients_that_hang_up_mid_request_print_nothing(service, capfd, caplog):
    caplog.set_level(logging.DEBUG, logger="pinlab.advisory_service")
    stderr = []

    def handled(count):
        stderr.append(capfd.readouterr().err)
        ended = [r for r in caplog.records if r.getMessage().startswith("request from 127.0.0.1:")]
        return "".join(stderr) or len(ended) >= count

    for number in range(1, 6):
        client = socket.create_connection(("127.0.0.1", service.port), timeout=PATIENCE)
        client.sendall(b"POST /v1/query HTTP/1.1\r\nContent-Length: 500\r\n\r\n{\"package\": ")
        # Close with a reset (linger 0), as a killed client or a dropped network does.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_0)
        client.close()
        wait_for(lambda: handled(number), "the service to notice the client left")  # noqa: B023
    assert "".join(stderr) == ""
    assert post(service, query("toyhost", "1.0a28")) == (200, {})


def test_a_client_that_stalls_gets_408_after_the_connection_timeout(monkeypatch, capfd):
    with AdvisoryService() as service:
        # A small limit: what is tested is the answer at the limit, not its default length (each stall waits it out).
        monkeypatch.setattr(service._server.RequestHandlerClass, "timeout", 0.25)
        with socket.create_connection(("127.0.0.1", service.port), timeout=PATIENCE) as client:
            client.sendall(b"POST /v1/query HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")  # and then nothing
            answer = b"".join(iter(lambda: client.recv(65536), b""))
        assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.0 408 Request Timeout"
        assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {
            "code": 4, "message": "the body did not arrive: nothing came for 0.25 s"}
        with socket.create_connection(("127.0.0.1", service.port), timeout=PATIENCE) as silent:
            assert silent.recv(100) == b""  # a client that never sends a request line: closed quietly
    assert capfd.readouterr().err == ""


def test_nothing_listens_after_close_even_with_a_client_stalled(capfd):
    service = AdvisoryService()
    port = service.port
    stalled = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
    try:
        stalled.sendall(b"POST /v1/query HTTP/1.1\r\nContent-Length: 50\r\n\r\n")
        closing = threading.Thread(target=service.close)
        closing.start()
        closing.join(timeout=PATIENCE)
        assert not closing.is_alive(), "close() waited for a stalled client"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=PATIENCE).close()
    finally:
        stalled.close()
    assert capfd.readouterr().err == ""


class BrokenDatabase(AdvisoryDatabase):
    def query(self, name, version=None):
        raise RuntimeError(f"cannot look up {name}")


def test_a_bug_in_the_service_is_a_json_500_and_logged(caplog):
    caplog.set_level(logging.DEBUG, logger="pinlab.advisory_service")
    with AdvisoryService(BrokenDatabase(load_advisories().advisories)) as service:
        assert post(service, query("toyhost", "1.0a27")) == (
            500, {"code": 13, "message": "the service failed: RuntimeError: cannot look up toyhost"})
        status, _, record = raw(service, b"GET /v1/vulns/TOYSEC-2026-1 HTTP/1.1\r\n\r\n")
        assert (status, record["id"]) == (200, "TOYSEC-2026-1")
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.getMessage() == "cannot answer 'POST /v1/query HTTP/1.1'"
    assert "RuntimeError: cannot look up toyhost" in caplog.text
