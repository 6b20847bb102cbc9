"""`mfaenv console` under attack: a federation endpoint that answers oddly, BROWSER mistakes, closed streams.

The endpoint here is a raw socket on loopback, so it can say what no HTTP
server would; the CLI runs are test_console.py's fixtures (moto's STS, the
stand-in federation endpoint).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mfaenv.aws import federation
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session
from tests import test_console as base
from tests.helpers import Mfaenv
from tests.test_console import Signin

# test_console's fixtures: the stand-in endpoint, the role profiles, the CLI that checks stderr for secrets.
signin, roles, mfaenv = base.signin, base.roles, base.mfaenv

SESSION = Session("ASIAREVIEWEXAMPLE001", "review-secret-key", "review-session-token", None, "p")
#: What the endpoint may spend: a dripping one would run this long (and then hang up) if nothing stopped the call.
DRIP_FOR = 20


@contextlib.contextmanager
def raw_endpoint(answer: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """A loopback listener that reads one request and lets `answer` write whatever bytes it likes."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(65536)
                answer(conn, stop)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(DRIP_FOR + 5)


def _nested(conn: socket.socket, stop: threading.Event) -> None:
    body = b"[" * 50_000  # json.loads raises RecursionError, which is not a ValueError
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def _continue_forever(conn: socket.socket, stop: threading.Event) -> None:
    # http.client skips any number of 100 answers, each well within the socket timeout.
    end = time.monotonic() + DRIP_FOR
    while not stop.wait(0.05) and time.monotonic() < end:
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")


def _header_drip(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    end = time.monotonic() + DRIP_FOR
    while not stop.wait(0.15) and time.monotonic() < end:
        conn.sendall(b"X-Drip: 1\r\n")  # 100 of these take 15 s; http.client then gives up on them


@pytest.mark.parametrize(
    ("answer", "code", "said"),
    [
        (_nested, Exit.AWS, "answered with something that is not a sign-in token"),
        (_continue_forever, Exit.NETWORK, "did not answer within 2 s"),
        (_header_drip, Exit.NETWORK, "did not answer within 2 s"),
    ],
)
def test_a_hostile_endpoint_is_one_refusal_within_the_deadline(
    answer: Callable[[socket.socket, threading.Event], None], code: Exit, said: str
) -> None:
    env = {"MFAENV_CONNECT_TIMEOUT": "1", "MFAENV_READ_TIMEOUT": "1"}
    with raw_endpoint(answer) as url, pytest.raises(MfaenvError) as refused:
        federation.get_signin_token(url, SESSION, None, env)
    assert refused.value.code == code and said in refused.value.message, refused.value.message
    assert SESSION.secret_access_key not in refused.value.message


def test_a_browser_command_line_with_an_open_quote_is_refused(signin: Signin, roles: Path, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("console", "prod-admin", code=2, env={"BROWSER": "firefox '%s"})
    assert "BROWSER \"firefox '%s\" is not a command line" in line and "--print" in line
    assert signin.requests == []
