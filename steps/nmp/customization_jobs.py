"""NeMo Platform customization jobs, written and read (pure): the request body of a LoRA job for the automodel
or unsloth backend, the fileset a dataset URI names, a job's status, why it failed, its loss points, and the
finished job as a `CustomizationJob`. Jobs are plain JSON here (`customizer` sends them through the SDK's
generic calls: SDK 0.3.0 has no customization resource); SDK models are read through `as_dict`.

Request bodies follow the plugin's OpenAPI (`AutomodelJobsJobRequest`, `UnslothJobsJobRequest`). The
schema leaves `status_details` free-form: loss points are read from `metrics` there (a map name -> list of
`{step, value}`, or a list of `{step, <name>: value}` records), in the job and in each of its steps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from steps.contracts import CustomizationJob, LoraHyperparameters, MetricsCallback
from steps.errors import InvalidInputError, StepFailedError

METRICS = ("train_loss", "val_loss")
ACTIVE = frozenset({"created", "pending", "active", "paused", "pausing", "resuming"})
ENDED_BADLY = frozenset({"error", "cancelled", "cancelling"})
KEY_FIELD, OUTPUT_FIELD, DATASET_FIELD = "llmops_job_key", "llmops_output_model", "llmops_dataset_uri"


def jobs_path(workspace: str, backend: str) -> str:
    return f"/apis/customization/v2/workspaces/{workspace}/{backend}/jobs"


def as_dict(obj: Any) -> dict[str, Any]:
    """A response as plain JSON data: SDK models dumped (None dropped), mappings copied, anything else {}."""
    if hasattr(obj, "model_dump"):
        return dict(obj.model_dump(mode="json", exclude_none=True, warnings=False))
    return dict(obj) if isinstance(obj, Mapping) else {}


def _map(obj: Any, name: str) -> Mapping[str, Any]:
    value = obj.get(name) if isinstance(obj, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def adapter_name(output_model: str, key: str) -> str:
    """The adapter a job writes: the output model's name (`ns/name` -> `ns-name`) and the content key, so
    different content never shares an adapter name in the workspace."""
    base = re.sub(r"[^\w.-]+", "-", output_model).strip("-.") or "adapter"
    return f"{base[: 255 - len(key) - 1]}-{key}"


def _whole(name: str, value: float) -> int:
    if float(value) != int(value):
        raise InvalidInputError(f"hyperparameter {name}={value!r} must be a whole number on NeMo Platform")
    return int(value)


def job_spec(backend: str, base_model: str, training: str, hp: LoraHyperparameters, output: str) -> dict[str, Any]:
    """The `spec` of a LoRA SFT job on `backend` (automodel: AutomodelJobInput; unsloth: UnslothJobInput)."""
    lora = {"rank": hp.rank, "alpha": _whole("alpha", hp.alpha), "dropout": hp.dropout}
    schedule: dict[str, Any] = {"epochs": hp.epochs, "seed": hp.seed}
    if hp.max_steps is not None:
        schedule["max_steps"] = hp.max_steps
    training_spec = {"training_type": "sft", "finetuning_type": "lora", "lora": lora}
    if backend == "automodel":
        return {
            "model": base_model,
            "dataset": {"training": training},
            "training": training_spec,
            "schedule": schedule,
            "batch": {"global_batch_size": hp.batch_size},
            "optimizer": {"learning_rate": hp.learning_rate},
            "output": {"name": output},
        }
    if backend == "unsloth":
        return {
            "model": {"name": base_model},
            "dataset": {"path": training},
            "training": {**training_spec, "lora": {**lora, "random_state": hp.seed}},
            "schedule": schedule,
            "batch": {"per_device_train_batch_size": hp.batch_size},
            "optimizer": {"learning_rate": hp.learning_rate},
            "output": {"name": output, "save_method": "lora"},
        }
    raise InvalidInputError(f"customization backend {backend!r}: expected automodel or unsloth")


def job_status(job: Any) -> str:
    return str(as_dict(job).get("status") or "unknown").lower()


def job_name(job: Any, endpoint: str) -> str:
    """The name a job is addressed by (every later call names it)."""
    name = as_dict(job).get("name")
    if not name:
        raise StepFailedError(f"{endpoint}: the customization job answered has no 'name'; check the Platform version")
    return str(name)


def failure_detail(details: Any) -> str:
    """Why a job failed: its (or a step's, or a task's) error details or status message."""
    data = as_dict(details)
    layers = [data, *[s for s in data.get("steps") or [] if isinstance(s, Mapping)]]
    layers += [t for s in layers[1:] for t in s.get("tasks") or [] if isinstance(t, Mapping)]
    for layer in layers:
        for key in ("error_details", "status_details"):
            section = _map(layer, key)
            for field in ("message", "detail", "error", "reason"):
                if section.get(field):
                    return str(section[field])
        if layer.get("error_stack"):
            return str(layer["error_stack"]).strip().splitlines()[-1]
    return "no detail in the job's status"


def metric_points(details: Any) -> dict[int, dict[str, float]]:
    """Every train_loss / val_loss point the job's status shows, by step."""
    data = as_dict(details)
    points: dict[int, dict[str, float]] = {}
    sections = [_map(data, "status_details")]
    sections += [_map(s, "status_details") for s in data.get("steps") or [] if isinstance(s, Mapping)]
    for section in sections:
        metrics = section.get("metrics")
        if isinstance(metrics, Mapping) and isinstance(metrics.get("metrics"), Mapping):
            metrics = metrics["metrics"]  # nested one level, as the v1 Customizer did
        records: list[tuple[str, Any]] = []
        if isinstance(metrics, Mapping):
            records = [(n, p) for n in METRICS for p in metrics.get(n) or [] if isinstance(p, Mapping)]
        elif isinstance(metrics, list):
            records = [
                (n, {"step": p.get("step"), "value": p.get(n)})
                for p in metrics
                if isinstance(p, Mapping)
                for n in METRICS
            ]
        for name, point in records:
            step, value = point.get("step"), point.get("value")
            if isinstance(step, (int, float)) and isinstance(value, (int, float)):
                points.setdefault(int(step), {})[name] = float(value)
    return points


