"""Step customize: train (or find) the LoRA adapter, streaming the loss curves to MLflow."""

from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms
from steps.contracts import LoraHyperparameters
from steps.io import TrackedInput


class CustomizeInput(TrackedInput):
    base_model: Annotated[str, Parameter(description="Base model id")]
    dataset_uri: Annotated[str, Parameter(description="Dataset revision from prepare-data")]
    output_model: Annotated[str, Parameter(description="Name of the adapter to produce")]
    # The run spec owns the defaults of the hyperparameters (customization.* of an empty run spec).
    lora_rank: Annotated[int, Parameter(description="LoRA rank (adapter_dim)")]
    lora_alpha: Annotated[int, Parameter(description="LoRA alpha")]
    lora_dropout: Annotated[float, Parameter(description="LoRA dropout")]
    epochs: Annotated[int, Parameter(description="Training epochs")]
    learning_rate: Annotated[float, Parameter(description="Peak learning rate")]
    batch_size: Annotated[int, Parameter(description="Batch size")]
    max_steps: Annotated[int, Parameter(description="Stop after this many steps (0 = no cap)")]
    train_seed: Annotated[int, Parameter(description="Training seed")]


class CustomizeOutput(Output):
    job_id: Annotated[str, Parameter(name="job_id", description="Customization job id")]
    adapter_id: Annotated[str, Parameter(name="adapter_id", description="Adapter produced by the job")]


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


def customize(inputs: CustomizeInput) -> CustomizeOutput:
    platform = platforms.build()
    hp = hyperparameters(inputs)
    with platform.tracker.step_run(inputs.mlflow_run_id, "customize") as mlflow:
        mlflow.log_params({**{f"lora.{k}": v for k, v in hp.model_dump().items()}, "dataset_uri": inputs.dataset_uri})

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
    print(f"job {job.job_id} {job.status}: adapter {job.adapter_id} {summary}")
    return CustomizeOutput(job_id=job.job_id, adapter_id=job.adapter_id)
