"""Local customizer: LoRA jobs trained in-process with PEFT, recorded like Customizer jobs.

A job is identified by its content (base model, dataset revision, hyperparameters), so re-running
a step finds the finished job and its adapter instead of training a second time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from steps import settings
from steps.errors import NotFoundError


class CustomizationJob(BaseModel):
    job_id: str
    adapter_id: str
    status: str  # created | running | completed | failed
    base_model: str
    dataset_uri: str
    hyperparameters: dict
    result: dict | None = None
    error: str | None = None


def job_key(base_model: str, dataset_uri: str, hyperparameters: dict) -> str:
    payload = json.dumps([base_model, dataset_uri, hyperparameters], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


class LocalCustomizer:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or settings.workspace()
        self.jobs = self.root / "customization" / "jobs"
        self.adapters = self.root / "customization" / "adapters"

    def adapter_dir(self, adapter_id: str) -> Path:
        path = self.adapters / adapter_id
        if not (path / "adapter_config.json").exists():
            raise NotFoundError(
                f"adapter {adapter_id!r} not found under {self.adapters}; run the customize step first"
            )
        return path

    def adapter_files(self, adapter_id: str) -> Path | None:
        """The adapter's weights as files (what rollout logs to MLflow); None where they stay remote."""
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
        hyperparameters: dict,
        on_metrics: Callable[[int, dict[str, float]], None] | None = None,
    ) -> CustomizationJob:
        """Train the adapter unless a completed job with the same content exists."""
        from steps.local.lora_training import LoraHyperparameters, train_lora
        from steps.ports import datastore, deployer

        hp = LoraHyperparameters(**hyperparameters)
        base_dir = deployer().model_dir(base_model)
        # The key names the exact base weights (the folder carries the recipe hash) and every
        # effective hyperparameter, defaults included: a rebuilt base or new defaults train anew.
        key = job_key(base_dir.name, dataset_uri, hp.model_dump(mode="json"))
        job_id = f"cust-{key}"
        existing = self.find_job(job_id)
        if existing and existing.status == "completed" and (self.adapters / existing.adapter_id).exists():
            return existing
        adapter_id = f"{output_model}-{key}"
        job = CustomizationJob(
            job_id=job_id, adapter_id=adapter_id, status="running", base_model=base_model,
            dataset_uri=dataset_uri, hyperparameters=hyperparameters,
        )
        self._save(job)
        store = datastore()
        try:
            result = train_lora(
                base_dir,
                store.read_jsonl(dataset_uri, "training/training.jsonl"),
                store.read_jsonl(dataset_uri, "validation/validation.jsonl"),
                hp,
                self.adapters / adapter_id,
                on_metrics=on_metrics,
            )
        except Exception as exc:
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            self._save(job)
            raise
        job.status, job.result = "completed", result.model_dump()
        self._save(job)
        return job
