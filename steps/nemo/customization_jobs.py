"""NeMo Customizer job objects, written and read: the `hyperparameters` body of a LoRA job, a job's status,
why it failed, its new metric points, the finished job as a `CustomizationJob`, and which configs target a
base model. Pure functions over the SDK's objects (read through `shapes`: models or plain dicts);
`customizer` holds the calls."""

from __future__ import annotations

from typing import Any

from steps.contracts import CustomizationJob, LoraHyperparameters, MetricsCallback
from steps.errors import InvalidInputError, StepFailedError
from steps.nemo.shapes import entries, field, require

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


JOBS = "/v1/customization/jobs"
CONFIGS = "GET /v1/customization/configs"


def job_status(job: Any) -> str:
    return str(field(job, "status") or field(field(job, "status_details"), "status") or "unknown")


def id_of(job: Any, endpoint: str) -> str:
    """The id of a job the server answered with (every later call names it)."""
    return str(require(job, "id", endpoint=endpoint, what="a customization job"))


def failure_detail(details: Any) -> str:
    """The reason a job failed: the last status log with a detail, else the last message."""
    logs = entries(details, "status_logs")
    for key in ("detail", "message"):
        for entry in reversed(logs):
            if field(entry, key):
                return str(field(entry, key))
    return "no detail in the job's status logs"


def emit_new_metrics(details: Any, emitted: dict[str, int], on_metrics: MetricsCallback | None) -> None:
    """Send every not-yet-seen train_loss / val_loss point, grouped by step, in step order."""
    values = field(field(details, "metrics"), "metrics")
    if on_metrics is None or values is None:
        return
    by_step: dict[int, dict[str, float]] = {}
    for name in METRICS:
        for point in entries(values, name):
            step, value = field(point, "step"), field(point, "value")
            if step is None or value is None or step <= emitted.get(name, -1):
                continue
            by_step.setdefault(int(step), {})[name] = float(value)
            emitted[name] = max(emitted.get(name, -1), int(step))
    for step in sorted(by_step):
        on_metrics(step, by_step[step])


RESULT_FIELDS = {
    "steps": "steps_completed",
    "epochs": "epochs_completed",
    "seconds": "elapsed_time",
    "train_loss": "train_loss",
    "val_loss": "val_loss",
    "best_epoch": "best_epoch",
}


def completed_job(
    job: Any, base_model: str, dataset_uri: str, hyperparameters: LoraHyperparameters
) -> CustomizationJob:
    """A completed job as the port's value; the adapter id gets `@<job id>` when the server gave no version."""
    job_ref = id_of(job, f"GET {JOBS}/{{id}}")
    adapter_id = str(field(job, "output_model") or "")
    if not adapter_id:
        raise StepFailedError(
            f"GET {JOBS}/{job_ref}: customization job {job_ref} completed without an output model ('output_model')"
        )
    if "@" not in adapter_id:
        adapter_id = f"{adapter_id}@{job_ref}"  # the server's naming when no version was given
    details = field(job, "status_details")
    result = {key: field(details, name) for key, name in RESULT_FIELDS.items()}
    return CustomizationJob(
        job_id=job_ref,
        adapter_id=adapter_id,
        status="completed",
        base_model=base_model,
        dataset_uri=dataset_uri,
        hyperparameters=hyperparameters.model_dump(mode="json"),
        result={k: v for k, v in result.items() if v is not None},
    )


def config_ref(config: Any) -> str:
    """`ns/name` of a listed customization config (what a job's `config` names)."""
    name = require(config, "name", endpoint=CONFIGS, what="a customization config")
    namespace = field(config, "namespace")
    return f"{namespace}/{name}" if namespace else str(name)


def trains_lora_sft(config: Any) -> bool:
    """Whether a config offers LoRA SFT among its training options."""
    return any(
        field(o, "training_type") == "sft" and field(o, "finetuning_type") == "lora"
        for o in entries(config, "training_options")
    )


def targets_base_model(config: Any, base_model: str) -> bool:
    """Whether a customization config's target is `base_model` (target object or mapping, `ns/name[@v]` string,
    or, without a target, the config's name)."""
    target = field(config, "target")
    if target is None:
        return str(field(config, "name", "")).split("@")[0] == base_model
    if isinstance(target, str):
        return target.split("@")[0] == base_model
    names = {field(target, "base_model")}
    name, namespace = field(target, "name"), field(target, "namespace")
    if name:
        names.add(f"{namespace}/{name}".split("@")[0] if namespace else str(name).split("@")[0])
    return base_model in names and field(target, "enabled", True) is not False
