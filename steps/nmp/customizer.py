"""NeMo Platform customization: LoRA SFT jobs (automodel or unsloth backend), found by content before one is
created, followed to the end, their adapter registered for serving.

A job carries the content key `job_key(base_model, dataset_uri, hyperparameters)` in its name and its
`custom_fields`. `run` looks for such a job first: a completed one is returned (its loss curve replayed),
an active one is followed, a failed or cancelled one is reported and only then is a new job created. The
create is never retried blindly: a create that fails mid-flight is answered by looking for the job again.
While a job is followed, SIGTERM (Argo stopping the step) cancels it, then the signal goes on.
SDK 0.3.0 has no customization resource: the calls go through the SDK client's generic `get`/`post`, so
the base URL, auth and errors are the SDK's. Adapter weights stay on the Platform (a fileset).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from steps.contracts import CustomizationJob, LoraHyperparameters, MetricsCallback, job_key
from steps.errors import StepFailedError
from steps.nmp import datasets, settings
from steps.nmp.client import (
    API_ERRORS,
    call_idempotent,
    create_once,
    describe,
    get_logger,
    platform_client,
    platform_error,
    ready,
    status_of,
)
from steps.nmp.customization_jobs import (
    ACTIVE,
    DATASET_FIELD,
    ENDED_BADLY,
    KEY_FIELD,
    OUTPUT_FIELD,
    adapter_name,
    as_dict,
    completed_job,
    emit_new_metrics,
    failure_detail,
    job_name,
    job_spec,
    job_status,
    jobs_path,
    progress,
)
from steps.nmp.policy import POLICY
from steps.remote.waiting import Terminated, Timing, Watch, sigterm_raises

log = get_logger(__name__)
PAGE_SIZE = 100


class NmpCustomizer:
    def __init__(
        self,
        client: Any = None,
        timing: Timing | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client or platform_client()
        self.timing = timing or settings.CUSTOMIZATION
        self.sleep, self.clock = sleep, clock
        self.workspace = settings.workspace()
        self.backend = settings.customization_backend()
        self.path = jobs_path(self.workspace, self.backend)

    def adapter_files(self, adapter_id: str) -> None:
        """Adapter weights stay in a Platform fileset; MLflow gets a reference (see adapter_uri)."""
        return None

    def adapter_uri(self, adapter_id: str) -> str:
        """The Platform's adapter entity: `<NMP_URL>/apis/models/v2/workspaces/<workspace>/adapters/<name>`."""
        workspace, _, name = adapter_id.rpartition("/")
        return f"{settings.base_url()}/apis/models/v2/workspaces/{workspace or self.workspace}/adapters/{name}"

    # -- calls --------------------------------------------------------------------------------------

    def _get(self, path: str, what: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = call_idempotent(self.client.get, path, cast_to=object, options={"params": params or {}}, what=what)
        except API_ERRORS as exc:
            raise platform_error(exc, f"GET {path}") from None
        return as_dict(answer)

    def find_jobs(self, key: str, output: str) -> list[dict[str, Any]]:
        """Jobs carrying this content key and output adapter, newest first."""
        found, page = [], 1
        while True:
            answer = self._get(
                self.path,
                "list customization jobs",
                {"page": page, "page_size": PAGE_SIZE, "sort": "-created_at"},
            )
            for job in answer.get("data") or []:
                fields = as_dict(job).get("custom_fields") or {}
                if fields.get(KEY_FIELD) == key and fields.get(OUTPUT_FIELD) == output:
                    found.append(as_dict(job))
            total = as_dict(answer.get("pagination")).get("total_pages") or 1
            if page >= total or not answer.get("data"):
                return found
            page += 1

    # -- the port -----------------------------------------------------------------------------------

    def run(
        self,
        output_model: str,
        base_model: str,
        dataset_uri: str,
        hyperparameters: LoraHyperparameters,
        on_metrics: MetricsCallback | None = None,
    ) -> CustomizationJob:
        """The completed LoRA job for this content: found, followed, or created and followed."""
        training = datasets.fileset_ref(dataset_uri)
        key = job_key(base_model, dataset_uri, hyperparameters.model_dump(mode="json"))
        output = adapter_name(output_model, key)
        spec = job_spec(self.backend, base_model, training, hyperparameters, output)
        ready(self.client)
        name, terminated = "", False
        with sigterm_raises():
            try:
                jobs = self.find_jobs(key, output)
                job = self._pick(jobs)
                if job is None:
                    body = {
                        "name": f"{output}-{len(jobs) + 1}",
                        "description": f"llmops LoRA of {base_model} on {dataset_uri}",
                        "spec": spec,
                        "custom_fields": {KEY_FIELD: key, OUTPUT_FIELD: output, DATASET_FIELD: dataset_uri},
                    }
                    job = self._create(body, key, output)
                name = job_name(job, f"POST {self.path}")
                if job_status(job) != "completed":
                    self._follow(name, on_metrics)
                    job = self._get(f"{self.path}/{name}", f"get customization job {name}")
                elif on_metrics is not None:  # found finished: replay its curve, so this run shows it too
                    self._follow(name, on_metrics)
            except Terminated:
                terminated = True
                if threading.current_thread() is threading.main_thread():
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not stop the cancel
                if name:
                    self.cancel(name)
        if terminated:
            signal.raise_signal(signal.SIGTERM)  # the restored handler (default: terminate) takes it from here
            raise StepFailedError(f"stopped by SIGTERM; customization job {name or '(none yet)'} was cancelled")
        result = completed_job(job, self.workspace, base_model, dataset_uri, hyperparameters)
        self.ensure_adapter(result.adapter_id, base_model, job, hyperparameters)
        return result

    def _pick(self, jobs: list[dict[str, Any]]) -> dict[str, Any] | None:
        for wanted in ({"completed"}, ACTIVE):
            for job in jobs:
                if job_status(job) in wanted:
                    log.info("found customization job %s (%s) for this content", job.get("name"), job_status(job))
                    return job
        for job in jobs[:1]:
            log.warning(
                "previous customization job %s for this content ended %s: %s; starting a new one",
                job.get("name"),
                job_status(job),
                failure_detail(job),
            )
        return None

    def _create(self, body: dict[str, Any], key: str, output: str) -> dict[str, Any]:
        def create() -> dict[str, Any]:
            job = as_dict(self.client.post(self.path, body=body, cast_to=object))
            log.info("created customization job %s -> adapter %s", job_name(job, f"POST {self.path}"), output)
            return job

        def find() -> dict[str, Any] | None:
            live = [j for j in self.find_jobs(key, output) if job_status(j) == "completed" or job_status(j) in ACTIVE]
            return live[0] if live else None

        return create_once(
            create,
            find,
            what=f"create customization job {body['name']} ({self.backend})",
            poll=self.timing.scaled(POLICY.time_scale()).poll,
            sleep=self.sleep,
        )

    def _follow(self, name: str, on_metrics: MetricsCallback | None) -> dict[str, Any]:
        watch = Watch(self.timing, f"customization job {name}", POLICY, clock=self.clock)
        emitted: set[tuple[int, str]] = set()
        hint = f"the job is left as it is: re-run the step to follow it, or cancel it (POST {self.path}/{name}/cancel)"
        while True:
            details = self._get(f"{self.path}/{name}/status", f"status of customization job {name}")
            status = job_status(details)
            emit_new_metrics(details, emitted, on_metrics)
            if status == "completed":
                return details
            if status in ENDED_BADLY:
                raise StepFailedError(
                    settings.redact(
                        f"customization job {name} ({self.workspace}, {self.backend}) {status}: "
                        f"{failure_detail(details)}; fix the cause and re-run the step (a new job is created)"
                    )
                )
            watch.advance(status, *progress(details))
            watch.check(f"last detail {failure_detail(details)!r}", hint)
            self.sleep(watch.poll)

    def cancel(self, name: str) -> None:
        """Ask the Platform to cancel a job (POST .../jobs/{name}/cancel); best effort."""
        try:
            call_idempotent(
                self.client.post,
                f"{self.path}/{name}/cancel",
                cast_to=object,
                what=f"cancel customization job {name}",
                attempts=3,
            )
            log.warning("cancelled customization job %s", name)
        except API_ERRORS as exc:
            log.error("could not cancel customization job %s: %s", name, describe(exc))

    def ensure_adapter(self, adapter_id: str, base_model: str, job: Any, hp: LoraHyperparameters) -> bool:
        """Register the job's adapter on the base model (the deployer serves it); False if it already was."""
        workspace, _, name = adapter_id.rpartition("/")
        output = as_dict(as_dict(as_dict(job).get("spec")).get("output"))
        fileset = str(output.get("fileset") or name)
        try:
            call_idempotent(
                self.client.adapters.create,
                workspace=workspace,
                name=name,
                model=base_model,
                fileset=fileset if "/" in fileset else f"{workspace}/{fileset}",
                finetuning_type="lora",
                lora_config={"rank": hp.rank, "alpha": int(hp.alpha)},
                description=f"LoRA adapter of customization job {as_dict(job).get('name')}",
                what=f"register adapter {adapter_id}",
            )
            log.info("registered adapter %s on %s", adapter_id, base_model)
            return True
        except API_ERRORS as exc:
            if status_of(exc) == 409:
                return False
            raise platform_error(exc, f"POST /apis/models/v2/workspaces/{workspace}/adapters ({name})") from None
