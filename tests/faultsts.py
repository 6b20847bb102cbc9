"""A fault-injecting STS endpoint on loopback: STS's real error documents, and broken answers.

moto checks nothing (not the code, not the caller's key), so the refusals a
user meets come from here, in the XML STS sends: same codes, same messages.
"""

from __future__ import annotations

import http.server
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def error_doc(code: str, message: str, kind: str = "Sender") -> bytes:
    return (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>{kind}</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>4f1d1c6a-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
    ).encode()


def session_doc(expiration: str, secret: str = "faultsecret/KEY+EXAMPLE") -> bytes:
    return (
        f'<GetSessionTokenResponse xmlns="{_NS}"><GetSessionTokenResult><Credentials>'
        f"<AccessKeyId>ASIAFAULTFAULTFAULT1</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
        f"<SessionToken>FwoGZXIvYXdzEFAULTTOKEN</SessionToken><Expiration>{expiration}</Expiration>"
        "</Credentials></GetSessionTokenResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
        "</GetSessionTokenResponse>"
    ).encode()


TRICKY_SECRET = 'tr!cky\'$x`y\\z "q" !! %p'

#: name -> (HTTP status, body); the codes and messages are the ones STS sends.
ANSWERS: dict[str, tuple[int, bytes]] = {
    # STS answers a reused code exactly as a wrong one.
    "reused-code": (
        403,
        error_doc("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. "),
    ),
    "bad-code": (
        403,
        error_doc("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code. "),
    ),
    "wrong-serial": (
        403,
        error_doc(
            "AccessDenied",
            "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number "
            "is valid and associated with this user.",
        ),
    ),
    "session-creds": (403, error_doc("AccessDenied", "Cannot call GetSessionToken with session credentials")),
    "unknown-key": (403, error_doc("InvalidClientTokenId", "The security token included in the request is invalid.")),
    "bad-signature": (
        403,
        error_doc(
            "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
        ),
    ),
    "expired-token": (400, error_doc("ExpiredToken", "The security token included in the request is expired")),
    "denied": (
        403,
        error_doc(
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/a is not authorized to perform: "
            "sts:GetSessionToken with an explicit deny",
        ),
    ),
    "throttled": (400, error_doc("Throttling", "Rate exceeded")),
    "500": (500, error_doc("InternalFailure", "An internal error occurred.", "Receiver")),
    "503": (503, error_doc("ServiceUnavailable", "Service unavailable", "Receiver")),
    "garbage": (200, b"\x00\xffthis is not xml<<<"),
    "truncated": (200, session_doc("2099-01-01T00:00:00Z")[:150]),
    "expired-session": (200, session_doc("2001-01-01T00:00:00Z")),
    "ok": (200, session_doc("2099-01-01T00:00:00Z")),
    # A secret no real STS sends, to prove the hooks evaluate what they are given exactly.
    "tricky": (200, session_doc("2099-01-01T00:00:00Z", secret=TRICKY_SECRET)),
}


#: Transport faults: behaviours, not documents.
TRANSPORT = ("slow", "reset-mid-body", "close-without-answer")


class FaultSts:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.status, self.body = ANSWERS[answer if answer in ANSWERS else "ok"]
        assert answer in ANSWERS or answer in TRANSPORT, answer
        self.hits = 0
        self.url = ""

    @contextmanager
    def running(self) -> Iterator[FaultSts]:
        fault = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fault.hits += 1
                if fault.answer == "slow":
                    time.sleep(3)  # past the read timeout the test sets (1 s)
                if fault.answer == "close-without-answer":
                    self.close_connection = True
                    return
                if fault.answer == "reset-mid-body":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(fault.body)))
                    self.end_headers()
                    self.wfile.write(fault.body[:80])
                    self.wfile.flush()
                    # SO_LINGER 0: close with a TCP reset instead of a clean end.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                self.send_response(fault.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(fault.body)))
                self.end_headers()
                self.wfile.write(fault.body)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True  # a handler still sleeping must not hold up shutdown
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
