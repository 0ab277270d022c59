"""A contract-faithful fake of the NeMo microservices platform (v1 APIs of nemo-api.md) for tests.

One real HTTP server (stdlib ThreadingHTTPServer on 127.0.0.1, ephemeral port, daemon thread)
serves the three base URLs:

    fake.nemo_url = http://127.0.0.1:<port>        Entity Store, Customizer, Evaluator, DMS, Guardrails
    fake.nds_url  = http://127.0.0.1:<port>        Data Store: /v1/datastore/..., HF API under /v1/hf
    fake.nim_url  = http://127.0.0.1:<port>/nim    NIM OpenAI API (prefixed: /v1/models exists on both)

Usage:

    with FakeNemoPlatform(faults=FaultPlan([Fault("http_5xx", "POST", r"/v1/customization/jobs$")]),
                          time_scale=0.01) as fake:
        ...  # point NEMO_URL / NDS_URL / NIM_URL at fake.nemo_url / fake.nds_url / fake.nim_url
        fake.requests                          # every RequestRecord, in arrival order
        fake.creations("customization_job")    # successful creations of that kind
        fake.state                             # the in-memory state (lifecycles advanced first)
        fake.advance(600)                      # jump the nominal clock forward

Lifecycles run on a nominal clock scaled by `time_scale` (see nemo_state.DEFAULT_DELAYS).
`shapes="minimal" | "nulls" | "extra"` (or several) reshapes the v1 answers (see shapes.py).

Endpoints (module: nemo-api.md section)
  hf_handlers  §1  POST/GET/DELETE /v1/datastore/namespaces[/{ns}] (form-encoded create, 201/409);
                   /v1/hf: api/repos/create|delete, api/{type}s/{repo}/preupload|commit|branch|tree/{rev},
                   api/{type}s/{repo}[/revision/{rev}], [datasets/]{repo}/resolve/{rev}/{path} (GET/HEAD)
  entity_handlers §2  /v1/namespaces, /v1/projects, /v1/datasets, /v1/models: POST, GET list, GET/PATCH/DELETE item
  customizer   §3  /v1/customization/configs|targets (CRUD), jobs: POST, GET list, GET {id}, {id}/status,
                   POST {id}/cancel, GET {id}/container-logs
  evaluator    §4  /v1/evaluation/configs|targets (CRUD), jobs: POST, GET list, GET/DELETE {id}, {id}/status,
                   {id}/results, {id}/download-results, {id}/logs, POST {id}/cancel
  inference    §5/§6  /v1/deployment/model-deployments (POST, list, GET/DELETE {ns}/{name}), /v1/deployment/configs;
                   /nim/v1/models, /nim/v1/chat/completions, /nim/v1/health/ready|live
  guardrails   §7  /v1/guardrail/configs (CRUD), POST /v1/guardrail/checks, POST /v1/guardrail/chat/completions,
                   GET /v1/guardrail/models
Errors: FastAPI `{"detail": ...}` (422: a list of {loc, msg, type}); HF API: `{"error"}` + X-Error-Code;
NIM: OpenAI `{"error": {message, type, param, code}}`.
"""

from __future__ import annotations

import threading
import traceback

from tests.fakes import customizer, entity_handlers, evaluator, guardrails, hf_handlers, inference
from tests.fakes import shapes as shapes_module
from tests.fakes.fake_http import FakeHTTPServer, RequestRecord, Response, Router, json_response
from tests.fakes.faults import Fault, FaultPlan
from tests.fakes.nemo_state import DEFAULT_DELAYS, ApiError, Clock, Creation, State

__all__ = ["Creation", "FakeNemoPlatform", "Fault", "FaultPlan", "RequestRecord"]


class _Context:
    """What handlers see: the raw state (no implicit tick) plus the platform's settings and hooks."""

    def __init__(self, platform: FakeNemoPlatform) -> None:
        self._platform = platform
        self.state = platform._state

    def __getattr__(self, name: str):
        return getattr(self._platform, name)


