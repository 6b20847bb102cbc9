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
from collections.abc import Iterator
from contextlib import contextmanager


class Recorder:
    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.url = ""

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
                conn = http.client.HTTPConnection(recorder.upstream.hostname, recorder.upstream.port, timeout=30)
                conn.request("POST", self.path, body, {k: v for k, v in self.headers.items() if k.lower() != "host"})
                reply = conn.getresponse()
                data = reply.read()
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
