"""Scoring rows with NeMo Platform's Evaluator: offline metric jobs over a fileset, results read back.

`score_with_evaluator(client, specs, rows)` is what any evaluation on this backend calls (the benchmarks
of `steps/nmp/evaluator.py`; business evaluation can call it the same way). `specs` are the run spec's
metric specs (`steps.logic.metrics.parse_metric_specs`), sent to the Platform unchanged but for the name
(NeMo's metric has none: its scores are named `<type>.<score>`, mapped back here) and v1's
`tool_calls_ground_truth`, sent as NeMo's `reference`. Each row is a dataset item with its `id` plus the
model's answer (`answer_fields`): `output` (its text, the job's `sample.output_text`) and `response` (the
OpenAI chat completion, which NeMo's tool-calling metric reads the calls from). Types NeMo lacks (`json-fields`, and the
project's extensions such as a `regex` string check) fail the metric's validation with an error naming it.

Returns `{score name: ScoreResult}` as `steps.logic.metrics.evaluate` does: the Platform's mean, the
stderr from its population standard deviation (std/sqrt(count), the project's formula), n, and per-item
values keyed by row id. A row the Platform scored NaN (number-check finding no number in the answer) is
a failure of that score (left out of value and n), where the project's engine scores it 0.

Jobs are content-addressed: the job name is `llmops-eval-<key>` (key: rows and specs) and the key is in
its custom fields. A completed job with that name is read, not run again; an active one is followed
(stall and cap from settings.EVALUATION; SIGTERM cancels it); a failed one leaves its name to the next
attempt (`-2`, `-3`, ... up to MAX_ATTEMPTS); a create is never retried blindly (`create_once`).
Metrics of the same type go to separate jobs (row scores are keyed by type).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from steps.errors import InvalidInputError, StepFailedError
from steps.logic.item_scores import ItemValue
from steps.logic.metrics import MetricSpecBase, ScoreResult, score_names
from steps.nmp import settings
from steps.nmp.client import API_ERRORS, call_idempotent, create_once, get_logger, platform_error, ready, status_of
from steps.nmp.policy import POLICY
from steps.remote.waiting import Terminated, Watch, sigterm_raises

log = get_logger(__name__)
KEY_FIELD = "llmops_eval_key"
FILE = "rows.jsonl"
ENDED = frozenset({"completed", "error", "cancelled", "failed"})


def jobs_path(name: str = "") -> str:
    return f"/apis/evaluator/v2/workspaces/{settings.workspace()}/evaluate/jobs" + (f"/{name}" if name else "")


def platform_metric(spec: MetricSpecBase) -> Any:
    """NeMo's metric config for a run-spec metric spec (its own model, validated); an error names the metric."""
    from nemo_evaluator_sdk.metrics.types import MetricsUnion  # type: ignore[import-untyped]
    from pydantic import TypeAdapter, ValidationError

    body = spec.model_dump(exclude={"name"}, exclude_none=True)
    if "tool_calls_ground_truth" in body:
        body["reference"] = body.pop("tool_calls_ground_truth")
    try:
        return TypeAdapter(MetricsUnion).validate_python(body)
    except ValidationError as exc:
        raise InvalidInputError(
            f"metric {spec.name!r} (type {spec.type!r}) is not one NeMo Platform's Evaluator runs: "
            f"{exc.errors()[0]['msg']}; use one of its types (exact-match, f1, string-check, number-check, "
            "tool-calling, ...) with its parameters, or the local platform"
        ) from None


def _bundles(specs: Sequence[MetricSpecBase]) -> list[dict[str, Any]]:
    from nemo_evaluator.sdk._executor import bundle_metric  # type: ignore[import-untyped]
    from nemo_evaluator.shared.metric_bundles.defaults import (  # type: ignore[import-untyped]
        resolve_default_metric_bundle_packager,
    )

    metrics = [platform_metric(spec) for spec in specs]
    packager = resolve_default_metric_bundle_packager(
        metrics, None, allow_cloudpickle_fallback=False, action="Submitting"
    )
    return [json.loads(bundle_metric(metric, packager).model_dump_json()) for metric in metrics]


