"""Evaluator (nemo-api.md §4): configs, targets and jobs with lifecycle
`created -> pending -> running -> completed | failed | cancelling -> cancelled` (§4.4), status
details `{progress, samples_processed, message, task_status}`, and results in the §4.3 shape
(tasks -> metrics -> scores -> {value, stats{count, sum, mean, stderr, ...}}).

Scores are deterministic: a hash of (target model id, task, metric, score) unless the platform
was given `score_fn(model_id, task, metric, score, n) -> float | {"value", "stats"}`.
A job whose target is a model id not served by the fake NIM when it starts running fails,
as the real Evaluator would when its inference calls get 404s.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile

from tests.fakes.entity_handlers import Collection, register_crud
from tests.fakes.fake_http import Response
from tests.fakes.nemo_state import (
    ApiError,
    entity_common,
    list_response,
    matches_filters,
    parse_filters,
    split_ref,
    unprocessable,
)

TARGET_TYPES = ("model", "cached_outputs", "retriever", "rag", "rows", "dataset")
TERMINAL = ("completed", "failed", "cancelled")
BENCHMARK_METRICS = {
    "gsm8k": ["exact_match__strict-match", "exact_match__flexible-extract"],
    "squad_completion": ["contains"],
    "squadv2": ["exact", "f1"],
    "triviaqa": ["exact_match"],
}
BENCHMARK_SIZES = {"gsm8k": 1319, "squadv2": 11873, "squad_completion": 2984, "triviaqa": 17944}
METRIC_SCORES = {
    "tool-calling": ["function_name_accuracy", "function_name_and_args_accuracy"],
    "rouge": ["rouge_1_score", "rouge_2_score", "rouge_L_score"],
    "bleu": ["sentence", "corpus"],
}


def _validate_target(ctx, req, body) -> list:
    if body.get("type") not in TARGET_TYPES:
        return [(("body", "type"), f"Input should be one of {TARGET_TYPES}", "enum")]
    if body["type"] == "model" and not body.get("model"):
        return [(("body", "model"), "Field required for type 'model'", "missing")]
    return []


def _resolve(ctx, ref, store: str, label: str, prefix: str, loc: str):
    if isinstance(ref, str):
        obj = getattr(ctx.state, store).get(split_ref(ref))
        if obj is None:
            raise ApiError(404, f"{label} {ref} not found")
        return obj
    if not isinstance(ref, dict) or not ref.get("type"):
        raise unprocessable([(("body", loc, "type"), "Field required", "missing")])
    if loc == "target":
        errors = _validate_target(ctx, None, ref)
        if errors:
            raise unprocessable([(("body", "target", *e[0][1:]), e[1], e[2]) for e in errors])
    return entity_common(ctx.state, ctx.clock, dict(ref, namespace=ref.get("namespace", "default")), id_prefix=prefix)


def model_id_of(target: dict) -> str:
    model = target.get("model")
    if isinstance(model, str):
        return model
    if isinstance(model, dict):
        endpoint = model.get("api_endpoint") or {}
        return endpoint.get("model_id") or f"{model.get('namespace', '')}/{model.get('name', '')}".strip("/")
    return target.get("name") or target.get("type", "target")


def _tasks(config: dict) -> dict[str, list[tuple[str, list[str], str]]]:
    """task -> [(metric, [score names], kind)] with kind 'unit' ([0, 1]) or 'judge' ([1, 10])."""
    tasks = config.get("tasks") or {config["type"]: {}}
    out = {}
    for task, tcfg in tasks.items():
        metrics = (tcfg or {}).get("metrics") or {}
        if not metrics:
            bench = (tcfg or {}).get("type") or task
            out[task] = [
                (m, [m], "unit")
                for m in BENCHMARK_METRICS.get(bench, BENCHMARK_METRICS.get(config["type"], ["accuracy"]))
            ]
            continue
        entries = []
        for name, mcfg in metrics.items():
            mtype = (mcfg or {}).get("type", name)
            if mtype == "llm-judge":
                scores = list(((mcfg.get("params") or {}).get("scores") or {"score": {}}).keys())
                entries.append((name, scores, "judge"))
            else:
                entries.append((name, METRIC_SCORES.get(mtype, [mtype]), "unit"))
        out[task] = entries
    return out


def _sample_count(config: dict, target: dict, task: str) -> int:
    tcfg = (config.get("tasks") or {}).get(task) or {}
    for source in (
        (tcfg.get("dataset") or {}).get("limit"),
        (tcfg.get("params") or {}).get("limit_samples"),
        (config.get("params") or {}).get("limit_samples"),
    ):
        if isinstance(source, int) and source > 0:
            return source
    if isinstance(target.get("rows"), list) and target["rows"]:
        return len(target["rows"])
    return BENCHMARK_SIZES.get(tcfg.get("type") or config["type"], 100)


def default_score(model_id: str, task: str, metric: str, score: str, n: int, kind: str) -> dict:
    u = int(hashlib.sha256(f"{model_id}|{task}|{metric}|{score}".encode()).hexdigest()[:8], 16) / 2**32
    if kind == "judge":
        value, sd, lo, hi = round(1 + 9 * u, 3), 2.0, 1.0, 10.0
    else:
        value = round(0.3 + 0.6 * u, 6)
        value = round(round(value * n) / n, 6)
        sd, lo, hi = math.sqrt(value * (1 - value)), 0.0, 1.0
    return {
        "value": value,
        "stats": {
            "count": n,
            "sum": round(value * n, 6),
            "mean": value,
            "min": lo,
            "max": hi,
            "stddev": round(sd, 6),
            "variance": round(sd * sd, 6),
            "stderr": round(sd / math.sqrt(n), 6),
            "nan_count": 0,
        },
    }


class EvaluationJob:
    def __init__(self, ctx, job_id: str, body: dict, faults: dict) -> None:
        d = ctx.delays
        self.ctx, self.id, self.body = ctx, job_id, body
        self.t0 = ctx.clock.now()
        self.t_running = self.t0 + d["evaluation.created"] + d["evaluation.pending"]
        self.t_pending = self.t0 + d["evaluation.created"]
        self.run = d["evaluation.running"]
        self.tasks = _tasks(body["config"])
        self.n = {task: _sample_count(body["config"], body["target"], task) for task in self.tasks}
        self.end, self.freeze, self.message, self.stalled = "completed", 1.0, None, False
        if "job_fails" in faults:
            p = faults["job_fails"].params
            self.end, self.freeze = "failed", float(p.get("at_fraction", 0.5))
            self.message = p.get("detail", "Evaluation failed: inference endpoint returned 500 (injected fault)")
        elif "job_stalls" in faults:
            self.end, self.freeze, self.stalled = None, float(faults["job_stalls"].params.get("at_fraction", 0.3)), True
        self.cancel_t: float | None = None
        self.checked = False
        self.result: dict | None = None

    @property
    def t_end(self) -> float:
        return self.t_running + self.run * (self.freeze if self.end == "failed" else 1.0)

    def status_at(self, t: float) -> str:
        if self.cancel_t is not None and t >= self.cancel_t:
            return "cancelling" if t < self.cancel_t + self.ctx.delays["evaluation.cancel"] else "cancelled"
        if t < self.t_pending:
            return "created"
        if t < self.t_running:
            return "pending"
        if self.end and t >= self.t_end:
            return self.end
        return "running"

    def tick(self, t: float) -> None:
        if not self.checked and t >= self.t_running and self.cancel_t is None:
            self.checked = True
            target = self.body["target"]
            from tests.fakes.inference import served_models

            if (
                target.get("type") == "model"
                and isinstance(target.get("model"), str)
                and target["model"] not in served_models(self.ctx, t)
            ):
                self.end, self.freeze = "failed", 0.0
                self.message = f"Model {target['model']} is not available: the inference endpoint returned 404"
        if self.result is None and self.status_at(t) == "completed":
            self.result = self._compute_result()

    def _compute_result(self) -> dict:
        model_id, score_fn = model_id_of(self.body["target"]), self.ctx.score_fn
        tasks = {}
        for task, metrics in self.tasks.items():
            out = {}
            for metric, scores, kind in metrics:
                out[metric] = {"scores": {}}
                for score in scores:
                    s = default_score(model_id, task, metric, score, self.n[task], kind)
                    if score_fn is not None:
                        custom = score_fn(model_id, task, metric, score, self.n[task])
                        s = custom if isinstance(custom, dict) else dict(s, value=float(custom))
                    out[metric]["scores"][score] = s
            tasks[task] = {"metrics": out}
        when = self.ctx.clock.iso(self.t_end)
        return {
            "id": self.ctx.state.new_id("evaluation_result"),
            "job": self.id,
            "tasks": tasks,
            "groups": {},
            "namespace": self.body["namespace"],
            "custom_fields": {},
            "files_url": None,
            "description": None,
            "project": self.body.get("project"),
            "created_at": when,
            "updated_at": when,
        }

    def details(self, t: float) -> dict:
        status = self.status_at(t)
        stop = t if self.cancel_t is None else min(t, self.cancel_t)
        frac = 0.0 if t < self.t_running else max(0.0, min((stop - self.t_running) / self.run, 1.0, self.freeze))
        if status == "completed":
            frac = 1.0
        task_state = {
            "created": "pending",
            "pending": "pending",
            "running": "running",
            "completed": "completed",
            "failed": "failed",
            "cancelling": "failed",
            "cancelled": "failed",
        }[status]
        if status in ("cancelling", "cancelled") and frac == 0.0:
            task_state = "pending"
        message = self.message if status == "failed" else {"cancelled": "Job was cancelled"}.get(status)
        return {
            "status": status,
            "progress": None if status in ("created", "pending") else round(100 * frac, 2),
            "samples_processed": int(frac * sum(self.n.values())),
            "message": message,
            "task_status": {} if status == "created" else dict.fromkeys(self.tasks, task_state),
        }

    def view(self, t: float) -> dict:
        d = self.details(t)
        status = d.pop("status")
        updated = {"completed": self.t_end, "failed": self.t_end}.get(status, self.t0)
        return dict(
            self.body,
            status=status,
            status_details=d,
            result=self.result["id"] if self.result else None,
            updated_at=self.ctx.clock.iso(updated),
        )


def job_create(ctx, req, m):
    body = req.json_object()
    missing = [(("body", f), "Field required", "missing") for f in ("config", "target") if not body.get(f)]
    if missing:
        raise unprocessable(missing)
    config = _resolve(ctx, body["config"], "evaluation_configs", "Evaluation config", "eval-config", "config")
    target = _resolve(ctx, body["target"], "evaluation_targets", "Evaluation target", "eval-target", "target")
    job_id = ctx.state.new_id("eval")
    view = entity_common(
        ctx.state,
        ctx.clock,
        {
            "namespace": body.get("namespace", "default"),
            "project": body.get("project"),
            "description": body.get("description"),
            "custom_fields": body.get("custom_fields") or {},
            "ownership": body.get("ownership"),
            "output_files_url": body.get("output_files_url"),
            "config": config,
            "target": target,
        },
    )
    view["id"] = job_id
    faults = ctx.faults.take_lifecycle({"job_fails", "job_stalls"}, req.method, req.path)
    job = EvaluationJob(ctx, job_id, view, faults)
    ctx.state.evaluation_jobs[job_id] = job
    ctx.created("evaluation_job", job_id, body)
    return job.view(ctx.clock.now())


def _job(ctx, m) -> EvaluationJob:
    job = ctx.state.evaluation_jobs.get(m["id"])
    if job is None:
        raise ApiError(404, f"Evaluation job {m['id']} not found")
    return job


def job_results(ctx, req, m):
    job = _job(ctx, m)
    if job.result is None:
        raise ApiError(
            404, f"Results of evaluation job {job.id} are not available: job is {job.status_at(ctx.clock.now())}"
        )
    return job.result


def job_download(ctx, req, m):
    result = job_results(ctx, req, m)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("results.json", json.dumps(result, indent=2))
    return Response(
        200,
        buf.getvalue(),
        {"Content-Type": "application/zip", "Content-Disposition": f'attachment; filename="{m["id"]}.zip"'},
    )


def job_cancel(ctx, req, m):
    job, t = _job(ctx, m), ctx.clock.now()
    status = job.status_at(t)
    if status in TERMINAL or status == "cancelling":
        raise ApiError(409, f"Evaluation job {job.id} is already {status}")
    job.cancel_t = t
    return job.view(t)


def job_list(ctx, req, m):
    t, filters = ctx.clock.now(), parse_filters(req.query)
    views = [job.view(t) for job in ctx.state.evaluation_jobs.values()]
    return list_response([v for v in views if matches_filters(v, filters)], req.query)


def routes(router, ctx) -> None:
    register_crud(
        router,
        ctx,
        Collection(
            "evaluation_config",
            "Evaluation config",
            "evaluation_configs",
            "/v1/evaluation/configs",
            required=("type", "name", "namespace"),
            id_prefix="eval-config",
            defaults={"namespace": "default"},
        ),
    )
    register_crud(
        router,
        ctx,
        Collection(
            "evaluation_target",
            "Evaluation target",
            "evaluation_targets",
            "/v1/evaluation/targets",
            required=("type", "name", "namespace"),
            id_prefix="eval-target",
            defaults={"namespace": "default"},
            validate=_validate_target,
        ),
    )

    def add(methods, pattern, fn):
        return router.add(methods, pattern, lambda req, m: fn(ctx, req, m))

    add("POST", r"/v1/evaluation/jobs", job_create)
    add("GET", r"/v1/evaluation/jobs", job_list)
    add("GET", r"/v1/evaluation/jobs/(?P<id>[^/]+)", lambda c, r, m: _job(c, m).view(c.clock.now()))
    add(
        "DELETE",
        r"/v1/evaluation/jobs/(?P<id>[^/]+)",
        lambda c, r, m: (c.state.evaluation_jobs.pop(_job(c, m).id), Response(204))[1],
    )
    add("GET", r"/v1/evaluation/jobs/(?P<id>[^/]+)/status", lambda c, r, m: _job(c, m).details(c.clock.now()))
    add("GET", r"/v1/evaluation/jobs/(?P<id>[^/]+)/results", job_results)
    add("GET", r"/v1/evaluation/jobs/(?P<id>[^/]+)/download-results", job_download)
    add("POST", r"/v1/evaluation/jobs/(?P<id>[^/]+)/cancel", job_cancel)
    add(
        "GET",
        r"/v1/evaluation/jobs/(?P<id>[^/]+)/logs",
        lambda c, r, m: {
            "data": [
                {"message": f"status: {_job(c, m).status_at(c.clock.now())}", "timestamp": c.clock.iso(c.clock.now())}
            ]
        },
    )
