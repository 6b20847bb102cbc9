"""A fault-injecting STS endpoint on loopback: STS's real error documents, and broken answers.

moto checks nothing (not the code, not the caller's key), so the refusals a
user meets come from here, in the XML STS sends: same codes, same messages.
"""

from __future__ import annotations

import datetime as dt
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


def session_doc(
    expiration: str,
    secret: str = "faultsecret/KEY+EXAMPLE",
    token: str = "FwoGZXIvYXdzEFAULTTOKEN",
    key: str = "ASIAFAULTFAULTFAULT1",
) -> bytes:
    """A GetSessionToken answer; the values go into the XML as given (so `&#13;` arrives as a CR)."""
    return (
        f'<GetSessionTokenResponse xmlns="{_NS}"><GetSessionTokenResult><Credentials>'
        f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
        f"<SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration>"
        "</Credentials></GetSessionTokenResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
        "</GetSessionTokenResponse>"
    ).encode()


def mfa_devices_doc(*serials: str) -> bytes:
    """An IAM ListMFADevices answer (IAM's namespace and shape)."""
    members = "".join(
        f"<member><UserName>u</UserName><SerialNumber>{s}</SerialNumber>"
        "<EnableDate>2024-01-01T00:00:00Z</EnableDate></member>"
        for s in serials
    )
    return (
        '<ListMFADevicesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListMFADevicesResult>'
        f"<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated></ListMFADevicesResult>"
        "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></ListMFADevicesResponse>"
    ).encode()


# Printable ASCII without blanks, as STS keys are, but every character a shell quotes.
#: When the good answers' sessions end: 12 hours from now, as STS would say (a session
#: ending decades away is refused as no STS answer).
SOON = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")

TRICKY_SECRET = 'tr!cky\'$x`y\\z"q"!!%p'
#: What a hostile endpoint hides behind carriage returns: a new profile that runs a command.
INJECTED = '[evil]&#13;credential_process = sh -c "touch PWN"'

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
    "truncated": (200, session_doc(SOON)[:150]),
    "expired-session": (200, session_doc("2001-01-01T00:00:00Z")),
    "ok": (200, session_doc(SOON)),
    # A secret no real STS sends, to prove the hooks evaluate what they are given exactly.
    "tricky": (200, session_doc(SOON, secret=TRICKY_SECRET)),
    # Answers that parse as XML but must not be believed (issue 10).
    "html-200": (200, b"<html><body><h1>Welcome</h1><p>Accept the terms to use this Wi-Fi</p></body></html>"),
    "bad-expiration": (200, session_doc("soon")),
    "cr-token": (200, session_doc(SOON, token=f"TOK&#13;{INJECTED}&#13;")),
    "lf-secret": (200, session_doc(SOON, secret=f"S&#10;{INJECTED}")),
    "oversized-token": (200, session_doc(SOON, token="A" * 200_000)),
    "bad-key-id": (200, session_doc(SOON, key="ASIA;touch PWN;#FAULT")),
    "short-key-id": (200, session_doc(SOON, key="ASIA1")),
    "blank-secret": (200, session_doc(SOON, secret="fault secret")),
    "non-ascii-token": (200, session_doc(SOON, token="FwoG\u00e9TOKEN")),
    # An error whose message would rewrite the terminal line, and go on for pages.
    "denied-controls": (
        403,
        error_doc("AccessDenied", "denied&#13;mfaenv: all good\u009b2K&#10;" + "x" * 5000),
    ),
    # ListMFADevices (point AWS_ENDPOINT_URL_IAM here): a serial with lines hidden by carriage returns.
    "iam-cr-serial": (200, mfa_devices_doc(f"arn:aws:iam::123456789012:mfa/u&#13;&#13;[profile evil]&#13;{INJECTED}")),
}


#: Transport faults: behaviours, not documents. The trickles send a byte every
#: `interval` seconds (each well within the read timeout), for as long as the
#: client listens; huge-body sends `huge` bytes of chunked body as fast as it can.
TRANSPORT = ("slow", "reset-mid-body", "close-without-answer", "trickle-headers", "trickle-body", "huge-body")
#: Framing no HTTP server sends: a negative chunk size, a Content-Length of digits that are not
#: ASCII ('²' is str.isdigit()); each followed by a good answer, so only the framing is wrong.
FRAMING = {
    "negative-chunk": b"Transfer-Encoding: chunked\r\n\r\n-5\r\n",
    "superscript-length": b"Content-Length: \xb2\xb3\r\n\r\n",
}


class FaultSts:
    def __init__(self, answer: str, interval: float = 1.0, huge: int = 1 << 30) -> None:
        self.answer = answer
        self.interval = interval
        self.huge = huge
        self.sent = 0  # body bytes written by huge-body
        self.status, self.body = ANSWERS[answer if answer in ANSWERS else "ok"]
        assert answer in ANSWERS or answer in TRANSPORT or answer in FRAMING, answer
        self.hits = 0
        self.url = ""

    def misbehave(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        out = handler.wfile
        try:
            if self.answer == "trickle-headers":
                out.write(b"HTTP/1.1 200 OK\r\nX-Trickle: ")
                while not self._stop.is_set():  # one header byte at a time: the header never ends
                    out.write(b"a")
                    out.flush()
                    self._stop.wait(self.interval)
                return
            out.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
            if self.answer == "trickle-body":
                while not self._stop.is_set():  # one-byte chunks: the body never ends
                    out.write(b"1\r\n<\r\n")
                    out.flush()
                    self._stop.wait(self.interval)
                return
            chunk = b"A" * (1 << 20)
            while self.sent < self.huge and not self._stop.is_set():
                out.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.sent += len(chunk)
            out.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client gave up: that is what these faults are for

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
                if fault.answer in ("trickle-headers", "trickle-body", "huge-body"):
                    fault.misbehave(self)
                    return
                if fault.answer in FRAMING:
                    self.close_connection = True
                    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + FRAMING[fault.answer]
                    self.wfile.write(head + session_doc(SOON))
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
        self._stop = threading.Event()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield self
        finally:
            self._stop.set()
            server.shutdown()
            server.server_close()
