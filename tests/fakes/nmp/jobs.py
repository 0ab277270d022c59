"""Customization jobs of the schema-checked NeMo Platform fake (`/apis/customization/v2/workspaces/{ws}/
{automodel|unsloth}/jobs`): create, list (paged), get, status, cancel, results.

Lifecycle, one step per status read: created -> pending -> active (one training step per read, a
train_loss point each, a val_loss point every other step) -> completed (emits `customization_job_completed`
before the status read that shows it is answered). Lifecycle faults of the plan
(tests/fakes/faults.py) attach at creation: `job_fails` (status `error` at `at_fraction`, with `detail`),
`job_stalls` (stays `active` without progress from `at_fraction` on).
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.faults import Fault
from tests.fakes.nemo_state import ApiError

PREFIX = r"/apis/customization/v2/workspaces/(?P<ws>[^/]+)/(?P<backend>automodel|unsloth)/jobs"
_ids = itertools.count(1)


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Job:
    workspace: str
    backend: str
    request: dict[str, Any]
    steps: int = 6
    fault: Fault | None = None
    status: str = "created"
    step: int = 0
    reads: int = 0
    id: str = field(default_factory=lambda: f"job-{next(_ids):06d}")
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    error: str | None = None

    @property
    def name(self) -> str:
        return self.request.get("name") or self.id

    def advance(self) -> None:
        """One status read's worth of progress."""
        self.reads += 1
        if self.status in ("completed", "error", "cancelled"):
            return
        if self.status == "cancelling":
            self.status = "cancelled"
        elif self.status == "created":
            self.status = "pending"
        elif self.status == "pending":
            self.status = "active"
        else:
            kind = self.fault.kind if self.fault else None
            at = max(1, int(self.steps * float(self.fault.params.get("at_fraction", 0.5)))) if self.fault else 0
            if kind == "job_stalls" and self.step >= at:
                return
            if kind == "job_fails" and self.step >= at:
                self.status, self.error = "error", str(self.fault.params.get("detail", "CUDA out of memory"))
            elif self.step < self.steps:
                self.step += 1
            if self.step >= self.steps and self.status == "active":
                self.status = "completed"
        self.updated_at = now()

    def status_details(self) -> dict[str, Any]:
        train = [{"step": s, "value": round(2.0 / (1 + 0.5 * s), 4)} for s in range(1, self.step + 1)]
        val = [{"step": s, "value": round(2.2 / (1 + 0.4 * s), 4)} for s in range(2, self.step + 1, 2)]
        details: dict[str, Any] = {"step": self.step, "max_steps": self.steps}
        if train:
            details["metrics"] = {"train_loss": train, "val_loss": val}
        return details

    def error_details(self) -> dict[str, Any]:
        return {"message": self.error} if self.error else {}

    def spec(self) -> dict[str, Any]:
        """The stored canonical spec (AutomodelJobOutput / UnslothJobOutput): defaults filled in."""
        spec = copy.deepcopy(self.request["spec"])
        output = spec.get("output") or {}
        name = output.get("name") or f"{self.name}-adapter"
        if self.backend == "automodel":
            for key in ("schedule", "batch", "optimizer", "parallelism"):
                spec.setdefault(key, {})
            spec["output"] = {"name": name, "type": "adapter", "fileset": name}
        else:
            spec["output"] = {"name": name, "type": "adapter", "save_method": "lora", "fileset": name}
        return spec

    def resource(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "name": self.name,
            "workspace": self.workspace,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "spec": self.spec(),
            "status": self.status,
            "status_details": self.status_details(),
            "error_details": self.error_details(),
            "custom_fields": dict(self.request.get("custom_fields") or {}),
        }
        if self.request.get("description"):
            body["description"] = self.request["description"]
        return body

    def status_response(self) -> dict[str, Any]:
        step = {
            "id": f"{self.id}-train",
            "name": "training",
            "status": self.status,
            "status_details": {},
            "error_details": self.error_details(),
            "tasks": [],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "status_details": self.status_details(),
            "error_details": self.error_details(),
            "steps": [step],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class Jobs:
    """The jobs of every workspace and backend, and their routes."""

    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self.jobs: dict[tuple[str, str, str], Job] = {}

    def routes(self, router: Any) -> None:
        router.add("POST|GET", PREFIX, self.collection)
        router.add("GET", PREFIX + r"/(?P<name>[^/]+)", self.get)
        router.add("GET", PREFIX + r"/(?P<name>[^/]+)/status", self.status)
        router.add("POST", PREFIX + r"/(?P<name>[^/]+)/cancel", self.cancel)
        router.add("GET", PREFIX + r"/(?P<name>[^/]+)/results", self.results)

    def _job(self, m: dict[str, str]) -> Job:
        job = self.jobs.get((m["ws"], m["backend"], m["name"]))
        if job is None:
            raise ApiError(404, f"Job {m['ws']}/{m['name']} not found")
        return job

    def collection(self, req: Any, m: dict[str, str]) -> Any:
        if req.method == "GET":
            return self.list(req, m)
        body = req.json_object()
        job = Job(m["ws"], m["backend"], body, steps=self.platform.job_steps)
        if (m["ws"], m["backend"], job.name) in self.jobs:
            raise ApiError(409, f"Job {m['ws']}/{job.name} already exists")
        faults = self.platform.faults.take_lifecycle({"job_fails", "job_stalls"}, req.method, req.path)
        job.fault = faults.get("job_fails") or faults.get("job_stalls")
        self.jobs[(m["ws"], m["backend"], job.name)] = job
        self.platform.created("customization_job", f"{m['ws']}/{job.name}", body)
        return 201, job.resource()

    def list(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        page, size = int(req.query.get("page", 1)), int(req.query.get("page_size", 10))
        sort = req.query.get("sort", "-created_at")
        jobs = [j for (ws, backend, _), j in self.jobs.items() if ws == m["ws"] and backend == m["backend"]]
        jobs.sort(key=lambda j: (j.created_at, j.id), reverse=sort.startswith("-"))
        chunk = jobs[(page - 1) * size : page * size]
        return {
            "data": [j.resource() for j in chunk],
            "pagination": {
                "page": page,
                "page_size": size,
                "current_page_size": len(chunk),
                "total_pages": max(1, -(-len(jobs) // size)),
                "total_results": len(jobs),
            },
            "sort": sort,
        }

    def get(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        return self._job(m).resource()

    def status(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        job = self._job(m)
        before = job.status
        job.advance()
        if job.status == "completed" != before:
            self.platform.emit("customization_job_completed", job.resource())
        return job.status_response()

    def cancel(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        job = self._job(m)
        if job.status not in ("completed", "error", "cancelled"):
            job.status = "cancelling"
            job.updated_at = now()
        self.platform.cancelled.append(job.name)
        return job.resource()

    def results(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        job = self._job(m)
        if job.status != "completed":
            return {"data": []}
        output = job.spec()["output"]
        return {
            "data": [
                {
                    "name": "adapter",
                    "job": job.name,
                    "workspace": job.workspace,
                    "artifact_url": f"{job.workspace}/{output['fileset']}",
                    "artifact_storage_type": "fileset",
                }
            ]
        }
