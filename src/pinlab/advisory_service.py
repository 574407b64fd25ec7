"""A tiny OSV-compatible advisory service on 127.0.0.1, for the real pip-audit to query offline.

It answers ``POST /v1/query`` as osv.dev does: ``{"vulns": [record, ...]}`` with the full OSV
records that affect the package version asked about, and ``{}`` when none does. That is the
only endpoint pip-audit's OSV backend uses (``pip_audit/_service/osv.py`` posts one query per
package; it never calls ``/v1/querybatch``), so it is the only one served.

The server listens on 127.0.0.1 only, on a port the system picks, in a background thread. It
stops when the ``with`` block ends, on :meth:`AdvisoryService.close`, and at interpreter exit
(``weakref.finalize``), which covers a Jupyter kernel shutting down; its thread is a daemon, so a
forgotten service can never keep a kernel from exiting.
"""

from __future__ import annotations

import json
import threading
import weakref
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .advisories import ECOSYSTEM, AdvisoryDatabase, load_advisories

HOST = "127.0.0.1"
QUERY_PATH = "/v1/query"
# A query is a few hundred bytes; anything far larger is a mistake, not a query.
_MAX_BODY = 64 * 1024


class BadQuery(ValueError):
    """A request the service cannot answer; the message is sent back with status 400."""


def answer(database: AdvisoryDatabase, query: object) -> dict:
    """The osv.dev answer to one ``/v1/query`` body (already parsed from JSON)."""
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
        return {}  # this service only holds PyPI records
    if version is not None:
        try:
            Version(version)
        except InvalidVersion:
            raise BadQuery(f"invalid PyPI version {version!r}") from None
    vulns = [dict(advisory.record) for advisory in database.query(name, version)]
    return {"vulns": vulns} if vulns else {}


class AdvisoryService:
    """Serve a folder of OSV records on ``http://127.0.0.1:<port>/v1/query`` while open.

    ``AdvisoryService()`` serves the kit's ``examples/advisories``; pass a folder or an
    :class:`~pinlab.advisories.AdvisoryDatabase` to serve others.
    """

    def __init__(self, advisories: AdvisoryDatabase | Path | str | None = None) -> None:
        if not isinstance(advisories, AdvisoryDatabase):
            advisories = load_advisories(advisories)
        self.database = advisories
        self._server = ThreadingHTTPServer((HOST, 0), _handler_for(advisories))
        self._thread = threading.Thread(target=self._server.serve_forever, name="pinlab-advisories", daemon=True)
        self._thread.start()
        self._finalizer = weakref.finalize(self, _stop, self._server, self._thread)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``"""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The query endpoint, what pip-audit's ``--osv-url`` wants."""
        return self.base_url + QUERY_PATH

    def close(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self) -> AdvisoryService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"serving on {HOST}"
        ids = ", ".join(advisory.id for advisory in self.database.advisories) or "no advisories"
        return f"AdvisoryService({state}: {ids})"


def _stop(server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    server.shutdown()  # ends serve_forever() and waits for it
    server.server_close()  # releases the port
    thread.join()


def _handler_for(database: AdvisoryDatabase) -> type[BaseHTTPRequestHandler]:
    class Handler(_QueryHandler):
        pass

    Handler.database = database
    return Handler


class _QueryHandler(BaseHTTPRequestHandler):
    database: AdvisoryDatabase
    server_version = "pinlab-advisories"

    def do_POST(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        if self.path != QUERY_PATH:
            self._send(HTTPStatus.NOT_FOUND, _error(f"no such endpoint {self.path!r}: POST {QUERY_PATH}", code=5))
            return
        try:
            self._send(HTTPStatus.OK, answer(self.database, self._read_json()))
        except BadQuery as exc:
            self._send(HTTPStatus.BAD_REQUEST, _error(str(exc)))

    def do_GET(self) -> None:  # noqa: N802
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, _error(f"use POST {QUERY_PATH}"), {"Allow": "POST"})

    def _read_json(self) -> object:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise BadQuery("the request has no valid Content-Length") from None
        if not 0 < length <= _MAX_BODY:
            raise BadQuery(f"the body must be 1 to {_MAX_BODY} bytes of JSON, not {length}")
        try:
            return json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadQuery(f"the body is not JSON: {exc}") from None

    def _send(self, status: HTTPStatus, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # one line per request on stderr would clutter every notebook cell


def _error(message: str, code: int = 3) -> dict:
    # osv.dev's errors are gRPC-style: {"code": 3, "message": "..."}; 3 is INVALID_ARGUMENT, 5 NOT_FOUND.
    return {"code": code, "message": message}
