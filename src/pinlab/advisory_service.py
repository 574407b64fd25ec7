"""A tiny OSV-compatible advisory service on 127.0.0.1, for the real pip-audit and uv audit to query offline.

It answers the three endpoints of osv.dev's API that the auditors use, with osv.dev's shapes:

- ``POST /v1/query``: ``{"vulns": [record, ...]}``, the full OSV records that affect the package
  version asked about, or ``{}`` when none does. pip-audit's OSV backend posts one such query per
  package (``pip_audit/_service/osv.py``).
- ``POST /v1/querybatch``: ``{"results": [{"vulns": [{"id": ..., "modified": ...}]}, {}, ...]}``,
  one entry per query in the order asked, with ids and modification times only. uv audit sends
  every locked package in one batch, then fetches each record it was told about by id
  (``crates/uv-audit/src/service/osv.rs``). The database is small enough that no answer is ever
  split into pages, so ``next_page_token`` is never sent.
- ``GET /v1/vulns/{id}``: one full record (withdrawn ones too, as osv.dev does).

uv audit joins ``v1/querybatch`` to its ``--service-url``: give it :attr:`AdvisoryService.base_url`
(``http://127.0.0.1:<port>``), not the query URL pip-audit's ``--osv-url`` wants.

The server listens on 127.0.0.1 only, on a port the system picks, in a background thread. It
stops when the ``with`` block ends, on :meth:`AdvisoryService.close`, and at interpreter exit
(``weakref.finalize``), which covers a Jupyter kernel shutting down; its thread is a daemon, so a
forgotten service can never keep a kernel from exiting. That much it shares with the npm
registry (:mod:`pinlab._local_server`); what a request may hold is this module's.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.version import InvalidVersion, Version

from ._local_server import HOST, LocalServer, QuietHandler
from .advisories import ECOSYSTEM, Advisory, AdvisoryDatabase, load_advisories

QUERY_PATH = "/v1/query"
BATCH_PATH = "/v1/querybatch"
VULNS_PATH = "/v1/vulns/"
ENDPOINTS = f"POST {QUERY_PATH}, POST {BATCH_PATH}, GET {VULNS_PATH}<id>"

# A query is a hundred bytes and a batch of a thousand is about 100 kB; anything far larger is a
# mistake, not a query, and is refused before it is read.
MAX_BODY = 1024 * 1024
MAX_BATCH = 1000  # osv.dev's own limit on queries per batch
# Versions in the wild are a few dozen characters; packaging turns every digit run into an int,
# which takes quadratic time (and, past 4,300 digits, is refused by Python 3.11+).
MAX_VERSION_LENGTH = 200

# Silent unless someone asks: logging.basicConfig(level=logging.DEBUG) shows every request and
# every client that hung up. Only a bug in this module is logged louder (as an error).
log = logging.getLogger(__name__)


class BadQuery(ValueError):
    """A request the service cannot answer; the message is sent back with status 400."""


def matching(database: AdvisoryDatabase, query: object) -> tuple[Advisory, ...]:
    """The advisories that answer one OSV query (already parsed from JSON), as osv.dev matches them."""
    if not isinstance(query, dict):
        raise BadQuery("the query must be a JSON object")
    if "commit" in query:
        raise BadQuery("commit queries are not supported: ask by package and version")
    package = query.get("package")
    if not isinstance(package, dict):
        raise BadQuery("the query has no 'package' object")
    if "purl" in package:
        raise BadQuery("purl queries are not supported: give package.name and package.ecosystem")
    name, ecosystem, version = package.get("name"), package.get("ecosystem"), query.get("version")
    if not isinstance(name, str) or not name:
        raise BadQuery("package.name must be a non-empty string")
    if not isinstance(ecosystem, str) or not ecosystem:
        raise BadQuery("package.ecosystem must be a non-empty string")
    if version is not None and not isinstance(version, str):
        raise BadQuery("version must be a string")
    if ecosystem != ECOSYSTEM:
        return ()  # this service only holds PyPI records
    if version is not None:
        if len(version) > MAX_VERSION_LENGTH:
            raise BadQuery(f"the version is {len(version)} characters long: no PyPI version is")
        try:
            Version(version)
        except InvalidVersion:
            raise BadQuery(f"invalid PyPI version {version!r}") from None
    return database.query(name, version)


def answer(database: AdvisoryDatabase, query: object) -> dict:
    """The osv.dev answer to one ``/v1/query`` body: the full records, or ``{}``."""
    vulns = [dict(advisory.record) for advisory in matching(database, query)]
    return {"vulns": vulns} if vulns else {}


def answer_batch(database: AdvisoryDatabase, body: object) -> dict:
    """The osv.dev answer to one ``/v1/querybatch`` body: ids and modification times per query."""
    if not isinstance(body, dict) or not isinstance(body.get("queries"), list):
        raise BadQuery("the body must be a JSON object with a 'queries' list")
    queries = body["queries"]
    if len(queries) > MAX_BATCH:
        raise BadQuery(f"a batch holds at most {MAX_BATCH} queries, not {len(queries)}")
    results = []
    for position, query in enumerate(queries):
        try:
            found = matching(database, query)
        except BadQuery as exc:
            raise BadQuery(f"queries[{position}]: {exc}") from None
        summaries = [{"id": advisory.id, "modified": advisory.modified} for advisory in found]
        results.append({"vulns": summaries} if summaries else {})
    return {"results": results}


def record(database: AdvisoryDatabase, vuln_id: str) -> dict | None:
    """The full record with id *vuln_id*, withdrawn or not, as ``GET /v1/vulns/{id}`` answers; else None."""
    for advisory in database.advisories:
        if advisory.id == vuln_id:
            return dict(advisory.record)
    return None


class AdvisoryService(LocalServer):
    """Serve a folder of OSV records on ``http://127.0.0.1:<port>`` while open.

    ``AdvisoryService()`` serves the kit's ``examples/advisories``; pass a folder or an
    :class:`~pinlab.advisories.AdvisoryDatabase` to serve others.
    """

    def __init__(self, advisories: AdvisoryDatabase | Path | str | None = None) -> None:
        if not isinstance(advisories, AdvisoryDatabase):
            advisories = load_advisories(advisories)
        self.database = advisories
        super().__init__(_handler_for(advisories), "pinlab-advisories")

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, what uv audit's ``--service-url`` wants."""
        return super().base_url

    @property
    def url(self) -> str:
        """The query endpoint, what pip-audit's ``--osv-url`` wants."""
        return self.base_url + QUERY_PATH

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"serving on {HOST}"
        ids = ", ".join(advisory.id for advisory in self.database.advisories) or "no advisories"
        return f"AdvisoryService({state}: {ids})"


