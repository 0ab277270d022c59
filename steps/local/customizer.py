"""Local customizer: LoRA jobs trained in-process with PEFT, recorded like Customizer jobs.

A job is identified by its content (base weights, dataset revision, hyperparameters), so re-running
a step finds the finished job and its adapter instead of training a second time.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from steps.contracts import (
    TRAINING_FILE,
    VALIDATION_FILE,
    CustomizationJob,
    Datastore,
    LoraHyperparameters,
    MetricsCallback,
    job_key,
)
from steps.errors import NotFoundError
from steps.local.deployer import LocalDeployer
from steps.local.entity_registry import LocalEntityRegistry

if TYPE_CHECKING:
    from steps.local.lora_training import LoraTrainingConfig


def replay_curves(result: dict, on_metrics: MetricsCallback) -> None:
    """Report a finished job's recorded loss curves (`train_loss`, `val_loss`: [step, loss] pairs) step by step."""
    by_step: dict[int, dict[str, float]] = {}
    for name in ("train_loss", "val_loss"):
        for step, value in result.get(name) or []:
            by_step.setdefault(int(step), {})[name] = float(value)
    for step in sorted(by_step):
        on_metrics(step, by_step[step])


class LocalCustomizer:
    def __init__(
        self, root: Path, datastore: Datastore, deployer: LocalDeployer, registry: LocalEntityRegistry
    ) -> None:
        self.root = root
        self.jobs = root / "customization" / "jobs"
        self.adapters = root / "customization" / "adapters"
        self.datastore, self.deployer, self.registry = datastore, deployer, registry

    def adapter_dir(self, adapter_id: str) -> Path:
        """The adapter's folder (local platform only: inference and evaluation load it from there)."""
        path = self.adapters / adapter_id
        if not (path / "adapter_config.json").exists():
            raise NotFoundError(f"adapter {adapter_id!r} not found under {self.adapters}; run the customize step first")
        return path

    def adapter_files(self, adapter_id: str) -> Path | None:
        """The adapter's weights as files (what rollout logs to MLflow)."""
        return self.adapter_dir(adapter_id)

    def adapter_uri(self, adapter_id: str) -> str:
        return f"file://{self.adapter_dir(adapter_id)}"

    def find_job(self, job_id: str) -> CustomizationJob | None:
        path = self.jobs / f"{job_id}.json"
        return CustomizationJob.model_validate_json(path.read_text()) if path.exists() else None

    def _save(self, job: CustomizationJob) -> None:
        self.jobs.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.jobs, suffix=".json")
        with os.fdopen(fd, "w") as handle:
            handle.write(job.model_dump_json(indent=2))
        os.replace(tmp, self.jobs / f"{job.job_id}.json")

    def run(
        self,
        output_model: str,
        base_model: str,
        dataset_uri: str,
        hyperparameters: LoraHyperparameters,
        on_metrics: MetricsCallback | None = None,
    ) -> CustomizationJob:
        """Train the adapter unless a completed job with the same content exists."""
        from steps.local.lora_training import LoraTrainingConfig

        hp = LoraTrainingConfig(**hyperparameters.model_dump())
        base_dir = self.deployer.model_dir(base_model)
        # The key names the exact base weights (the folder carries the recipe hash) and every
        # effective hyperparameter, defaults included: a rebuilt base or new defaults train anew.
        key = job_key(base_dir.name, dataset_uri, hp.model_dump(mode="json"))
        job_id = f"cust-{key}"
        # One trainer per job: a run that asks for a job another run is training waits for it, then finds it.
        self.jobs.mkdir(parents=True, exist_ok=True)
        with open(self.jobs / f"{job_id}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            existing = self.find_job(job_id)
            if existing and existing.status == "completed" and (self.adapters / existing.adapter_id).exists():
                self.registry.record_model(existing.adapter_id, base_model, self.adapter_uri(existing.adapter_id))
                if on_metrics is not None:  # the curves the job recorded, so a run that reuses it shows them too
                    replay_curves(existing.result or {}, on_metrics)
                return existing
            job = CustomizationJob(
                job_id=job_id,
                adapter_id=f"{output_model}-{key}",
                status="running",
                base_model=base_model,
                dataset_uri=dataset_uri,
                hyperparameters=hyperparameters.model_dump(mode="json"),
            )
            return self._train(job, base_dir, hp, on_metrics)

    def _train(
        self, job: CustomizationJob, base_dir: Path, hp: LoraTrainingConfig, on_metrics: MetricsCallback | None
    ) -> CustomizationJob:
        from steps.local.lora_training import train_lora

        self._save(job)
        try:
            result = train_lora(
                base_dir,
                self.datastore.read_jsonl(job.dataset_uri, TRAINING_FILE),
                self.datastore.read_jsonl(job.dataset_uri, VALIDATION_FILE),
                hp,
                self.adapters / job.adapter_id,
                on_metrics=on_metrics,
            )
        except Exception as exc:
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            self._save(job)
            raise
        job.status, job.result = "completed", result.model_dump()
        self._save(job)
        self.registry.record_model(job.adapter_id, job.base_model, self.adapter_uri(job.adapter_id))
        return job
