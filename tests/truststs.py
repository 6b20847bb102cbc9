"""An STS proxy on loopback that enforces the rules moto leaves out, then forwards to moto.

moto's AssumeRole ignores SerialNumber and TokenCode and enforces neither
trust policies nor the 1-hour rule. This proxy sees each request's Action,
signing key, X-Amz-Security-Token and form parameters, and answers with
STS's own error documents where STS would refuse:

- GetSessionToken signed with session credentials: AccessDenied.
- An MFA code used before with the same device: AccessDenied, as STS answers.
- AssumeRole of a role whose trust needs MFA, without MFA context (long-term
  keys and no SerialNumber/TokenCode, or a session that was not made with
  MFA): AccessDenied. A role's session counts as MFA only when that role was
  assumed with SerialNumber and TokenCode; the MFA session from
  GetSessionToken with a code always does.
- A wrong ExternalId, or a caller the role does not trust: AccessDenied.
- DurationSeconds over 3600 signed with session credentials: the
  ValidationError STS sends for role chaining; over the role's
  MaxSessionDuration (AWS's default: 1 hour): its ValidationError.
"""

from __future__ import annotations

import dataclasses
import http.client
import http.server
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

from tests.faultsts import error_doc

BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
CHAINING = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
MAX_DURATION = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


@dataclasses.dataclass
class Trust:
    """What one role's trust policy (and settings) allow."""

    mfa: bool = True
    external_id: str | None = None
    trusted: bool = True
    max_session: int = 3600


@dataclasses.dataclass(frozen=True)
class Call:
    action: str
    key: str  # the access key id in the Authorization header's Credential=
    token: str | None  # X-Amz-Security-Token: set when session credentials signed
    params: dict[str, str]
    status: int


class TrustSts:
    def __init__(self, upstream: str, roles: dict[str, Trust]) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.roles = roles
        self.calls: list[Call] = []
        self.url = ""
        self._used: set[tuple[str, str]] = set()
        self._mfa_tokens: set[str] = set()
        self._lock = threading.Lock()

    def actions(self) -> list[str]:
        return [c.action for c in self.calls]

    def judge(self, action: str, token: str | None, params: dict[str, str]) -> tuple[int, bytes] | None:
        """STS's refusal for this request, or None to let moto answer."""
        serial, code = params.get("SerialNumber"), params.get("TokenCode")
        if action == "GetSessionToken" and token:
            return 403, error_doc("AccessDenied", "Cannot call GetSessionToken with session credentials")
        if serial and code:
            if (serial, code) in self._used:
                return 403, error_doc("AccessDenied", BAD_CODE)
            self._used.add((serial, code))
        if action != "AssumeRole":
            return None
        arn = params.get("RoleArn", "")
        trust = self.roles.get(arn)
        mfa = (token in self._mfa_tokens) if token else bool(serial and code)
        if (
            trust is None
            or not trust.trusted
            or (trust.mfa and not mfa)
            or params.get("ExternalId") != trust.external_id
        ):
            caller = "arn:aws:iam::123456789012:user/caller"
            return 403, error_doc(
                "AccessDenied", f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {arn}"
            )
        duration = int(params.get("DurationSeconds", "3600"))
        if token and duration > 3600:
            return 400, error_doc("ValidationError", CHAINING)
        if duration > trust.max_session:
            return 400, error_doc("ValidationError", MAX_DURATION)
        return None

    def learn(self, action: str, token: str | None, params: dict[str, str], body: bytes) -> None:
        """Remember which issued tokens carry MFA context."""
        issued = re.search(rb"<SessionToken>([^<]+)</SessionToken>", body)
        if not issued:
            return
        with_code = bool(params.get("SerialNumber") and params.get("TokenCode"))
        if with_code and action in ("GetSessionToken", "AssumeRole"):
            self._mfa_tokens.add(issued.group(1).decode())

    @contextmanager
    def running(self) -> Iterator[TrustSts]:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                params = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
                action = params.get("Action", "")
                m = re.search(r"Credential=([A-Z0-9]+)/", self.headers.get("Authorization", ""))
                token = self.headers.get("X-Amz-Security-Token")
                with proxy._lock:
                    refusal = proxy.judge(action, token, params)
                if refusal is not None:
                    status, data = refusal
                    headers = [("Content-Type", "text/xml")]
                else:
                    conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                    conn.request(
                        "POST", self.path, body, {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    )
                    reply = conn.getresponse()
                    status, data = reply.status, reply.read()
                    headers = [
                        (k, v)
                        for k, v in reply.getheaders()
                        if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date")
                    ]
                    conn.close()
                    if status == 200:
                        with proxy._lock:
                            proxy.learn(action, token, params, data)
                proxy.calls.append(Call(action, m.group(1) if m else "", token, params, status))
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
