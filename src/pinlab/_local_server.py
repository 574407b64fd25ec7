"""An HTTP server on 127.0.0.1, for the kit's local services: what they share, and nothing else.

:class:`~pinlab.AdvisoryService` (OSV, for pip-audit and uv audit) and
:class:`~pinlab.npm.NpmRegistry` (for npm) each answer their own requests with a handler of their
own; both listen the same way, which is this module's one job:

- on 127.0.0.1 only, on a port the system picks (nothing beyond this machine can reach them);
- one daemon thread per connection, a backlog for a classroom of clients connecting at once,
  and a time limit on a client that stays silent while sending its request;
- a client that hangs up or stalls is routine and goes to the debug log, not as a traceback into
  a learner's notebook; an error in the handler itself is logged as an error;
- serving in a daemon thread until the ``with`` block ends, ``close()``, or interpreter exit
  (``weakref.finalize``, which covers a Jupyter kernel shutting down): a forgotten server never
  keeps a kernel from exiting.

What a request may hold (body limits, the routes) stays with each service.
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

HOST = "127.0.0.1"
# Seconds a client may stay silent while sending its request, before the server gives up on it.
CLIENT_TIMEOUT = 30

_Open = TypeVar("_Open", bound="LocalServer")


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that logs to :mod:`logging` (debug) instead of stderr, and gives up on a
    client silent for :data:`CLIENT_TIMEOUT` seconds. Subclasses answer the requests."""

    timeout = CLIENT_TIMEOUT  # applied to the connection by socketserver
    # http.server answers a request line it cannot read as HTTP/0.9 would: a body without status
    # line or headers. No client speaks HTTP/0.9; answer such garbage as HTTP/1.0.
    default_request_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        # One line per request on stderr would clutter every notebook cell; the log is the
        # service's own (the module that defines the handler), where its users look.
        logging.getLogger(type(self).__module__).debug("%s: " + format, self.address_string(), *args)


_POLL = 0.05  # seconds


class LocalServer:
    """Serve *handler* on ``http://127.0.0.1:<port>`` in a background thread named *name* while open.

    *cleanup*, if given, runs once the server has stopped (e.g. removing a folder it served from).
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str,
                 cleanup: Callable[[], object] | None = None) -> None:
        self._server = _Server((HOST, 0), handler)
        # shutdown() waits for serve_forever() to look at its flag, which it does once per poll:
        # with the default 0.5 s poll, every close of a service or registry waited up to 0.5 s.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": _POLL},
                                        name=name, daemon=True)
        self._thread.start()
        self._finalizer = weakref.finalize(self, _stop, self._server, self._thread, cleanup)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def close(self) -> None:
        """Stop serving and release the port (safe to call twice)."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def __enter__(self: _Open) -> _Open:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _stop(server: ThreadingHTTPServer, thread: threading.Thread, cleanup: Callable[[], object] | None) -> None:
    server.shutdown()  # ends serve_forever() and waits for it
    server.server_close()  # releases the port
    thread.join()
    if cleanup is not None:
        cleanup()


class _Server(ThreadingHTTPServer):
    """One daemon thread per connection, and room for a classroom of clients at once."""

    # socketserver's default backlog is 5: with 200 clients connecting at once, most were reset.
    # The system caps this at its own limit (somaxconn).
    request_queue_size = 1024

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # socketserver prints a traceback to stderr (a learner's notebook) for any exception that
        # escapes a request. A client that hangs up or stalls is routine; anything else is a bug.
        error = sys.exc_info()[1]
        level = logging.DEBUG if isinstance(error, OSError) else logging.ERROR
        handler_log = logging.getLogger(self.RequestHandlerClass.__module__)
        handler_log.log(level, "request from %s:%s failed", *client_address[:2], exc_info=True)