def rounds(specs: Sequence[MetricSpecBase]) -> list[list[MetricSpecBase]]:
    """The specs in groups without a repeated type (one job each), in order."""
    groups: list[list[MetricSpecBase]] = []
    for spec in specs:
        group = next((g for g in groups if all(s.type != spec.type for s in g)), None)
        if group is None:
            groups.append(group := [])
        group.append(spec)
    return groups


def content_key(specs: Sequence[MetricSpecBase], rows: Sequence[Mapping[str, Any]]) -> str:
    payload = json.dumps([[s.model_dump(mode="json") for s in specs], list(rows)], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _get(client: Any, name: str) -> dict[str, Any] | None:
    try:
        return call_idempotent(client.get, jobs_path(name), cast_to=object, what=f"GET evaluation job {name}")
    except API_ERRORS as exc:
        if status_of(exc) == 404:
            return None
        raise platform_error(exc, f"GET {jobs_path(name)}") from None


def _create(client: Any, name: str, key: str, specs: Sequence[MetricSpecBase], rows: Sequence[Mapping]) -> dict:
    workspace = settings.workspace()
    metrics = _bundles(specs)
    fileset = f"llmops-eval-{key}"
    content = "".join(json.dumps(dict(row), sort_keys=True) + "\n" for row in rows)
    errors = API_ERRORS
    try:  # same name, same content: uploading again after a lost answer changes nothing
        call_idempotent(
            client.files.upload_content,
            content=content,
            remote_path=FILE,
            fileset=fileset,
            workspace=workspace,
            fileset_auto_create=True,
            what=f"upload {fileset}",
        )
    except errors as exc:
        raise platform_error(exc, f"upload the rows of evaluation job {name} to fileset {fileset}") from None
    body = {
        "name": name,
        "description": f"llmops: {', '.join(s.name for s in specs)} over {len(rows)} rows",
        "custom_fields": {KEY_FIELD: key},
        "spec": {"dataset": f"{workspace}/{fileset}#{FILE}", "metrics": metrics, "field_mapping": {"output": "output"}},
    }
    return create_once(
        lambda: client.post(jobs_path(), body=body, cast_to=object),
        lambda: _get(client, name),
        what=f"create evaluation job {name} (POST {jobs_path()})",
        poll=settings.EVALUATION.poll * POLICY.time_scale(),
    )


def follow(client: Any, name: str, sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
    """The job once it ended (completed, or a StepFailedError naming it); SIGTERM cancels it."""
    import time

    sleep = sleep or time.sleep
    watch = Watch(settings.EVALUATION, f"evaluation job {name}", POLICY)
    with sigterm_raises():
        try:
            while True:
                job = _get(client, name)
                if job is None:
                    raise StepFailedError(f"evaluation job {name} disappeared ({jobs_path(name)} answers 404)")
                status = str(job.get("status") or "unknown")
                if status == "completed":
                    return job
                if status in ENDED:
                    details = job.get("error_details") or (job.get("status_details") or {}).get("message")
                    raise StepFailedError(
                        f"evaluation job {name} ended {status}: {details}; see `GET {jobs_path(name)}/logs`; "
                        "re-running the step runs it again under the next name"
                    )
                watch.advance(status)
                watch.check(hint=f"logs: GET {jobs_path(name)}/logs")
                sleep(watch.poll)
        except Terminated:
            log.warning("SIGTERM: cancelling evaluation job %s", name)
            try:
                client.post(f"{jobs_path(name)}/cancel", cast_to=object)
            except API_ERRORS as exc:
                log.warning("could not cancel evaluation job %s: %s", name, exc)
            raise


def download(client: Any, name: str, result: str) -> str:
    """The text of one result of a job (`aggregate-scores`, `row-scores`)."""
    path = f"{jobs_path(name)}/results/{result}/download"
    try:
        response = call_idempotent(client.get, path, cast_to=httpx.Response, what=f"GET {path}")
    except API_ERRORS as exc:
        raise platform_error(exc, f"GET {path}") from None
    return str(response.text)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def read_scores(client: Any, name: str, specs: Sequence[MetricSpecBase]) -> dict[str, ScoreResult]:
    """Aggregate and row scores of a completed job, under the run spec's score names."""
    aggregates = {s.get("name"): s for s in json.loads(download(client, name, "aggregate-scores")).get("scores", [])}
    rows = [json.loads(line) for line in download(client, name, "row-scores").splitlines() if line.strip()]
    results = {}
    for spec in specs:
        for short, full in zip(spec.scores(), score_names(spec), strict=True):
            items, failures = [], []
            for row in rows:
                row_id = str((row.get("item") or {}).get("id", row.get("row_index")))
                found = [m for m in (row.get("metrics") or {}).get(spec.type, []) if m.get("name") == short]
                value = _number(found[0].get("value")) if found else None
                if value is None:
                    failures.append(row_id)
                else:
                    items.append(ItemValue(id=row_id, value=value))
            aggregate = aggregates.get(f"{spec.type}.{short}") or {}
            count = int(aggregate.get("count") or 0) - int(aggregate.get("nan_count") or 0)
            mean, std = _number(aggregate.get("mean")), _number(aggregate.get("std_dev"))
            if items and mean is None:
                raise StepFailedError(f"evaluation job {name}: no aggregate score {spec.type}.{short}")
            results[full] = ScoreResult(
                name=full,
                value=mean if items else None,
                stderr=std / math.sqrt(count) if items and std is not None and count else None,
                n=len(items),
                items=items,
                failures=failures,
            )
    return results


def answer_fields(output_text: str, tool_calls: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """What a row carries of the model's answer: `output`, and `response` (an OpenAI chat completion with the
    tool calls, arguments as JSON strings) for the tool-calling metric."""
    calls = []
    for call in tool_calls or []:
        function = dict(call.get("function") or {})
        if not isinstance(function.get("arguments"), str):
            function["arguments"] = json.dumps(function.get("arguments") or {}, sort_keys=True)
        calls.append({**call, "type": call.get("type", "function"), "function": function})
    message: dict[str, Any] = {"role": "assistant", "content": output_text}
    if calls:
        message["tool_calls"] = calls
    return {"output": output_text, "response": {"choices": [{"index": 0, "message": message}]}}


MAX_ATTEMPTS = 5


def _usable_job(client: Any, key: str, specs: Sequence[MetricSpecBase], rows: Sequence[Mapping[str, Any]]) -> str:
    """The job to read for this content: `llmops-eval-<key>`, or after failed attempts `-2`, `-3`, ...: a
    completed or active one is used, an ended one skipped, and the first free name is created."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        name = f"llmops-eval-{key}" + (f"-{attempt}" if attempt > 1 else "")
        job = _get(client, name)
        if job is None:
            _create(client, name, key, specs, rows)
            return name
        status = str(job.get("status") or "unknown")
        if status not in ENDED or status == "completed":
            log.info("evaluation job %s exists (%s); using it", name, status)
            return name
        log.warning("evaluation job %s ended %s; trying again under the next name", name, status)
    raise StepFailedError(
        f"evaluation of this content failed {MAX_ATTEMPTS} times (jobs llmops-eval-{key} to "
        f"llmops-eval-{key}-{MAX_ATTEMPTS}); read their logs (GET {jobs_path()}/<name>/logs), fix the cause, "
        "delete them and run the step again"
    )


def score_with_evaluator(
    client: Any, specs: Sequence[MetricSpecBase], rows: Sequence[Mapping[str, Any]]
) -> dict[str, ScoreResult]:
    """Score `rows` (items with their `id` and `answer_fields`) with `specs` on the Platform."""
    ready(client)
    if not specs or not rows:
        raise InvalidInputError("nothing to score: give at least one metric spec and one row")
    ids = [str(row.get("id", "")) for row in rows]
    if "" in ids or len(set(ids)) != len(ids):
        raise InvalidInputError("every row needs its own non-empty `id` (per-row scores are keyed by it)")
    for spec in specs:
        platform_metric(spec)  # every metric checked before anything is sent
    results: dict[str, ScoreResult] = {}
    for group in rounds(specs):
        key = content_key(group, rows)
        name = _usable_job(client, key, group, rows)
        follow(client, name)
        results.update(read_scores(client, name, group))
    return {full: results[full] for spec in specs for full in score_names(spec)}
