"""`mfaenv console` under attack: a federation endpoint that answers oddly, BROWSER mistakes, closed streams.

The endpoint here is a raw socket on loopback, so it can say what no HTTP
server would; the CLI runs are test_console.py's fixtures (moto's STS, the
stand-in federation endpoint).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mfaenv.aws import federation
from mfaenv.errors import Exit, MfaenvError
from mfaenv.plan import Session
from tests import test_console as base
from tests.conftest import CODE
from tests.helpers import MFAENV, Mfaenv
from tests.test_console import ENCODED_TOKEN, HOME_US_EAST_1, TOKEN, Signin

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
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes an accept() that no request came to
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


def test_a_huge_timeout_setting_still_gets_the_token() -> None:
    """The largest MFAENV_READ_TIMEOUT taken (999999 s) still reads the token; a longer one (an
    OverflowError in a socket's timeout before numbers were bounded) is refused, naming the setting."""

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        body = b'{"SigninToken": "tok"}'
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    with raw_endpoint(answer) as url:
        assert federation.get_signin_token(url, SESSION, None, {"MFAENV_READ_TIMEOUT": "999999"}) == "tok"
        with pytest.raises(MfaenvError, match="MFAENV_READ_TIMEOUT must be a whole number"):
            federation.get_signin_token(url, SESSION, None, {"MFAENV_READ_TIMEOUT": "99999999999"})


def test_a_loopback_endpoint_is_reached_without_the_proxy(monkeypatch: pytest.MonkeyPatch, closed_port: int) -> None:
    """http is allowed to loopback only; an HTTP_PROXY would have the session in clear, on another machine."""
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, f"http://127.0.0.1:{closed_port}")

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        body = b'{"SigninToken": "tok"}'
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    with raw_endpoint(answer) as url:
        assert federation.get_signin_token(url, SESSION, None, {}) == "tok"


def _sh(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """`mfaenv console ARGS` with the redirections in `script` (e.g. `>&-`), through sh."""
    return subprocess.run(
        ["sh", "-c", f'"$@" {script}', "sh", *MFAENV, "console", *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        start_new_session=True,
    )


def test_closed_or_full_streams_are_one_line(signin: Signin, roles: Path, mfaenv: Mfaenv, tmp_path: Path) -> None:
    assert mfaenv("console", "prod-admin", "--print", "--token-code", CODE).code == 0  # the role session, cached
    signin.requests.clear()

    # --print with stdout closed: refused before any token is made.
    p = _sh(">&-", "prod-admin", "--print")
    assert p.returncode == 2 and b"stdout is closed" in p.stderr and b"internal error" not in p.stderr, p
    assert signin.requests == []

    # --print into a full disk: one line, without the URL.
    p = _sh(">/dev/full", "prod-admin", "--print")
    assert p.returncode == 2 and p.stderr.decode().splitlines()[-1].startswith("mfaenv: cannot write to stdout"), p
    assert TOKEN.encode() not in p.stderr and ENCODED_TOKEN.encode() not in p.stderr

    # stderr closed: the notes are not written to stdout in its place; stdout is the URL alone.
    p = _sh("2>&-", "prod-admin", "--print")
    assert p.returncode == 0 and p.stdout.decode() == base._url(signin, HOME_US_EAST_1) + "\n", p
    # ... and a failure leaves stdout empty.
    p = _sh("2>&-", "prod-admin", "--service", "S3")
    assert p.returncode == 2 and p.stdout == b"", p

    # A browser started with stdout (or both streams) closed still gets the URL.
    got = tmp_path / "url"
    script = tmp_path / "browser"
    script.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {got}\n")
    script.chmod(0o700)
    for closed in (">&-", ">&- 2>&-"):
        got.unlink(missing_ok=True)
        p = _sh(closed, "prod-admin", env={"BROWSER": str(script)})
        assert p.returncode == 0 and b"internal error" not in p.stderr, p
        assert got.read_text() == base._url(signin, HOME_US_EAST_1)


def test_a_browser_command_line_with_an_open_quote_is_refused(signin: Signin, roles: Path, mfaenv: Mfaenv) -> None:
    line = mfaenv.fails("console", "prod-admin", code=2, env={"BROWSER": "firefox '%s"})
    assert "BROWSER \"firefox '%s\" is not a command line" in line and "--print" in line
    assert signin.requests == []


def test_a_token_command_runs_with_stdin_closed(signin: Signin, roles: Path, mfaenv: Mfaenv) -> None:
    p = _sh("<&-", "long-admin", "--print", "--token-command", f"echo {CODE}")
    assert p.returncode == 0 and p.stdout.decode().startswith(f"{signin.url}/federation?Action=login&"), p
