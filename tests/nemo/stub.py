"""A tiny scripted HTTP stub on 127.0.0.1 for the nemo port tests.

`stub.on("GET", r"/v1/x/(?P<id>[^/]+)", reply, ...)`: each matching request takes the next reply
(the last one repeats); a reply is `(status, json_body[, headers])` or a callable `fn(request, match)`
returning one. Unmatched requests get 404. Every request is recorded in `stub.requests`.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, str] | None = None


@dataclass
class _Route:
    method: str
    regex: re.Pattern
    replies: list
    taken: int = 0


@dataclass
class Stub:
    routes: list[_Route] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)

    def on(self, method: str, pattern: str, *replies) -> Stub:
        self.routes.insert(0, _Route(method, re.compile(f"^{pattern}$"), list(replies)))
        return self

    def seen(self, method: str, pattern: str) -> list[Seen]:
        regex = re.compile(f"^{pattern}$")
        return [r for r in self.requests if r.method == method and regex.match(r.path)]

    def _answer(self, seen: Seen):
        for route in self.routes:
            match = route.regex.match(seen.path)
            if route.method == seen.method and match:
                reply = route.replies[min(route.taken, len(route.replies) - 1)]
                route.taken += 1
                return reply(seen, match) if callable(reply) else reply
        return 404, {"detail": f"no stub for {seen.method} {seen.path}"}

    def start(self) -> Stub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no delayed-ACK stalls

            def _go(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen = Seen(self.command, parts.path, dict(parse_qsl(parts.query)), headers, body)
                if "form-urlencoded" in headers.get("content-type", ""):
                    seen.form = dict(parse_qsl(body.decode()))
                else:
                    with contextlib.suppress(ValueError):
                        seen.json = json.loads(body) if body else None
                stub.requests.append(seen)
                reply = stub._answer(seen)
                status, payload = reply[0], reply[1]
                extra = reply[2] if len(reply) > 2 else {}
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _go

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
