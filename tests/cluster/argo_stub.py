"""A stub Argo Server on 127.0.0.1 for the client tests: the paths, methods, bodies and answers of
Argo Workflows' REST API (argoproj/argo-workflows `api/openapi-spec/swagger.json`, served by argo-server's
grpc-gateway) for the calls `llmops` makes, and nothing else.

- POST /api/v1/workflows/{namespace}            WorkflowCreateRequest {namespace, workflow} -> the Workflow
- GET  /api/v1/workflows/{namespace}/{name}     -> the Workflow
- PUT  /api/v1/workflows/{namespace}/{name}/set WorkflowSetRequest {name, namespace, nodeFieldSelector,
  outputParameters (a JSON object as a string), message, phase}: what argo-server's SetWorkflow does
  (`workflow/util.updateSuspendedNode`): only active Suspend nodes matching the selector change; an output
  parameter can be set only while it is `valueFrom.supplied`.
- PUT  /api/v1/workflows/{namespace}/{name}/retry WorkflowRetryRequest {name, namespace, restartSuccessful,
  nodeFieldSelector, parameters}: what `workflow/util.FormulateRetryWorkflow` does for a plain retry: only a
  Failed or Error workflow; its failed pod nodes are removed, their ancestors and the workflow run again.

Errors have grpc-gateway's body {"code", "message", "details"} with the HTTP status of the gRPC code
(16 -> 401, 7 -> 403, 5 -> 404, 6 -> 409, 3 -> 400). Every request is recorded (method, path, headers,
body) so tests assert what was sent; anything else the client calls fails the test.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATE_KEYS = {"namespace", "workflow", "serverDryRun", "createOptions"}
SET_KEYS = {"name", "namespace", "nodeFieldSelector", "outputParameters", "message", "phase"}
RETRY_KEYS = {"name", "namespace", "restartSuccessful", "nodeFieldSelector", "parameters"}
GRPC_STATUS = {3: 400, 5: 404, 6: 409, 7: 403, 16: 401, 2: 500}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ArgoStub:
    token: str | None = "stub-token"  # the bearer token the server accepts; None: no auth (server mode)
    forbidden_namespaces: set[str] = field(default_factory=set)
    workflows: dict[tuple[str, str], dict] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # calls the stub does not serve (a test failure)
    counter: int = 0

    # ------------------------------------------------------------------ what the server holds
    def add(self, workflow: dict) -> dict:
        meta = workflow["metadata"]
        self.counter += 1
        stored = json.loads(json.dumps(workflow))
        stored["metadata"].update(
            uid=f"0b1c2d3e-0000-4000-8000-{self.counter:012d}",
            resourceVersion=str(1000 + self.counter),
            generation=1,
            creationTimestamp="2026-11-30T09:00:00Z",
        )
        stored.setdefault("status", {})
        self.workflows[(meta["namespace"], meta["name"])] = stored
        return stored

    # ------------------------------------------------------------------ request handling
    def handle(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        self.requests.append(Recorded(method, path, headers, body))
        if self.token is not None and headers.get("Authorization") != f"Bearer {self.token}":
            return _error(16, "token not valid. More info: https://argo-workflows.readthedocs.io/en/latest/faq/")
        parts = path.split("?")[0].strip("/").split("/")
        if parts[:3] != ["api", "v1", "workflows"] or len(parts) < 4:
            return self._unexpected(method, path)
        namespace = parts[3]
        if namespace in self.forbidden_namespaces:
            return _error(
                7,
                f'workflows.argoproj.io is forbidden: User "system:serviceaccount:argo:llmops-cli" cannot '
                f'{"create" if method == "POST" else "get"} resource "workflows" in API group "argoproj.io" '
                f'in the namespace "{namespace}"',
            )
        if method == "POST" and len(parts) == 4:
            return self._create(namespace, body)
        if method == "GET" and len(parts) == 5:
            found = self.workflows.get((namespace, parts[4]))
            return (200, found) if found else _error(5, f'workflows.argoproj.io "{parts[4]}" not found')
        if method == "PUT" and len(parts) == 6 and parts[5] == "set":
            return self._set(namespace, parts[4], body)
        if method == "PUT" and len(parts) == 6 and parts[5] == "retry":
            return self._retry(namespace, parts[4], body)
        return self._unexpected(method, path)

    def _unexpected(self, method: str, path: str) -> tuple[int, Any]:
        self.unexpected.append(f"{method} {path}")
        return _error(5, "Not Found")

    def _create(self, namespace: str, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not set(body) <= CREATE_KEYS or "workflow" not in body:
            return _error(3, f"bad WorkflowCreateRequest: {sorted(body) if isinstance(body, dict) else body}")
        workflow = body["workflow"]
        meta = workflow.get("metadata") or {}
        if body.get("namespace") != namespace or meta.get("namespace", namespace) != namespace:
            return _error(3, "the request's namespace differs from the path's")
        if workflow.get("kind") != "Workflow" or not meta.get("name"):
            return _error(3, "workflow must be a named Workflow")
        if (namespace, meta["name"]) in self.workflows:
            return _error(6, f'workflows.argoproj.io "{meta["name"]}" already exists')
        return 200, self.add({**workflow, "metadata": {**meta, "namespace": namespace}})

    def _set(self, namespace: str, name: str, body: Any) -> tuple[int, Any]:
        workflow = self.workflows.get((namespace, name))
        if workflow is None:
            return _error(5, f'workflows.argoproj.io "{name}" not found')
        if not isinstance(body, dict) or not set(body) <= SET_KEYS:
            return _error(3, f"bad WorkflowSetRequest: {body}")
        if body.get("name") != name or body.get("namespace") != namespace:
            return _error(3, "the request's name/namespace differ from the path's")
        selector = dict(term.split("=", 1) for term in body.get("nodeFieldSelector", "").split(",") if term)
        if not selector:
            return _error(2, "'set' currently only targets suspend nodes, use a node field selector to target them")
        outputs = json.loads(body["outputParameters"]) if body.get("outputParameters") else {}
        updated = False
        for node in (workflow.get("status") or {}).get("nodes", {}).values():
            if node.get("type") != "Suspend" or node.get("phase") != "Running":
                continue
            fields = {"id": node["id"], "name": node["name"], "displayName": node.get("displayName", "")}
            if any(fields.get(key) != value for key, value in selector.items()):
                continue
            for key, value in outputs.items():
                param = next((p for p in node.get("outputs", {}).get("parameters", []) if p["name"] == key), None)
                if param is None:
                    return _error(2, f"node is not expecting output parameter '{key}'")
                if "supplied" not in (param.get("valueFrom") or {}):
                    return _error(2, f"cannot set output parameter '{key}' because it was already set")
                param["value"] = value
                param.pop("valueFrom")
            if body.get("message"):
                node["message"] = body["message"]
            if body.get("phase"):
                node["phase"] = body["phase"]
                node["finishedAt"] = "2026-11-30T10:00:00Z"
            updated = True
        if not updated:
            return _error(2, f"currently, set only targets suspend nodes: no suspend nodes matching {selector}")
        return 200, workflow

    def _retry(self, namespace: str, name: str, body: Any) -> tuple[int, Any]:
        workflow = self.workflows.get((namespace, name))
        if workflow is None:
            return _error(5, f'workflows.argoproj.io "{name}" not found')
        if not isinstance(body, dict) or not set(body) <= RETRY_KEYS or body.get("name") != name:
            return _error(3, f"bad WorkflowRetryRequest: {body}")
        status = workflow.setdefault("status", {})
        if status.get("phase") not in ("Failed", "Error"):
            return _error(3, f"workflow must be Failed/Error to retry, it is {status.get('phase')}")
        nodes = status.get("nodes") or {}
        for node_id in [
            k for k, n in nodes.items() if n.get("type") == "Pod" and n.get("phase") in ("Failed", "Error")
        ]:
            del nodes[node_id]
        for node in nodes.values():
            if node.get("type") in ("DAG", "Steps") and node.get("phase") in ("Failed", "Error"):
                node["phase"] = "Running"
        status["phase"] = "Running"
        return 200, workflow


def _error(code: int, message: str) -> tuple[int, dict]:
    return GRPC_STATUS[code], {"code": code, "message": message, "details": []}


class _Handler(BaseHTTPRequestHandler):
    stub: ArgoStub

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        status, answer = self.stub.handle(self.command, self.path, dict(self.headers.items()), body)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass


class StubServer:
    """Runs an `ArgoStub` in a thread on 127.0.0.1 (plain HTTP, or TLS with a certificate and key file)."""

    def __init__(self, stub: ArgoStub, tls: tuple[str, str] | None = None):
        handler = type("Handler", (_Handler,), {"stub": stub})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
