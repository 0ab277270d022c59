"""NeMo Customizer job objects, written and read: the `hyperparameters` body of a LoRA job, a job's status,
why it failed, its new metric points, the finished job as a `CustomizationJob`, and which configs target a
base model. Pure functions over the SDK's objects; `customizer` holds the calls."""

from __future__ import annotations

from typing import Any

from steps.contracts import CustomizationJob, LoraHyperparameters, MetricsCallback
from steps.errors import InvalidInputError, StepFailedError

METRICS = ("train_loss", "val_loss")
# LoRA hyperparameter -> (section, NeMo field); section None = top level of `hyperparameters`.
HYPERPARAMETERS = {
    "rank": ("lora", "adapter_dim"),
    "alpha": ("lora", "alpha"),
    "dropout": ("lora", "adapter_dropout"),
    "epochs": (None, "epochs"),
    "learning_rate": (None, "learning_rate"),
    "batch_size": (None, "batch_size"),
    "max_steps": (None, "max_steps"),
    "seed": (None, "seed"),
}
INT_FIELDS = frozenset({"adapter_dim", "alpha", "epochs", "batch_size", "max_steps", "seed"})


def nemo_hyperparameters(hp: LoraHyperparameters) -> dict[str, Any]:
    """The Customizer `hyperparameters` body for the LoRA hyperparameters."""
    body: dict[str, Any] = {"training_type": "sft", "finetuning_type": "lora"}
    for key, value in sorted(hp.model_dump().items()):
        if value is None:
            continue
        section, field = HYPERPARAMETERS[key]
        if field in INT_FIELDS:
            if float(value) != int(value):
                raise InvalidInputError(f"hyperparameter {key}={value!r} must be a whole number on NeMo Customizer")
            value = int(value)
        (body.setdefault(section, {}) if section else body)[field] = value
    return body


def job_status(job: Any) -> str:
    return str(job.status or getattr(job.status_details, "status", None) or "unknown")


def failure_detail(details: Any) -> str:
    """The reason a job failed: the last status log with a detail, else the last message."""
    logs = list(getattr(details, "status_logs", None) or [])
    for entry in reversed(logs):
        if entry.detail:
            return str(entry.detail)
    for entry in reversed(logs):
        if entry.message:
            return str(entry.message)
    return "no detail in the job's status logs"


def emit_new_metrics(details: Any, emitted: dict[str, int], on_metrics: MetricsCallback | None) -> None:
    """Send every not-yet-seen train_loss / val_loss point, grouped by step, in step order."""
    values = getattr(getattr(details, "metrics", None), "metrics", None)
    if on_metrics is None or values is None:
        return
    by_step: dict[int, dict[str, float]] = {}
    for name in METRICS:
        for point in getattr(values, name, None) or []:
            if point.step is None or point.value is None or point.step <= emitted.get(name, -1):
                continue
            by_step.setdefault(int(point.step), {})[name] = float(point.value)
            emitted[name] = max(emitted.get(name, -1), int(point.step))
    for step in sorted(by_step):
        on_metrics(step, by_step[step])


def completed_job(
    job: Any, base_model: str, dataset_uri: str, hyperparameters: LoraHyperparameters
) -> CustomizationJob:
    """A completed job as the port's value; the adapter id gets `@<job id>` when the server gave no version."""
    adapter_id = str(job.output_model or "")
    if not adapter_id:
        raise StepFailedError(f"customization job {job.id} completed without an output model")
    if "@" not in adapter_id:
        adapter_id = f"{adapter_id}@{job.id}"  # the server's naming when no version was given
    details = job.status_details
    result = (
        {}
        if details is None
        else {
            "steps": details.steps_completed,
            "epochs": details.epochs_completed,
            "seconds": details.elapsed_time,
            "train_loss": details.train_loss,
            "val_loss": details.val_loss,
            "best_epoch": details.best_epoch,
        }
    )
    return CustomizationJob(
        job_id=str(job.id),
        adapter_id=adapter_id,
        status="completed",
        base_model=base_model,
        dataset_uri=dataset_uri,
        hyperparameters=hyperparameters.model_dump(mode="json"),
        result={k: v for k, v in result.items() if v is not None},
    )


def targets_base_model(config: Any, base_model: str) -> bool:
    """Whether a customization config's target is `base_model` (target object, `ns/name[@v]` string, or name)."""
    target = config.target
    if target is None:
        return str(config.name or "").split("@")[0] == base_model
    if isinstance(target, str):
        return target.split("@")[0] == base_model
    names = {getattr(target, "base_model", None)}
    if target.name:
        names.add(f"{target.namespace}/{target.name}".split("@")[0] if target.namespace else target.name.split("@")[0])
    return base_model in names and getattr(target, "enabled", True) is not False
