"""A recording HTTP proxy on loopback: forwards to the emulator, remembers each request.

The Authorization header's `Credential=AKIA.../date/region/sts/aws4_request`
names the key that signed the call: that is how a test proves which key
reached STS.
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Recorder:
    def __init__(
        self,
        upstream: str,
        hook: Callable[[Recorder, dict[str, str], bytes], str | tuple[int, bytes] | None] | None = None,
        on_drop: Callable[[], None] | None = None,
        rewrite: Callable[[bytes, bytes], bytes] | None = None,
    ) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.paths: list[str] = []
        self.url = ""
        #: Called with each request before it is forwarded; "drop" answers nothing, "forward-then-drop"
        #: lets the emulator act and then answers nothing; `on_drop` runs then, with the client still waiting.
        self.hook = hook
        self.on_drop = on_drop
        #: (request body, the emulator's answer) -> the answer sent on: a hostile endpoint's edits.
        self.rewrite = rewrite

    def signed_with(self, index: int, secret: str) -> bool:
        """Whether request `index` carries a valid SigV4 signature made with `secret` (moto checks none)."""
        return signature_ok(self.requests[index][0], self.requests[index][1], self.paths[index], secret)

    def signing_keys(self) -> list[str]:
        keys = []
        for headers, _ in self.requests:
            m = re.search(r"Credential=([A-Z0-9]+)/", headers.get("authorization", ""))
            keys.append(m.group(1) if m else "")
        return keys

    def actions(self) -> list[str]:
        out = []
        for _, body in self.requests:
            m = re.search(rb"Action=(\w+)", body)
            out.append(m.group(1).decode() if m else "")
        return out

    @contextmanager
    def running(self) -> Iterator[Recorder]:
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                recorder.requests.append((headers, body))
                recorder.paths.append(self.path)
                verdict = recorder.hook(recorder, headers, body) if recorder.hook else None
                if isinstance(verdict, tuple):  # (status, XML body): answer instead of the emulator
                    self.send_response(verdict[0])
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(verdict[1])))
                    self.end_headers()
                    self.wfile.write(verdict[1])
                    return
                if verdict == "drop":
                    if recorder.on_drop:
                        recorder.on_drop()
                    self.close_connection = True
                    return
                conn = http.client.HTTPConnection(recorder.upstream.hostname, recorder.upstream.port, timeout=30)
                conn.request("POST", self.path, body, {k: v for k, v in self.headers.items() if k.lower() != "host"})
                reply = conn.getresponse()
                data = reply.read()
                if recorder.rewrite:
                    data = recorder.rewrite(body, data)
                if verdict == "forward-then-drop":
                    conn.close()
                    if recorder.on_drop:
                        recorder.on_drop()
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for k, v in reply.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


def signature_ok(headers: dict[str, str], body: bytes, path: str, secret: str) -> bool:
    """Recompute the request's SigV4 signature with `secret` and compare."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    m = re.match(
        r"AWS4-HMAC-SHA256 Credential=(\w+)/\d{8}/([\w-]+)/([\w-]+)/aws4_request, SignedHeaders=([\w;-]+), Signature=(\w+)",
        headers.get("authorization", ""),
    )
    if not m:
        return False
    key_id, region, service, signed, signature = m.groups()
    names = signed.split(";")
    request = AWSRequest(
        method="POST", url=f"http://{headers['host']}{path}", data=body, headers={n: headers[n] for n in names}
    )
    auth = SigV4Auth(Credentials(key_id, secret, headers.get("x-amz-security-token")), service, region)
    request.context["timestamp"] = headers["x-amz-date"]
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request) == signature
