"""The local chat models over HTTP, OpenAI-compatible: what a gateway or an OpenAI client can talk to.

`OpenAIServer(models).start()` serves, on a stdlib `ThreadingHTTPServer`:
- `GET /v1/models`: every model id served (the base model, each loaded adapter);
- `POST /v1/chat/completions`: `{model, messages, max_tokens | max_completion_tokens, temperature, stop, seed,
  tools, tool_choice}` -> the `chat.completion` of that model (tool calls in `message.tool_calls`);
  `tool_choice: "none"` offers no tools; streaming and `n > 1` are refused (400);
- `GET /health`: `{"status": "ok"}`.
Errors come back in OpenAI's shape `{"error": {"message", "type", "code"}}`. One model generates one request
at a time (a lock per model); the server answers others meanwhile. When `api_key` is set (`llmops serve`
reads it from LLMOPS_SERVE_API_KEY), every route but /health wants `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from steps.contracts import ChatModel
from steps.errors import InvalidInputError

API_KEY_VAR = "LLMOPS_SERVE_API_KEY"
MAX_BODY = 8 * 1024 * 1024
_OPTIONAL: dict[str, type | tuple[type, ...]] = {"max_tokens": int, "temperature": (int, float), "seed": int}


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.kind = status, message, kind


def completion_arguments(body: Any) -> dict[str, Any]:
    """The chat model's keyword arguments for an OpenAI chat-completions body; _Refused names what is wrong."""
    if not isinstance(body, dict):
        raise _Refused(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
    if body.get("stream"):
        raise _Refused(HTTPStatus.BAD_REQUEST, "streaming is not supported; send stream: false")
    if body.get("n", 1) != 1:
        raise _Refused(HTTPStatus.BAD_REQUEST, "only n = 1 is supported")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Refused(HTTPStatus.BAD_REQUEST, "messages must be a non-empty list")
    kwargs: dict[str, Any] = {"messages": messages}
    if body.get("max_tokens") is None and body.get("max_completion_tokens") is not None:
        body = {**body, "max_tokens": body["max_completion_tokens"]}
    for name, kind in _OPTIONAL.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, kind):
            raise _Refused(HTTPStatus.BAD_REQUEST, f"{name} must be a number, got {value!r}")
        kwargs[name] = value
    stop = body.get("stop")
    if stop is not None:
        stop = [stop] if isinstance(stop, str) else stop
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise _Refused(HTTPStatus.BAD_REQUEST, "stop must be a string or a list of strings")
        kwargs["stop"] = stop
    tools = body.get("tools")
    if tools and body.get("tool_choice") != "none":
        if not isinstance(tools, list):
            raise _Refused(HTTPStatus.BAD_REQUEST, "tools must be a list of tool definitions")
        kwargs["tools"] = tools
    return kwargs


class OpenAIServer:
    """Serves `models` (model id -> chat model) on host:port (port 0: a free one, see `.port` after start)."""

    def __init__(
        self, models: Mapping[str, ChatModel], host: str = "127.0.0.1", port: int = 0, api_key: str | None = None
    ) -> None:
        if not models:
            raise InvalidInputError("no model to serve")
        self.models = dict(models)
        self.locks = {name: threading.Lock() for name in self.models}
        self.api_key = api_key or None
        self.host = host
        self.httpd = ThreadingHTTPServer((host, port), _handler(self))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL an OpenAI client takes (`.../v1`)."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> OpenAIServer:
        """Serve in a background thread (returns at once)."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="openai-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def model_list(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": name, "object": "model", "owned_by": "llmops-local"} for name in self.models],
        }

    def complete(self, body: Any) -> dict[str, Any]:
        kwargs = completion_arguments(body)
        name = body.get("model")
        if name not in self.models:
            raise _Refused(
                HTTPStatus.NOT_FOUND,
                f"model {name!r} is not served here; served: {', '.join(self.models)}",
                "model_not_found",
            )
        with self.locks[name]:
            try:
                reply = self.models[name].create(**kwargs)
            except InvalidInputError as exc:
                raise _Refused(HTTPStatus.BAD_REQUEST, str(exc)) from None
        return {**reply, "model": name}


def _handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # keep-alive answers leave at once, not after the client's delayed ACK

        def log_message(self, format: str, *args: Any) -> None:  # quiet: no line per request
            pass

        def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, refused: _Refused) -> None:
            self._send(refused.status, {"error": {"message": refused.message, "type": refused.kind, "code": None}})

        def _authorised(self) -> bool:
            if server.api_key is None:
                return True
            given = self.headers.get("Authorization", "")
            if hmac.compare_digest(given.encode(), f"Bearer {server.api_key}".encode()):
                return True
            self._error(_Refused(HTTPStatus.UNAUTHORIZED, "missing or wrong bearer token", "authentication_error"))
            return False

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/")
            if path == "/health":
                self._send(HTTPStatus.OK, {"status": "ok"})
            elif not self._authorised():
                return
            elif path == "/v1/models":
                self._send(HTTPStatus.OK, server.model_list())
            else:
                self._error(_Refused(HTTPStatus.NOT_FOUND, f"no route GET {path}", "not_found"))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if 0 < length <= MAX_BODY else b""
            if not self._authorised():
                return
            path = self.path.split("?", 1)[0].rstrip("/")
            try:
                if path != "/v1/chat/completions":
                    raise _Refused(HTTPStatus.NOT_FOUND, f"no route POST {path}", "not_found")
                if length > MAX_BODY:
                    raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY} bytes")
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    raise _Refused(HTTPStatus.BAD_REQUEST, "the body is not JSON") from None
                self._send(HTTPStatus.OK, server.complete(body))
            except _Refused as refused:
                self._error(refused)
            except Exception as exc:  # a generation failure: the client gets a 500 naming it, the server lives on
                self._error(_Refused(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}", "server_error"))

    return Handler
