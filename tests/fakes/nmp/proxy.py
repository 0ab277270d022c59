"""A routing, fault-injecting HTTP proxy on 127.0.0.1 between the nemo-platform backend and NeMo Platform.

    with RoutingProxy(real_url, fake_url, faults=FaultPlan([...])) as proxy:
        ...                   # point NMP_URL at proxy.base_url
        proxy.records         # every request: method, path, where it went, status, the fault it met

Requests for the customization API and for model deployments / deployment configs go to the schema-checked
fake (tests/fakes/nmp/); everything else (files, entities, workspaces, models, adapters, Inference Gateway,
Evaluator, Guardrails, jobs) to the real services. Bodies are streamed both ways (uploads, downloads).

Faults come from a `FaultPlan` (tests/fakes/faults.py), matched on method and path:
- `http_5xx`, `rate_limit`, `conflict`: answered by the proxy; nothing reaches the service;
- `reset`: the connection is closed with a TCP RST; with `commit_before_reset=True` after the service
  answered (it acted; the client never hears);
- `timeout`: no answer for `seconds` (+ `margin`), then the connection is closed without one; with
  `commit_before_timeout=True` after the service answered (it acted; the client never hears).

With `api_key` set, the proxy plays an ingress that checks the Platform's bearer token: `records` say
whether each request carried it, and it is not passed on to the real services (their auth is off).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPResponse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.faults import Fault, FaultPlan

FAKE_ROUTES = re.compile(r"^/apis/customization/|^/apis/models/v2/workspaces/[^/]+/(deployments|deployment-configs)\b")
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding"}
    | {"upgrade", "host", "content-length"}
)
CHUNK = 64 * 1024
UPSTREAM_TIMEOUT = 600.0


@dataclass
class ProxyRecord:
    method: str
    path: str
    upstream: str  # "fake" or "real"
    status: int | None = None  # the status the client got; None when it got no answer (reset, timeout)
    upstream_status: int | None = None  # what the service answered (None: not forwarded)
    fault: str | None = None
    authorized: bool = False  # carried `Authorization: Bearer <api_key>`


class _Body:
    """The request body as a file-like object http.client streams from (Content-Length bytes, no more)."""

    def __init__(self, rfile: Any, length: int) -> None:
        self.rfile, self.left = rfile, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.rfile.read(size) if size else b""
        self.left -= len(data)
        return data


def _chunks(rfile: Any) -> Iterator[bytes]:
    """A chunked request body, chunk by chunk (trailers dropped)."""
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return
        data = rfile.read(size)
        rfile.readline()
        yield data


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._proxy()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _body(self) -> tuple[Any, bool]:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return _chunks(self.rfile), True
        length = int(self.headers.get("Content-Length") or 0)
        return (_Body(self.rfile, length) if length else None), False

    def _proxy(self) -> None:
        proxy = self.server.proxy
        route = urlsplit(self.path).path
        upstream = "fake" if FAKE_ROUTES.search(route) else "real"
        auth = self.headers.get("Authorization") or ""
        record = ProxyRecord(self.command, route, upstream, authorized=bool(proxy.api_key) and auth == proxy.bearer)
        proxy.add(record)
        fault = proxy.faults.take_request_fault(self.command, route)
        record.fault = fault.kind if fault else None
        body, chunked = self._body()
        commit = fault is not None and bool(fault.params.get(f"commit_before_{fault.kind}"))
        if fault is not None and not commit:
            for _ in _drain(body):
                pass
            if fault.kind in ("reset", "timeout"):
                return self._lose(fault)
            return self._answer_fault(fault, record)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if upstream == "real" and proxy.api_key:
            headers.pop("Authorization", None)
            headers.pop("authorization", None)
        if body is not None and not chunked:
            headers["Content-Length"] = str(body.left)
        host, port = proxy.upstreams[upstream]
        connection = HTTPConnection(host, port, timeout=UPSTREAM_TIMEOUT)
        try:
            connection.request(self.command, self.path, body=body, headers=headers, encode_chunked=chunked)
            response = connection.getresponse()
            record.upstream_status = response.status
            if fault is not None:  # the service acted; the client never hears
                response.read()
                return self._lose(fault)
            record.status = response.status
            self._relay(response)
        finally:
            connection.close()

    def _relay(self, response: HTTPResponse) -> None:
        self.send_response_only(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        length = response.getheader("Content-Length")
        no_body = self.command == "HEAD" or response.status in (204, 304) or 100 <= response.status < 200
        if length is not None or no_body:
            self.send_header("Content-Length", "0" if no_body and length is None else str(length))
            self.end_headers()
            while not no_body and (data := response.read(CHUNK)):
                self.wfile.write(data)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        while data := response.read1(CHUNK):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")

    def _answer_fault(self, fault: Fault, record: ProxyRecord) -> None:
        p = fault.params
        status = {"http_5xx": int(p.get("status", 503)), "rate_limit": 429, "conflict": 409}[fault.kind]
        detail = {"http_5xx": f"injected HTTP {status}", "rate_limit": "Too Many Requests"}.get(
            fault.kind, str(p.get("detail", "already exists (injected)"))
        )
        payload = json.dumps({"detail": detail}).encode()
        record.status = status
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if fault.kind == "rate_limit":
            self.send_header("Retry-After", str(p.get("retry_after", 1)))
        self.end_headers()
        self.wfile.write(payload)

    def _lose(self, fault: Fault) -> None:
        """No answer: a reset now, or silence for the fault's seconds, then a closed connection."""
        self.close_connection = True
        if fault.kind == "timeout":
            time.sleep(float(fault.params.get("seconds", 1.0)) + float(fault.params.get("margin", 0.25)))
        else:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


def _drain(body: Any) -> Iterator[bytes]:
    if body is None:
        return
    if isinstance(body, _Body):
        while data := body.read(CHUNK):
            yield data
    else:
        yield from body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: RoutingProxy


class RoutingProxy:
    def __init__(
        self, real_url: str, fake_url: str, faults: FaultPlan | None = None, api_key: str | None = None
    ) -> None:
        self.upstreams = {name: _host_port(url) for name, url in (("real", real_url), ("fake", fake_url))}
        self.faults = faults or FaultPlan()
        self.api_key = api_key
        self.records: list[ProxyRecord] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def bearer(self) -> str:
        return f"Bearer {self.api_key}"

    def add(self, record: ProxyRecord) -> None:
        with self._lock:
            self.records.append(record)

    def fired(self) -> list[tuple[str, str, str]]:
        """(kind, method, path) of every fault that fired."""
        return list(self.faults.log)

    def start(self) -> RoutingProxy:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="nmp-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> RoutingProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not started; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        raise ValueError(f"{url!r}: expected http://host:port")
    return parts.hostname, parts.port