def emit_new_metrics(details: Any, emitted: set[tuple[int, str]], on_metrics: MetricsCallback | None) -> None:
    """Send every not-yet-sent loss point, grouped by step, in step order."""
    if on_metrics is None:
        return
    for step, values in sorted(metric_points(details).items()):
        new = {k: v for k, v in values.items() if (step, k) not in emitted}
        if new:
            emitted.update((step, k) for k in new)
            on_metrics(step, new)


def progress(details: Any) -> tuple[float | None, ...]:
    """Numbers that grow while a job works (steps done, percentage, last loss step), for stall detection."""
    section = _map(as_dict(details), "status_details")
    numbers = [section.get(k) for k in ("step", "steps_completed", "percentage_done", "progress")]
    steps = metric_points(details)
    numbers.append(max(steps) if steps else None)
    return tuple(float(n) if isinstance(n, (int, float)) else None for n in numbers)


def completed_job(
    job: Any, workspace: str, base_model: str, dataset_uri: str, hyperparameters: LoraHyperparameters
) -> CustomizationJob:
    """A completed job as the port's value: the adapter is `workspace/<spec.output.name>`."""
    data = as_dict(job)
    name = job_name(data, "GET customization job")
    output = _map(_map(data, "spec"), "output")
    adapter = output.get("name") or _map(data, "custom_fields").get(OUTPUT_FIELD)
    if not adapter:
        raise StepFailedError(f"customization job {name} completed without an output name (spec.output.name)")
    points = metric_points(data)
    last = points[max(points)] if points else {}
    result = {"steps": max(points) if points else None, "fileset": output.get("fileset"), **last}
    return CustomizationJob(
        job_id=name,
        adapter_id=f"{workspace}/{adapter}",
        status="completed",
        base_model=base_model,
        dataset_uri=dataset_uri,
        hyperparameters=hyperparameters.model_dump(mode="json"),
        result={k: v for k, v in result.items() if v is not None},
    )
