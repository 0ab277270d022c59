"""A Customizer job on the fake's nominal clock (nemo-api.md §3.3-3.4).

Lifecycle `created -> pending -> running -> completed`, or `failed` (job_fails fault, or no training
data), a frozen `running` / `pending` (job_stalls), `cancelling -> cancelled` after a cancel. Status
details carry steps/epochs/percentage, train_loss points every `log_every_n_steps`, val_loss per
epoch, best-checkpoint losses and the observed status_logs sequence. On completion (lazily, at the
first request after it) the output model entity appears with `artifact.status: upload_completed`
and the adapter files are committed to the Data Store model repo at revision `<job id>`.
"""

from __future__ import annotations

import json
import math
import struct

from tests.fakes import hf_handlers

TERMINAL = ("completed", "failed", "cancelled")


def base_model_of(config: dict) -> str:
    target = config.get("target")
    if isinstance(target, dict):
        return target.get("base_model") or f"{target.get('namespace')}/{target.get('name', '').split('@')[0]}"
    return str(target or config.get("base_model", "")).split("@")[0]


class CustomizationJob:
    def __init__(
        self, ctx, job_id: str, body: dict, config: dict, rows: int, data_problem: str | None, faults: dict
    ) -> None:
        d = ctx.delays
        self.ctx, self.id, self.body, self.config = ctx, job_id, body, config
        self.t0 = ctx.clock.now()
        self.t_pending = self.t0 + d["customization.created"]
        self.t_running = self.t_pending + d["customization.pending"]
        self.run = d["customization.running"]
        hp = body["hyperparameters"]
        self.spe = max(1, math.ceil(rows / max(1, int(hp["batch_size"]))))
        self.total = self.spe * int(hp["epochs"])
        if hp.get("max_steps"):
            self.total = min(self.total, int(hp["max_steps"]))
        self.log_every = max(1, min(int(hp.get("log_every_n_steps") or 10), max(1, self.total // 20)))
        self.end, self.freeze, self.fail_detail, self.stall_phase = "completed", None, None, None
        if data_problem:
            self.end, self.freeze, self.fail_detail = "failed", 0.02, data_problem
        elif "job_fails" in faults:
            p = faults["job_fails"].params
            self.end, self.freeze = "failed", float(p.get("at_fraction", 0.5))
            self.fail_detail = p.get("detail", "Training failed: CUDA error: out of memory (injected fault)")
        elif "job_stalls" in faults:
            p = faults["job_stalls"].params
            self.end, self.freeze, self.stall_phase = None, float(p.get("at_fraction", 0.3)), p.get("phase", "running")
        self.slow_sync = faults.get("slow_model_sync")
        self.cancel_t: float | None = None
        self.effects_done = False

    @property
    def t_end(self) -> float:
        return self.t_running + self.run * (self.freeze if self.end == "failed" else 1.0)

    def status_at(self, t: float) -> str:
        if self.cancel_t is not None and t >= self.cancel_t:
            return "cancelling" if t < self.cancel_t + self.ctx.delays["customization.cancel"] else "cancelled"
        if t < self.t_pending:
            return "created"
        if t < self.t_running or self.stall_phase == "pending":
            return "pending"
        if self.end and t >= self.t_end:
            return self.end
        return "running"

    def fraction(self, t: float) -> float:
        if t < self.t_running or self.stall_phase == "pending":
            return 0.0
        stop = t if self.cancel_t is None else min(t, self.cancel_t)
        frac = (stop - self.t_running) / self.run if self.run > 0 else 1.0
        cap = 1.0 if self.end == "completed" else self.freeze
        return max(0.0, min(frac, cap))

    def _events(self, t: float) -> list[tuple[float, str, str | None]]:
        ev = [(self.t0, m, None) for m in ("PVCCreated", "EntityHandler_0_Created", "created")]
        ev += [
            (self.t_pending, m, None)
            for m in ("EntityHandler_0_Pending", "EntityHandler_0_Completed", "TrainingJobCreated")
        ]
        if self.stall_phase == "pending":
            ev.append((self.t_pending, "NotEnoughResources", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."))
        else:
            ev.append((self.t_running, "TrainingJobRunning", None))
        if self.end == "failed":
            ev.append((self.t_end, "TrainingJobFailed", self.fail_detail))
        elif self.end == "completed":
            ev += [
                (self.t_end, m, None)
                for m in (
                    "TrainingJobCompleted",
                    "EntityHandler_1_Created",
                    "EntityHandler_1_Pending",
                    "EntityHandler_1_Running",
                    "EntityHandler_1_Completed",
                )
            ]
        if self.cancel_t is not None:
            ev = [e for e in ev if e[0] <= self.cancel_t]
            ev += [
                (self.cancel_t, "JobCancelling", None),
                (self.cancel_t + self.ctx.delays["customization.cancel"], "JobCancelled", None),
            ]
        return [e for e in ev if e[0] <= t]

    @staticmethod
    def _train_loss(step: int, total: int) -> float:
        return round(0.05 + 2.0 * math.exp(-4.0 * step / max(1, total)) * (1 + 0.03 * math.sin(step)), 4)

    @staticmethod
    def _val_loss(step: int, total: int) -> float:
        return round(0.06 + 1.8 * math.exp(-4.0 * step / max(1, total)), 4)

    def details(self, t: float) -> dict:
        iso = self.ctx.clock.iso
        status = self.status_at(t)
        frac = self.fraction(t)
        steps = self.total if status == "completed" else int(frac * self.total)

        def step_t(s):
            return iso(self.t_running + self.run * s / self.total)

        train = [
            {"step": s, "value": self._train_loss(s, self.total), "timestamp": step_t(s)}
            for s in range(self.log_every, steps + 1, self.log_every)
        ]
        val = [
            {"step": e * self.spe, "value": self._val_loss(e * self.spe, self.total), "timestamp": step_t(e * self.spe)}
            for e in range(1, steps // self.spe + 1)
        ]
        best = min(range(len(val)), key=lambda i: val[i]["value"]) if val else None
        events = self._events(t)
        terminal_t = {"completed": self.t_end, "failed": self.t_end}.get(status)
        if status == "cancelled":
            terminal_t = self.cancel_t + self.ctx.delays["customization.cancel"]
        return {
            "status": status,
            "created_at": iso(self.t0),
            "updated_at": iso(events[-1][0]),
            "elapsed_time": round((terminal_t if terminal_t is not None else t) - self.t0, 3),
            "percentage_done": 100.0 if status == "completed" else round(100.0 * steps / self.total, 2),
            "epochs_completed": steps // self.spe,
            "steps_completed": steps,
            "steps_per_epoch": self.spe,
            "best_epoch": None if best is None else best + 1,
            "train_loss": self._train_loss(val[best]["step"], self.total)
            if val
            else (train[-1]["value"] if train else None),
            "val_loss": val[best]["value"] if val else None,
            "metrics": {"keys": ["train_loss", "val_loss"], "metrics": {"train_loss": train, "val_loss": val}},
            "status_logs": [{"updated_at": iso(et), "message": msg, "detail": det} for et, msg, det in events],
        }

    def view(self, t: float) -> dict:
        d = self.details(t)
        return dict(self.body, status=d["status"], status_details=d, updated_at=d["updated_at"])

    def tick(self, t: float) -> None:
        if self.effects_done or self.status_at(t) != "completed" or not self.body.get("output_model"):
            return
        self.effects_done = True
        ctx, iso = self.ctx, self.ctx.clock.iso
        ns, name = self.body["output_model"].split("/", 1)
        hp = self.body["hyperparameters"]
        base = base_model_of(self.config)
        when = iso(self.t_end)
        target = self.config.get("target") if isinstance(self.config.get("target"), dict) else {}
        ctx.state.models[(ns, name)] = {
            "id": ctx.state.new_id("model"),
            "name": name,
            "namespace": ns,
            "base_model": base,
            "description": None,
            "project": self.body.get("project"),
            "custom_fields": {},
            "ownership": None,
            "spec": {
                "num_parameters": target.get("num_parameters", 1_000_000_000),
                "context_size": self.config.get("max_seq_length", 4096),
                "is_chat": True,
                "num_virtual_tokens": 0,
            },
            "artifact": {
                "status": "upload_completed",
                "files_url": f"hf://{ns}/{name}",
                "backend_engine": "nemo",
                "precision": self.config.get("training_precision", "bf16-mixed"),
                "gpu_arch": "Ampere",
                "tensor_parallelism": 1,
            },
            "peft": {"finetuning_type": hp["finetuning_type"]},
            "prompt": None,
            "guardrails": None,
            "api_endpoint": None,
            "model_providers": [],
            "schema_version": "1.0",
            "created_at": when,
            "updated_at": when,
        }
        ctx.register_model_meta((ns, name), self.slow_sync, ready_t=self.t_end)
        repo_name, _, revision = name.partition("@")
        repo = ctx.state.hf_repos.get(("model", f"{ns}/{repo_name}")) or hf_handlers.create_repo(
            ctx, "model", f"{ns}/{repo_name}"
        )
        lora = hp.get("lora") or {}
        adapter_config = {
            "peft_type": "LORA",
            "base_model_name_or_path": base,
            "r": lora.get("adapter_dim"),
            "lora_alpha": lora.get("alpha"),
            "lora_dropout": lora.get("adapter_dropout"),
            "target_modules": lora.get("target_modules"),
        }
        header = json.dumps({"__metadata__": {"job": self.id, "format": "pt"}}).encode()
        hf_handlers.commit_files(
            ctx,
            repo,
            revision or "main",
            {
                "adapter_config.json": json.dumps(adapter_config, indent=2).encode(),
                "adapter_model.safetensors": struct.pack("<Q", len(header)) + header,
            },
            f"Adapter from {self.id}",
        )
