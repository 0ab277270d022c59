"""Step customize: train (or find) one candidate's LoRA adapter, streaming the loss curves to MLflow.

Its settings go to its own step run (a run with several candidates trains them in parallel: they share
no MLflow run); the run's own settings are on the parent run (step open-run).
"""

import json
from typing import Annotated, Any

from hera.workflows import Output, Parameter

from steps import platforms
from steps.contracts import LoraHyperparameters, Platform
from steps.io import CustomizationSettings, TrackedInput
from steps.logic.candidates import step_name


class CustomizeInput(TrackedInput, CustomizationSettings):
    base_model: Annotated[str, Parameter(description="Base model id")]
    dataset_uri: Annotated[str, Parameter(description="Dataset revision from prepare-data")]
    candidate: Annotated[str, Parameter(description="Candidate name; empty for the one candidate of a run")] = ""


class CustomizeOutput(Output):
    job_id: Annotated[str, Parameter(name="job_id", description="Customization job id")]
    adapter_id: Annotated[str, Parameter(name="adapter_id", description="Adapter produced by the job")]
    cost: Annotated[
        str,
        Parameter(
            name="cost",
            description="JSON: candidate, lora_rank, trainable_parameters, steps, seconds, gpu_seconds "
            "(null where the platform does not report it)",
        ),
    ]


CANDIDATE_TAG = "llmops.candidate"


def hyperparameters(inputs: CustomizeInput) -> LoraHyperparameters:
    return LoraHyperparameters(
        rank=inputs.lora_rank,
        alpha=inputs.lora_alpha,
        dropout=inputs.lora_dropout,
        epochs=inputs.epochs,
        learning_rate=inputs.learning_rate,
        batch_size=inputs.batch_size,
        max_steps=inputs.max_steps or None,
        seed=inputs.train_seed,
    )


def log_adapter(
    platform: Platform, parent_run_id: str, adapter_id: str, base_model: str, hp: LoraHyperparameters | None = None
) -> Any:
    """The adapter as a LoggedModel of the parent run (its weights uploaded where the platform holds them);
    customize creates it, and a later step finds it again (or creates it, for an adapter trained elsewhere)."""
    customizer = platform.customizer
    return platform.tracker.log_adapter_model(
        parent_run_id,
        adapter_id,
        name=adapter_id.split("/")[-1].split("@")[0],
        files=customizer.adapter_files(adapter_id),
        tags={"llmops.adapter_uri": customizer.adapter_uri(adapter_id), "llmops.base_model": base_model},
        params={f"lora.{k}": v for k, v in hp.model_dump().items()} if hp else None,
    )


def customize(inputs: CustomizeInput) -> CustomizeOutput:
    platform = platforms.build()
    hp = hyperparameters(inputs)
    tags = {CANDIDATE_TAG: inputs.candidate} if inputs.candidate else None
    with platform.tracker.step_run(inputs.mlflow_run_id, step_name("customize", inputs.candidate), tags) as mlflow:
        mlflow.log_params(
            {
                **{f"lora.{k}": v for k, v in hp.model_dump().items()},
                "dataset_uri": inputs.dataset_uri,
                "base_model": inputs.base_model,
                "output_model": inputs.output_model,
            }
        )

        def on_metrics(step: int, metrics: dict[str, float]) -> None:
            mlflow.log_metrics(metrics, step=step)
            print(f"step {step}: " + ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()), flush=True)

        job = platform.customizer.run(
            inputs.output_model, inputs.base_model, inputs.dataset_uri, hp, on_metrics=on_metrics
        )
        result = job.result or {}
        mlflow.set_tags({"job_id": job.job_id, "adapter_id": job.adapter_id})
        summary = {k: result[k] for k in ("steps", "tokens", "seconds", "trainable_parameters") if k in result}
        mlflow.log_metrics({f"train_{k}": float(v) for k, v in summary.items()})
    model = log_adapter(platform, inputs.mlflow_run_id, job.adapter_id, inputs.base_model, hp)
    print(f"job {job.job_id} {job.status}: adapter {job.adapter_id} {summary}")
    print(f"adapter logged as MLflow model {model.model_id}")
    cost = {
        "candidate": inputs.candidate,
        "lora_rank": inputs.lora_rank,
        "trainable_parameters": result.get("trainable_parameters"),
        "steps": result.get("steps"),
        "seconds": result.get("seconds"),
        "gpu_seconds": result.get("gpu_seconds"),
    }
    return CustomizeOutput(job_id=job.job_id, adapter_id=job.adapter_id, cost=json.dumps(cost, sort_keys=True))
