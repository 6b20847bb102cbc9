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
request line and headers together are at most MAX_HEAD (the stdlib's bounds, 64 KiB
a line and 100 headers, let each stranger's connection hold 6 MiB). Anyone on
the machine can connect without the token: at the cap, the oldest connection that
has not shown the token is dropped for the new one, so strangers holding every
slot (silent, or dripping a header) cannot shut the command out.
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
#: Connections served at once; beyond, a stranger's (no token shown yet) makes room.
#: A parallel terraform opens a few dozen.
MAX_CONNECTIONS = 64
#: Bytes of request line and headers read for one request; an SDK's take under 1 KiB. Beyond: dropped unanswered.
MAX_HEAD = 16 * 1024

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

    def knows(self, auths: list[str] | None) -> bool:
        """Whether the Authorization header is the token (constant time)."""
        if not auths or len(auths) != 1:
            return False
        return hmac.compare_digest(auths[0].encode("utf-8", "surrogateescape"), self._token)

    def answer(self, method: str, path: str, hosts: list[str] | None, auths: list[str] | None) -> Reply:
        if not hosts or len(hosts) != 1:
            return 400, _error("BadRequest", "send exactly one Host header")
        if hosts[0] not in ("127.0.0.1", f"127.0.0.1:{self.port}"):
            return 403, _error("Forbidden", "this endpoint answers only requests to 127.0.0.1")
        if not auths:
            return 401, _error("Unauthorized", "no Authorization header: send AWS_CONTAINER_AUTHORIZATION_TOKEN")
        if not self.knows(auths):
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


class _Capped:
    """A connection's reader that reads at most MAX_HEAD bytes of lines per request."""

    def __init__(self, raw: object) -> None:
        self._raw = raw
        self.left = MAX_HEAD

    def readline(self, limit: int = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionAbortedError("request head too long")  # ends the connection; handle_error is quiet
        most = self.left if limit < 0 else min(limit, self.left)
        line: bytes = self._raw.readline(most)  # type: ignore[attr-defined]
        self.left -= len(line)
        return line

    def __getattr__(self, name: str) -> object:
        return getattr(self._raw, name)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: an SDK's refreshes reuse their connection
    disable_nagle_algorithm = True  # no 40 ms wait for a delayed ACK between two small writes
    timeout = SOCKET_TIMEOUT
    server_version = "mfaenv"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.rfile = _Capped(self.rfile)  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        self.rfile.left = MAX_HEAD  # type: ignore[attr-defined] # each request of a kept-alive connection
        super().handle_one_request()

    def _reply(self) -> None:
        auths = self.headers.get_all("Authorization")
        if self.server.endpoint.knows(auths):  # the command's: not a stranger's to drop, even while it waits
            self.server.trust(self.request)
        status, doc = self.server.endpoint.answer(self.command, self.path, self.headers.get_all("Host"), auths)
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
        self._lock = threading.Lock()
        self._open: dict[object, bool] = {}  # each connection: has it shown the token? Oldest first.

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up mid-answer: the stdlib would print a traceback on the user's terminal

    def verify_request(self, request: object, client_address: object) -> bool:
        with self._lock:
            if len(self._open) >= MAX_CONNECTIONS:
                stranger = next((c for c, trusted in self._open.items() if not trusted), None)
                if stranger is None:
                    return False  # all the command's own
                del self._open[stranger]
                with contextlib.suppress(OSError):
                    stranger.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined] # wakes its thread, which ends
            self._open[request] = False
            return True

    def trust(self, request: object) -> None:
        with self._lock:
            if request in self._open:
                self._open[request] = True

    def process_request_thread(self, request: object, client_address: object) -> None:
        try:
            super().process_request_thread(request, client_address)  # type: ignore[arg-type]
        finally:
            with self._lock:
                self._open.pop(request, None)


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
