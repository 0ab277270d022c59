"""NeMo Evaluator: academic benchmarks (LM Evaluation Harness) as Evaluator jobs against the NIM model.

A built-in benchmark (gsm8k, squad, triviaqa) maps to its Evaluator config type and generation budget;
any other name is passed through as the lm-evaluation-harness task the config `type` names, with the
task's own generation settings, and its headline is the first score the results report.
Per-item values: the v1 results carry aggregate scores only, so `items` stays None.
One job per (benchmark, model, limit, few-shot) content key, carried in the job's custom fields and
config name: `run_benchmark` finds a completed job and reuses its results, follows an active one, and
creates a job only when none is usable (retries off; after a failed create it looks again).
The target is NIM's OpenAI completions endpoint with the base model id or the adapter id.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steps.contracts import BenchmarkScore
from steps.errors import PlatformNotAvailableError, StepFailedError
from steps.nemo import settings
from steps.nemo.client import (
    API_ERRORS,
    call_idempotent,
    create_once,
    get_logger,
    iterate_pages,
    nemo_client,
    platform_error,
)
from steps.nemo.polling import Watch
from steps.nemo.shapes import field, mapping, number, plain, require

log = get_logger(__name__)

# Evaluator config `type` per benchmark (nemo-api.md §4.2c: gsm8k [D], squad_completion [D], triviaqa [I]).
CONFIG_TYPE = {"gsm8k": "gsm8k", "squad": "squad_completion", "triviaqa": "triviaqa"}
MAX_TOKENS = {"gsm8k": 256, "squad": 64, "triviaqa": 32}
# Headline score names in order of preference (lm-eval metric names with NeMo's `__<filter>` suffix).
HEADLINE = {
    "gsm8k": ("exact_match__strict-match", "exact_match__flexible-extract", "exact_match"),
    "squad": ("f1", "contains", "exact", "exact_match"),
    "triviaqa": ("exact_match__remove_whitespace", "exact_match"),
}
STANDARD_DATA = ("standard", "smoke", "")
KEY_FIELD = "llmops_eval_key"
ACTIVE = frozenset({"created", "pending", "running", "unknown"})
ENDED_BADLY = frozenset({"failed", "cancelled", "cancelling"})
JOBS = "/v1/evaluation/jobs"


def eval_key(benchmark: str, model_id: str, limit: int | None, num_fewshot: int | None, target_url: str) -> str:
    payload = json.dumps(
        [benchmark, config_type(benchmark), model_id, limit, num_fewshot, target_url, MAX_TOKENS.get(benchmark)],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def config_type(benchmark: str) -> str:
    """The Evaluator config `type`: the built-in benchmark's, else the lm-eval task name itself."""
    return CONFIG_TYPE.get(benchmark, benchmark)


def _status(job: Any) -> str:
    return str(field(job, "status") or "unknown")


def _id(job: Any, endpoint: str) -> str:
    return str(require(job, "id", endpoint=endpoint, what="an evaluation job"))


def flatten_scores(result: Any) -> dict[str, Any]:
    """{name: Score} over tasks and groups; name = `<metric>.<score>` (or the score alone when they match)."""
    found: dict[str, Any] = {}
    for section in (mapping(result, "tasks"), mapping(result, "groups")):
        for task, task_result in section.items():
            for metric, metric_result in mapping(task_result, "metrics").items():
                for score_name, score in mapping(metric_result, "scores").items():
                    name = score_name if score_name == metric else f"{metric}.{score_name}"
                    found[name if name not in found else f"{task}.{name}"] = score
    return found


def headline(benchmark: str, scores: dict[str, Any]) -> str:
    """The score that stands for the benchmark: for a built-in one the preferred names first, then
    exact match, then F1; for any other lm-eval task the first score reported."""
    if benchmark not in HEADLINE and scores:
        return next(iter(scores))

    def last(name: str) -> str:
        return name.rsplit(".", 1)[-1]

    for wanted in HEADLINE.get(benchmark, ()):
        for name in sorted(scores):
            # `exact_match__strict-match` may come as one score name or as metric `exact_match`, score `strict-match`.
            if wanted in (last(name), name, name.replace(".", "__"), "__".join(name.split(".")[-2:])):
                return name
    for fragment in ("exact_match", "f1"):
        candidates = sorted(n for n in scores if fragment in last(n))
        if candidates:
            return candidates[0]
    if len(scores) == 1:
        return next(iter(scores))
    raise StepFailedError(
        f"{benchmark}: no headline score among {sorted(scores) or 'no scores'} in the Evaluator results"
    )


