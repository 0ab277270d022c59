"""The HTTP layer of the fake: a stdlib ThreadingHTTPServer on 127.0.0.1, request records,
a regex router, and a connection-tracking shutdown so `stop()` leaves no thread behind."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.nemo_state import ApiError


@dataclass
class RequestRecord:
    method: str
    path: str  # as sent, without the query string (percent-encoding kept)
    query: dict[str, str]  # last value wins for repeated keys
    json_body: Any | None  # parsed JSON body, None if absent / not JSON
    status: int | None = None  # None while in flight; 0 when the connection was reset
    ts: float = 0.0  # time.time() at arrival
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    form: dict[str, str] | None = None  # form-encoded body, if any
    fault: str | None = None  # kind of the request-level fault that answered it


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any | None
    form: dict[str, str] | None
    record: RequestRecord

    def json_object(self) -> dict:
        if not isinstance(self.json, dict):
            raise ApiError(
                422, [{"loc": ["body"], "msg": "Input should be a valid JSON object", "type": "model_attributes_type"}]
            )
        return self.json


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # close with RST, send nothing
    delay: float = 0.0  # real seconds to wait before sending (stop-aware)


def json_response(obj: Any, status: int = 200, headers: dict | None = None) -> Response:
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return Response(status, json.dumps(obj).encode(), h)


Handler = Callable[..., Any]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[tuple[str, ...], re.Pattern, Handler]] = []

    def add(self, methods: str, pattern: str, fn: Handler) -> None:
        self._routes.append((tuple(methods.split("|")), re.compile(f"^{pattern}$"), fn))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        allowed = False
        for methods, regex, fn in self._routes:
            m = regex.match(path)
            if m:
                if method in methods or (method == "HEAD" and "GET" in methods):
                    return fn, {k: unquote(v) if v is not None else None for k, v in m.groupdict().items()}
                allowed = True
        if allowed:
            raise ApiError(405, "Method Not Allowed")
        raise ApiError(404, "Not Found")


def parse_request(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Request:
    parts = urlsplit(raw_path)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    ctype = headers.get("content-type", "")
    parsed_json = form = None
    if body:
        if "application/x-www-form-urlencoded" in ctype:
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        elif "ndjson" not in ctype:
            try:
                parsed_json = json.loads(body)
            except ValueError:
                parsed_json = None
    record = RequestRecord(method, parts.path, query, parsed_json, None, time.time(), dict(headers), form)
    return Request(method, parts.path, query, headers, body, parsed_json, form, record)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers leave at once, not after the client's delayed ACK
    server_version = "FakeNeMo/1.0"
    timeout = 120  # idle keep-alive connections give up eventually even without stop()

    def log_message(self, *args) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = parse_request(self.command, self.path, headers, body)
        resp = self.server.app(req)
        if resp.reset:
            req.record.status = 0
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()  # RST: the client sees a reset, no response
            except OSError:
                pass
            return
        if resp.delay > 0 and self.server.stopping.wait(resp.delay):
            req.record.status = 0
            self.close_connection = True
            return
        req.record.status = resp.status
        try:
            self.send_response(resp.status)
            hdrs = dict(resp.headers)
            hdrs.setdefault("Content-Length", str(len(resp.body)))
            for k, v in hdrs.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD" and resp.body:
                self.wfile.write(resp.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, app: Callable[[Request], Response]) -> None:
        self.app = app
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conn_threads: set[threading.Thread] = set()
        self._track_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address) -> None:
        t = threading.Thread(
            target=self._run_request, args=(request, client_address), name="fake-nemo-conn", daemon=True
        )
        with self._track_lock:
            self._conn_threads.add(t)
        t.start()

    def _run_request(self, request, client_address) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._track_lock:
                self._conn_threads.discard(threading.current_thread())

    def track(self, conn: socket.socket, add: bool) -> None:
        with self._track_lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def close_everything(self, join_timeout: float = 5.0) -> None:
        self.stopping.set()
        with self._track_lock:
            conns = list(self._conns)
            threads = list(self._conn_threads)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + join_timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))

    def live_threads(self) -> list[threading.Thread]:
        with self._track_lock:
            return [t for t in self._conn_threads if t.is_alive()]


class ServedApp:
    """A fake whose `app(request) -> Response` is served on 127.0.0.1 in a daemon thread (start/stop, or `with`).

    `stop()` shuts the server down and closes every connection, so no thread is left behind.
    """

    thread_name = "fake-http"
    _server: FakeHTTPServer | None = None
    _thread: threading.Thread | None = None

    def app(self, req: Request) -> Response:  # pragma: no cover - every fake defines its own
        raise NotImplementedError

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started; call start() first")
        return int(self._server.server_address[1])

    def start(self):
        if self._server is None:
            self._server = FakeHTTPServer(self.app)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_everything()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