class FakeNemoPlatform:
    def __init__(
        self,
        faults: FaultPlan | list[Fault] | None = None,
        time_scale: float = 0.01,
        chat_model=None,
        *,
        score_fn=None,
        delays: dict | None = None,
        nim_base_models=(),
        customization_configs=None,
        strict_customization: bool = True,
        seed: int = 0,
        hf_tree_page_size: int = 1000,
        shapes: str | tuple[str, ...] | list[str] | frozenset[str] | None = None,
    ) -> None:
        """
        chat_model: None (deterministic echo), an object with `create(messages, max_tokens, temperature, stop
            [, tools, tool_choice]) -> OpenAI chat.completion dict`, a dict {model_id | "*": such object},
            or a factory `model_id -> object`.
        score_fn: `(model_id, task, metric, score, n) -> float | {"value", "stats"}` for evaluation results.
        delays: overrides of nominal durations (keys of nemo_state.DEFAULT_DELAYS).
        nim_base_models: model ids the NIM serves from the start (as if deployed outside DMS).
        customization_configs: replaces the seeded Customizer configs (list of config dicts).
        strict_customization: require every field the pipeline must send on a customization job
            (training_type, epochs, batch_size, learning_rate, lora.{adapter_dim, alpha, adapter_dropout},
            output_model); False applies only the server schema (config, dataset, finetuning_type).
        shapes: shape variants of the answers ("minimal", "nulls", "extra"; see shapes.py).
        """
        unknown = set(delays or {}) - set(DEFAULT_DELAYS)
        if unknown:
            raise ValueError(f"unknown delay keys {sorted(unknown)}; known: {sorted(DEFAULT_DELAYS)}")
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan(faults or [])
        self.clock = Clock(time_scale)
        self.delays = dict(DEFAULT_DELAYS, **(delays or {}))
        self.chat_model = chat_model
        self.score_fn = score_fn
        self.strict_customization = strict_customization
        self.hf_tree_page_size = hf_tree_page_size
        self.shapes = shapes_module.variants(shapes)
        self.requests: list[RequestRecord] = []
        self._state = State(seed)
        self._state.nim_static_models = list(nim_base_models)
        self.router = Router()
        ctx = _Context(self)
        for module in (hf_handlers, entity_handlers, customizer, evaluator, inference, guardrails):
            module.routes(self.router, ctx)
        customizer.seed(ctx, customization_configs)
        guardrails.seed(ctx)
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle of the server

    def start(self) -> FakeNemoPlatform:
        if self._server is not None:
            return self
        self._server = FakeHTTPServer(self.app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-nemo-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.close_everything()
        server.server_close()
        if thread is not None:
            thread.join(5)
        self._server = self._thread = None
        self._stopped_server = server

    def __enter__(self) -> FakeNemoPlatform:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def live_threads(self) -> list[threading.Thread]:
        """Server and connection threads still alive (empty after stop())."""
        server = self._server or getattr(self, "_stopped_server", None)
        threads = server.live_threads() if server else []
        if self._thread is not None and self._thread.is_alive():
            threads.append(self._thread)
        return threads

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake platform is not started; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def nemo_url(self) -> str:
        return self.base_url

    @property
    def nds_url(self) -> str:
        return self.base_url

    @property
    def nim_url(self) -> str:
        return self.base_url + "/nim"

    # ------------------------------------------------------------------ inspection

    @property
    def state(self) -> State:
        with self._state.lock:
            self.tick()
        return self._state

    def creations(self, kind: str | None = None) -> list[Creation]:
        """Successful creations (the server applied them), optionally of one kind: customization_job,
        evaluation_job, deployment, dataset, model, namespace, project, guardrail_config, datastore_namespace,
        hf_repo, hf_commit, customization_config, customization_target, evaluation_config, evaluation_target,
        deployment_config. Objects the platform makes itself (Customizer output models) are not included."""
        with self._state.lock:
            return [c for c in self._state.creations if kind is None or c.kind == kind]

    def hf_files(self, repo_id: str, repo_type: str = "dataset", revision: str = "main") -> dict[str, bytes]:
        with self._state.lock:
            repo = self._state.hf_repos.get((repo_type, repo_id))
            return repo.files(revision) if repo else {}

    def served_models(self) -> list[str]:
        with self._state.lock:
            self.tick()
            return inference.served_models(_Context(self), self.clock.now())

    def advance(self, nominal_seconds: float) -> None:
        """Move the nominal clock forward (lifecycles jump; works with time_scale=0 too)."""
        self.clock.advance(nominal_seconds)

    # ------------------------------------------------------------------ hooks used by the handlers

    def created(self, kind: str, key: str, body) -> None:
        self._state.record_creation(kind, key, body, self.clock.now())

    def register_model_meta(self, key: tuple[str, str], slow_fault: Fault | None, ready_t: float | None) -> None:
        sync = self.delays["model_sync"]
        if slow_fault is not None:
            p = slow_fault.params
            sync = float(p["seconds"]) if "seconds" in p else self.clock.to_nominal(float(p.get("real_seconds", 300)))
        self._state.model_meta[key] = {"ready_t": ready_t, "sync_delay": sync}

    def tick(self) -> None:
        t = self.clock.now()
        for job in list(self._state.customization_jobs.values()) + list(self._state.evaluation_jobs.values()):
            job.tick(t)

    # ------------------------------------------------------------------ request handling

    def app(self, req) -> Response:
        with self._state.lock:
            self.requests.append(req.record)
        fault = self.faults.take_request_fault(req.method, req.path)
        if fault is None:
            return self._handle(req)
        req.record.fault = fault.kind
        p = fault.params
        if fault.kind == "http_5xx":
            status = int(p.get("status", 503))
            return json_response({"detail": f"injected HTTP {status}"}, status)
        if fault.kind == "rate_limit":
            return json_response({"detail": "Too Many Requests"}, 429, {"Retry-After": str(p.get("retry_after", 1))})
        if fault.kind == "reset":
            return Response(0, reset=True)
        if fault.kind == "conflict":
            return json_response({"detail": p.get("detail", "resource already exists (injected race)")}, 409)
        delay = float(p.get("seconds", 1.0)) + float(p.get("margin", 0.25))  # timeout
        if p.get("commit_before_timeout"):
            resp = self._handle(req)
        else:
            resp = json_response({"detail": "Gateway Timeout"}, 504)
        resp.delay = delay
        return resp

    def _handle(self, req) -> Response:
        try:
            with self._state.lock:
                self.tick()
                fn, match = self.router.resolve(req.method, req.path)
                result = fn(req, match)
            if callable(result) and not isinstance(result, Response):
                result = result()  # deferred work (model generation) runs outside the state lock
            if isinstance(result, Response):
                return result
            return json_response(shapes_module.reshape(req.method, req.path, result, self.shapes))
        except ApiError as err:
            return json_response(err.body, err.status, err.headers)
        except Exception as exc:  # a bug in the fake: make it visible to the test
            return json_response(
                {"detail": f"fake platform error: {exc!r}", "traceback": traceback.format_exc()[-4000:]}, 500
            )
