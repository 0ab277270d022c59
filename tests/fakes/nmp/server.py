"""The schema-checked fake of NeMo Platform's customization and model-deployment APIs: a real HTTP server on
127.0.0.1 (tests/fakes/fake_http.py) whose every request body and every answer is validated against the
Platform's OpenAPI documents (tests/fakes/nmp/openapi.py).

    with FakeNmp(faults=[Fault("http_5xx", "POST", r"/automodel/jobs$", times=3)]) as fake:
        ...                       # point NMP_URL at fake.base_url
        fake.requests             # every RequestRecord, in arrival order
        fake.creations("customization_job")
        fake.violations           # schema violations seen (a test asserts it is empty)
        fake.on("deployment_ready", fn)   # fn(deployment) when a deployment turns READY (also
                                          # customization_job_completed): a test plays the controllers

A request that breaks the schema is answered 422 (as FastAPI would) and recorded in `violations`; an
answer of the fake that breaks it is recorded too (and still sent). Faults (tests/fakes/faults.py):
request-level kinds replace the answer; `timeout` with `commit_before_timeout=True` and `reset` with
`commit_before_reset=True` apply the request first, then lose the answer.
"""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.fake_http import RequestRecord, Response, Router, ServedApp, json_response
from tests.fakes.faults import Fault, FaultPlan
from tests.fakes.nemo_state import ApiError

from . import openapi
from .jobs import Jobs
from .models import Models
from .workspaces import Workspaces


@dataclass
class Creation:
    kind: str
    key: str
    body: Any


class FakeNmp(ServedApp):
    thread_name = "fake-nmp"

    def __init__(self, faults: FaultPlan | list[Fault] | None = None, job_steps: int = 6) -> None:
        self.schema = openapi.load()
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan(faults or [])
        self.job_steps = job_steps
        self.requests: list[RequestRecord] = []
        self.violations: list[str] = []
        self.cancelled: list[str] = []
        self._creations: list[Creation] = []
        self.listeners: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self.lock = threading.RLock()
        self.router = Router()
        self.jobs = Jobs(self)
        self.models = Models(self)
        self.workspaces = Workspaces(self)
        self.jobs.routes(self.router)
        self.models.routes(self.router)
        self.workspaces.routes(self.router)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- inspection -----------------------------------------------------------------------------------

    def created(self, kind: str, key: str, body: Any) -> None:
        self._creations.append(Creation(kind, key, body))

    def on(self, event: str, listener: Callable[[dict[str, Any]], None]) -> None:
        """Call `listener(obj)` on `event` (`deployment_ready`, `customization_job_completed`), before the
        request that caused it is answered: what the Platform's controllers would do at that moment."""
        self.listeners.setdefault(event, []).append(listener)

    def emit(self, event: str, obj: dict[str, Any]) -> None:
        for listener in self.listeners.get(event, []):
            listener(obj)

    def creations(self, kind: str | None = None) -> list[Creation]:
        with self.lock:
            return [c for c in self._creations if kind is None or c.kind == kind]

    def posts(self, path_suffix: str) -> list[RequestRecord]:
        """POST requests whose path ends with `path_suffix` (whatever their outcome)."""
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith(path_suffix)]

    # -- requests -------------------------------------------------------------------------------------

    def app(self, req: Any) -> Response:
        with self.lock:
            self.requests.append(req.record)
        fault = self.faults.take_request_fault(req.method, req.path)
        if fault is None:
            return self._handle(req)
        req.record.fault = fault.kind
        p = fault.params
        if fault.kind == "http_5xx":
            return json_response({"detail": f"injected HTTP {p.get('status', 503)}"}, int(p.get("status", 503)))
        if fault.kind == "rate_limit":
            return json_response({"detail": "Too Many Requests"}, 429, {"Retry-After": str(p.get("retry_after", 1))})
        if fault.kind == "conflict":
            return json_response({"detail": p.get("detail", "already exists (injected)")}, 409)
        if fault.kind == "reset":
            if p.get("commit_before_reset"):
                self._handle(req)
            return Response(0, reset=True)
        resp = self._handle(req) if p.get("commit_before_timeout") else json_response({"detail": "timeout"}, 504)
        resp.delay = float(p.get("seconds", 1.0)) + float(p.get("margin", 0.25))
        return resp

    def _handle(self, req: Any) -> Response:
        with self.lock:
            problems = self.schema.check_request(req.method, req.path, req.json)
            if problems:
                self.violations.extend(problems)
                return json_response({"detail": [{"loc": ["body"], "msg": p, "type": "schema"} for p in problems]}, 422)
            try:
                fn, match = self.router.resolve(req.method, req.path)
                result = fn(req, match)
            except ApiError as err:
                return json_response(err.body, err.status, err.headers)
            except Exception as exc:  # a bug in the fake: make it visible to the test
                self.violations.append(f"fake error on {req.method} {req.path}: {exc!r}")
                return json_response({"detail": f"fake error: {exc!r}", "trace": traceback.format_exc()[-2000:]}, 500)
            status, body = result if isinstance(result, tuple) else (200, result)
            body = json.loads(json.dumps(body))  # a snapshot: later changes of the state do not leak into it
            self.violations.extend(self.schema.check_response(req.method, req.path, status, body))
            return json_response(body, status)