class NemoEvaluator:
    def __init__(
        self,
        client: Any = None,
        timing: settings.Timing | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client or nemo_client()
        self.timing = timing or settings.EVALUATION
        self.sleep, self.clock = sleep, clock

    def bodies(
        self, benchmark: str, model_id: str, limit: int | None, num_fewshot: int | None, namespace: str
    ) -> tuple[str, dict, dict]:
        """(content key, config, target) of the Evaluator job for one benchmark on one model."""
        url = f"{settings.nim_url()}/v1/completions"
        key = eval_key(benchmark, model_id, limit, num_fewshot, url)
        extra: dict[str, Any] = {"model_type": "completions"}
        if num_fewshot is not None:
            extra["num_fewshot"] = num_fewshot
        if settings.hf_token():
            extra["hf_token"] = settings.hf_token()  # harness tasks fetch their data sets from the Hub
        params: dict[str, Any] = {"temperature": 0.0}
        if benchmark in MAX_TOKENS:  # else the lm-eval task's own generation settings apply
            params["max_tokens"] = MAX_TOKENS[benchmark]
        params.update(parallelism=8, extra=extra)
        if limit:
            params["limit_samples"] = limit
        config = {
            "type": config_type(benchmark),
            "name": f"llmops-{benchmark}-{key}",
            "namespace": namespace,
            "params": params,
        }
        endpoint: dict[str, Any] = {"url": url, "model_id": model_id, "format": "nim"}
        if settings.ngc_api_key():
            endpoint["api_key"] = settings.ngc_api_key()
        return key, config, {"type": "model", "model": {"api_endpoint": endpoint}}

    def find_jobs(self, key: str) -> list[Any]:
        """Evaluation jobs carrying this content key, newest first."""
        return [
            job
            for job in iterate_pages(self.client.evaluation.jobs.list, what="list evaluation jobs", sort="-created_at")
            if mapping(job, "custom_fields").get(KEY_FIELD) == key
        ]

    def run_benchmark(
        self,
        benchmark: str,
        data: str,
        base_model: str,
        adapter_id: str,
        limit: int | None,
        output_dir: Path,
        num_fewshot: int | None = None,
    ) -> BenchmarkScore:
        if data not in STANDARD_DATA:
            raise PlatformNotAvailableError(
                f"benchmark data {data!r} is a local-platform folder; on nemo the Evaluator scores the harness's "
                "own test set (use data 'standard')"
            )
        model_id = adapter_id or base_model
        namespace = adapter_id.split("/", 1)[0] if adapter_id and "/" in adapter_id else "llmops"
        key, config, target = self.bodies(benchmark, model_id, limit, num_fewshot, namespace)
        jobs = self.find_jobs(key)
        job = next((j for j in jobs if _status(j) == "completed"), None) or next(
            (j for j in jobs if _status(j) in ACTIVE), None
        )
        if job is None:
            if jobs:
                log.warning(
                    "previous evaluation job %s for this content ended %s: %s; starting a new one",
                    field(jobs[0], "id"),
                    _status(jobs[0]),
                    field(field(jobs[0], "status_details"), "message"),
                )
            job = self._create(key, config, target, namespace, benchmark, model_id)
        job = self._follow(_id(job, f"GET {JOBS}")) if _status(job) != "completed" else job
        return self._score(benchmark, job, limit, Path(output_dir))

    def _create(self, key: str, config: dict, target: dict, namespace: str, benchmark: str, model_id: str) -> Any:
        body = {
            "config": config,
            "target": target,
            "namespace": namespace,
            "description": f"llmops {benchmark} on {model_id}",
            "custom_fields": {KEY_FIELD: key, "llmops_benchmark": benchmark, "llmops_model": model_id},
        }

        def create() -> Any:
            job = self.client.with_options(max_retries=0).evaluation.jobs.create(**body)
            log.info("created evaluation job %s (%s on %s)", _id(job, f"POST {JOBS}"), benchmark, model_id)
            return job

        def find() -> Any:
            return next((j for j in self.find_jobs(key) if _status(j) in ACTIVE | {"completed"}), None)

        return create_once(
            create,
            find,
            what=f"create evaluation job ({benchmark} on {model_id})",
            poll=self.timing.scaled().poll,
            sleep=self.sleep,
        )

    def _follow(self, job_id: str) -> Any:
        watch = Watch(self.timing, f"evaluation job {job_id}", clock=self.clock)
        while True:
            job = call_idempotent(self.client.evaluation.jobs.retrieve, job_id, what=f"get evaluation job {job_id}")
            status = _status(job)
            details = field(job, "status_details")
            if status == "completed":
                return job
            if status in ENDED_BADLY:
                message = field(details, "message") or "no message"
                raise StepFailedError(
                    settings.redact(
                        f"evaluation job {job_id} {status}: {message}; see GET /v1/evaluation/jobs/{job_id}/logs"
                    )
                )
            watch.advance(status, field(details, "progress"), field(details, "samples_processed"))
            watch.check(
                f"progress {field(details, 'progress')}",
                f"the job is left running; cancel it with POST /v1/evaluation/jobs/{job_id}/cancel",
            )
            self.sleep(watch.poll)

    def _score(self, benchmark: str, job: Any, limit: int | None, output_dir: Path) -> BenchmarkScore:
        job_id = _id(job, f"GET {JOBS}")
        try:
            result = call_idempotent(
                self.client.evaluation.jobs.results, job_id, what=f"results of evaluation job {job_id}"
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"results of evaluation job {job_id}") from None
        endpoint = f"GET {JOBS}/{job_id}/results"
        scores = flatten_scores(result)
        values = {k: number(v, "value", endpoint=endpoint, what=f"score {k!r}") for k, v in scores.items()}
        name = headline(benchmark, values)
        stats = field(scores[name], "stats")
        processed = field(field(job, "status_details"), "samples_processed")
        n = field(stats, "count") or processed or limit or 0
        output_dir.mkdir(parents=True, exist_ok=True)
        raw = output_dir / f"results_{benchmark}.json"
        payload = {"job_id": job_id, "results": plain(result)}
        raw.write_text(settings.redact(json.dumps(payload, indent=2, sort_keys=True)))
        return BenchmarkScore(
            benchmark=benchmark,
            metric=name,
            score=values[name],
            stderr=field(stats, "stderr"),
            n=int(n),
            metrics=values,
            samples_file=str(raw),
        )
