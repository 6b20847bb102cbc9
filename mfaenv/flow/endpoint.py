"""The credential endpoint of `mfaenv exec --server`: the container credential contract on loopback. I/O edge.

Every SDK's default chain reads AWS_CONTAINER_CREDENTIALS_FULL_URI and sends
AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header; the answer is
JSON with AccessKeyId, SecretAccessKey, Token and Expiration. The endpoint
listens on 127.0.0.1 (older SDKs accept no other loopback name) on a port the
system picks, and answers that one GET with the session only when:

- the Host header is 127.0.0.1[:PORT] (a web page that rebinds a name to
  127.0.0.1 sends its own name: 403);
- the Authorization header is the token, compared in constant time (none: 401,
  another: 403);
- the path is the random one in the URI (404) and the method GET (405).

Nothing is logged (the stdlib's request log would go to the user's terminal),
each connection gets a short socket timeout and their number is capped; the
stdlib bounds the request line and headers (64 KiB each, 100 headers).
`answer()` is the whole decision, without sockets.
"""

from __future__ import annotations

import contextlib
import hmac
import http.server
import json
import socket
import threading
from collections.abc import Callable

from mfaenv.flow.keeper import Unavailable
from mfaenv.plan import Session, iso_utc

#: Seconds a connection may stay silent (botocore's own fetcher gives up after 2 s).
SOCKET_TIMEOUT = 5
#: Connections served at once; more are closed unanswered. A parallel terraform opens a few dozen.
MAX_CONNECTIONS = 64

Reply = tuple[int, dict[str, str]]


def _error(code: str, message: str) -> dict[str, str]:
    # Code and Message: the JS SDK reads these; botocore and the AWS CLI show the body.
    return {"Code": code, "Message": f"mfaenv: {message}"}


class Endpoint:
    """What the endpoint answers: one path, one token, one Host."""

    def __init__(self, get: Callable[[], Session], token: str, path: str) -> None:
        self._get = get
        self._token = token.encode("ascii")
        self.path = path
        self.port = 0  # set once bound

    def answer(self, method: str, path: str, hosts: list[str] | None, auths: list[str] | None) -> Reply:
        if not hosts or len(hosts) != 1:
            return 400, _error("BadRequest", "send exactly one Host header")
        if hosts[0] not in ("127.0.0.1", f"127.0.0.1:{self.port}"):
            return 403, _error("Forbidden", "this endpoint answers only requests to 127.0.0.1")
        if not auths:
            return 401, _error("Unauthorized", "no Authorization header: send AWS_CONTAINER_AUTHORIZATION_TOKEN")
        given = auths[0].encode("utf-8", "surrogateescape")
        if len(auths) != 1 or not hmac.compare_digest(given, self._token):
            return 403, _error("Forbidden", "the Authorization header is not this endpoint's token")
        if method != "GET":
            return 405, _error("MethodNotAllowed", "only GET")
        if path != self.path:
            return 404, _error("NotFound", "no such path")
        try:
            session = self._get()
        except Unavailable as e:
            return 500, _error("CredentialsUnavailable", e.message)
        if session.expiration is None or session.session_token is None:
            return 500, _error("CredentialsUnavailable", "the session has no expiry or token")
        return 200, {
            "AccessKeyId": session.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "Token": session.session_token,
            "Expiration": iso_utc(session.expiration),
        }


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: an SDK's refreshes reuse their connection
    disable_nagle_algorithm = True  # no 40 ms wait for a delayed ACK between two small writes
    timeout = SOCKET_TIMEOUT
    server_version = "mfaenv"
    sys_version = ""
    server: _Server

    def _reply(self) -> None:
        status, doc = self.server.endpoint.answer(
            self.command, self.path, self.headers.get_all("Host"), self.headers.get_all("Authorization")
        )
        body = json.dumps(doc).encode()
        # A request with a body we did not read, or a refusal: nothing more on this connection.
        if status != 200 or self.headers.get("Content-Length", "0") not in ("", "0"):
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if status == 405:
            self.send_header("Allow", "GET")
        if self.close_connection:
            self.send_header("Connection", "close")
        # Headers and body in one write: one packet, where two would wait on each other's ACK.
        self._headers_buffer.append(b"\r\n" + (body if self.command != "HEAD" else b""))  # type: ignore[attr-defined]
        self.flush_headers()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _reply  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # no request log: it would reach the user's terminal, and a path or header is nobody's business


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = MAX_CONNECTIONS  # a burst of connects (a parallel terraform) is queued, not dropped
    daemon_threads = True  # a connection left open does not keep mfaenv alive after the command
    block_on_close = False

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.endpoint = endpoint
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up mid-answer: the stdlib would print a traceback on the user's terminal

    def verify_request(self, request: object, client_address: object) -> bool:
        return self._slots.acquire(blocking=False)

    def process_request_thread(self, request: object, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[arg-type]
        finally:
            self._slots.release()


class Running:
    """The endpoint, listening and served by a daemon thread until close()."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._server = _Server(endpoint)  # OSError if 127.0.0.1 cannot be bound
        endpoint.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{endpoint.port}{endpoint.path}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="mfaenv-endpoint", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop listening: a connection after this is refused."""
        # shutdown() waits for the serve loop, which looks at its flag every half second:
        # a connection of our own wakes it at once, so mfaenv exits with the command.
        stopper = threading.Thread(target=self._server.shutdown, daemon=True)
        stopper.start()
        while stopper.is_alive():
            with contextlib.suppress(OSError):
                socket.create_connection(self._server.server_address[:2], timeout=1).close()
            stopper.join(0.05)
        self._server.server_close()