def _handler_for(database: AdvisoryDatabase) -> type[BaseHTTPRequestHandler]:
    class Handler(_OsvHandler):
        pass

    Handler.database = database
    return Handler


class _Refused(Exception):
    """An HTTP error answer: status, message, extra headers."""

    def __init__(self, status: HTTPStatus, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class _OsvHandler(QuietHandler):  # a client silent for 30 s is given up on (pinlab._local_server)
    database: AdvisoryDatabase
    server_version = "pinlab-advisories"

    def do_GET(self) -> None:  # noqa: N802 (the names http.server dispatches to)
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self._answer()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server calls this for what it refuses before any do_* method runs: a malformed
        # request line or headers (400, 414, 431...), and a method with no do_* method (501, as
        # an HTML page). Answer in JSON like everything else, an unknown method with 405.
        if code == HTTPStatus.NOT_IMPLEMENTED and self.command:
            self._answer()
            return
        status = HTTPStatus(code)
        self._send(status, _error(status, message or status.phrase))

    def _answer(self) -> None:
        try:
            status, body, headers = HTTPStatus.OK, self._route(), {}
        except _Refused as refusal:
            status, body, headers = refusal.status, _error(refusal.status, refusal.message), refusal.headers
        except OSError:
            raise  # the client hung up or stalled: logged at debug level by pinlab._local_server
        except Exception as exc:  # a bug here: the client still gets an answer, the log the traceback
            log.error("cannot answer %r", self.requestline, exc_info=True)
            status, body, headers = HTTPStatus.INTERNAL_SERVER_ERROR, _error(
                HTTPStatus.INTERNAL_SERVER_ERROR, f"the service failed: {type(exc).__name__}: {exc}"), {}
        self._send(status, body, headers)

    def _route(self) -> dict:
        path = urlsplit(self.path).path
        if path in (QUERY_PATH, BATCH_PATH):
            allowed = "POST"
        elif path.startswith(VULNS_PATH) and path != VULNS_PATH:
            allowed = "GET"
        else:
            raise _Refused(HTTPStatus.NOT_FOUND, f"no such endpoint {path!r}: the service answers {ENDPOINTS}")
        if self.command != allowed:
            raise _Refused(HTTPStatus.METHOD_NOT_ALLOWED, f"use {allowed} {path}", {"Allow": allowed})
        if allowed == "GET":
            vuln_id = unquote(path[len(VULNS_PATH):])
            found = record(self.database, vuln_id)
            if found is None:
                raise _Refused(HTTPStatus.NOT_FOUND, f"no advisory with id {vuln_id!r}")
            return found
        body = self._read_json()
        try:
            return answer(self.database, body) if path == QUERY_PATH else answer_batch(self.database, body)
        except BadQuery as exc:
            raise _Refused(HTTPStatus.BAD_REQUEST, str(exc)) from None

    def _read_json(self) -> object:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked")
        declared = self.headers.get("Content-Length")
        if declared is None:
            raise _Refused(HTTPStatus.LENGTH_REQUIRED, "the request has no Content-Length")
        try:
            length = int(declared)
        except ValueError:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"invalid Content-Length {declared[:40]!r}") from None
        if length > MAX_BODY:
            raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                           f"the body is {length} bytes: the service reads at most {MAX_BODY}")
        if length <= 0:
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body is empty: send a JSON query")
        try:
            data = self.rfile.read(length)
        except TimeoutError:
            raise _Refused(HTTPStatus.REQUEST_TIMEOUT,
                           f"the body did not arrive: nothing came for {self.timeout} s") from None
        if len(data) < length:  # the client stopped sending
            raise _Refused(HTTPStatus.BAD_REQUEST, f"the body ended after {len(data)} of {length} bytes")
        try:
            return json.loads(data.decode("utf-8"), parse_int=_short_int)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _Refused(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {exc}") from None
        except RecursionError:
            raise _Refused(HTTPStatus.BAD_REQUEST, "the body is not a query: its JSON is nested too deeply") from None
        except BadQuery as exc:
            raise _Refused(HTTPStatus.BAD_REQUEST, str(exc)) from None

    def _send(self, status: HTTPStatus, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _short_int(digits: str) -> int:
    # json.loads calls int() on every run of digits: quadratic time, and a ValueError past 4,300
    # digits on Python 3.11+. No query holds a number anyway.
    if len(digits) > 30:
        raise BadQuery(f"the body holds a {len(digits)}-digit number: a query holds none")
    return int(digits)


# osv.dev's errors are gRPC-style: {"code": 3, "message": "..."}.
_GRPC_CODES = {
    HTTPStatus.NOT_FOUND: 5,  # NOT_FOUND
    HTTPStatus.METHOD_NOT_ALLOWED: 12,  # UNIMPLEMENTED
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: 8,  # RESOURCE_EXHAUSTED
    HTTPStatus.REQUEST_TIMEOUT: 4,  # DEADLINE_EXCEEDED
    HTTPStatus.INTERNAL_SERVER_ERROR: 13,  # INTERNAL
}


def _error(status: HTTPStatus, message: str) -> dict:
    return {"code": _GRPC_CODES.get(status, 3), "message": message}  # 3: INVALID_ARGUMENT
