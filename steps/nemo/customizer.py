"""NeMo Customizer: LoRA SFT jobs, found by content before one is created, followed to the end.

A job carries the content key `job_key(base_model, dataset_uri, hyperparameters)` and the output model
name in its `custom_fields`. `run` looks for such a job first: a completed one is returned, an active
one is followed, a failed one is reported and only then is a new job created (retries off: a create
that fails mid-flight is answered by looking for the job again, never by posting twice).
While a job is followed, SIGTERM (Argo stopping the step) cancels it, then the signal goes on.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from steps.contracts import CustomizationJob, LoraHyperparameters, MetricsCallback, job_key
from steps.errors import StepFailedError
from steps.logic.dataset_files import check_name
from steps.nemo import settings
from steps.nemo.client import API_ERRORS, call_idempotent, create_once, describe, get_logger, iterate_pages, nemo_client
from steps.nemo.customization_jobs import (
    JOBS,
    completed_job,
    config_ref,
    emit_new_metrics,
    failure_detail,
    id_of,
    job_status,
    nemo_hyperparameters,
    targets_base_model,
    trains_lora_sft,
)
from steps.nemo.datastore import NemoDatastore, parse_uri
from steps.nemo.polling import Terminated, Watch, sigterm_raises
from steps.nemo.shapes import field, mapping

log = get_logger(__name__)

KEY_FIELD, OUTPUT_FIELD, DATASET_FIELD = "llmops_job_key", "llmops_output_model", "llmops_dataset_uri"
ACTIVE = frozenset({"created", "pending", "running", "unknown"})
ENDED_BADLY = frozenset({"failed", "cancelled", "cancelling"})


class NemoCustomizer:
    def __init__(
        self,
        client: Any = None,
        timing: settings.Timing | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        datastore: NemoDatastore | None = None,
    ) -> None:
        self.client = client or nemo_client()
        self.timing = timing or settings.CUSTOMIZATION
        self.sleep, self.clock = sleep, clock
        self._datastore = datastore

    def adapter_files(self, adapter_id: str) -> None:
        """Adapter weights stay in the NeMo Data Store; MLflow gets a reference (see adapter_uri)."""
        return None

    def adapter_uri(self, adapter_id: str) -> str:
        """The Entity Store model that NIM serves: `<NEMO_URL>/v1/models/<namespace>/<name@job>`."""
        return f"{settings.nemo_url()}/v1/models/{adapter_id}"

    # -- discovery --------------------------------------------------------------------------------

    def find_config(self, base_model: str) -> str:
        """`ns/name` of the customization config that trains LoRA SFT on `base_model`."""
        pinned = settings.customization_config()
        if pinned:
            return pinned
        seen, matches = [], []
        configs = iterate_pages(
            self.client.customization.configs.list,
            what="list customization configs",
            filter={"target_base_model": base_model, "finetuning_type": "lora", "training_type": "sft"},
        )
        for config in configs:
            ref = config_ref(config)
            seen.append(ref)
            if targets_base_model(config, base_model) and trains_lora_sft(config):
                matches.append(ref)
        if not matches:
            raise StepFailedError(
                f"no customization config trains LoRA SFT on {base_model!r} "
                f"(configs seen: {', '.join(seen) or 'none'}); "
                "create one (POST /v1/customization/configs) or set LLMOPS_CUSTOMIZATION_CONFIG"
            )
        return sorted(matches)[0]

    def find_jobs(self, key: str, output_model: str) -> list[Any]:
        """Jobs carrying this content key and output model, newest first."""
        found = []
        for job in iterate_pages(
            self.client.customization.jobs.list, what="list customization jobs", sort="-created_at"
        ):
            fields = mapping(job, "custom_fields")
            if fields.get(KEY_FIELD) == key and fields.get(OUTPUT_FIELD) == output_model:
                found.append(job)
        return found

    # -- the port ---------------------------------------------------------------------------------

    def run(
        self,
        output_model: str,
        base_model: str,
        dataset_uri: str,
        hyperparameters: LoraHyperparameters,
        on_metrics: MetricsCallback | None = None,
    ) -> CustomizationJob:
        """The completed LoRA job for this content: found, followed, or created and followed."""
        namespace, dataset_name, revision = parse_uri(dataset_uri)
        output = output_model if "/" in output_model else f"{namespace}/{output_model}"
        out_ns, _, out_name = output.partition("/")
        check_name("namespace", out_ns)
        check_name("name", out_name)
        body_hp = nemo_hyperparameters(hyperparameters)
        key = job_key(base_model, dataset_uri, hyperparameters.model_dump(mode="json"))
        job_ref, terminated = None, False
        with sigterm_raises():
            try:
                jobs = self.find_jobs(key, output)
                job = self._pick(jobs)
                if job is None:
                    self._check_dataset_head(namespace, dataset_name, revision, dataset_uri)
                    job = self._create(
                        key,
                        output,
                        base_model,
                        dataset_uri,
                        body_hp,
                        attempt=len(jobs) + 1,
                        dataset={"name": dataset_name, "namespace": namespace},
                    )
                job_ref = id_of(job, f"GET {JOBS}")
                if job_status(job) != "completed":
                    self._follow(job_ref, on_metrics)
                    job = call_idempotent(
                        self.client.customization.jobs.retrieve, job_ref, what=f"get customization job {job_ref}"
                    )
                elif on_metrics is not None:  # found finished: its recorded curves, so this run shows them too
                    self._follow(job_ref, on_metrics)
            except Terminated:
                terminated = True
                if threading.current_thread() is threading.main_thread():
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not stop the cancel
                if job_ref:
                    self.cancel(job_ref)
        if terminated:
            signal.raise_signal(signal.SIGTERM)  # the restored handler (default: terminate) takes it from here
            raise StepFailedError(f"stopped by SIGTERM; customization job {job_ref or '(none yet)'} was cancelled")
        return completed_job(job, base_model, dataset_uri, hyperparameters)

    def _pick(self, jobs: list[Any]) -> Any:
        for wanted in ({"completed"}, ACTIVE):
            for job in jobs:
                if job_status(job) in wanted:
                    log.info("found customization job %s (%s) for this content", field(job, "id"), job_status(job))
                    return job
        for job in jobs[:1]:
            log.warning(
                "previous customization job %s for this content ended %s: %s; starting a new one",
                field(job, "id"),
                job_status(job),
                failure_detail(field(job, "status_details")),
            )
        return None

    def _check_dataset_head(self, namespace: str, name: str, revision: str, uri: str) -> None:
        """The Customizer trains on the dataset repo's head: refuse when it moved past our revision."""
        if self._datastore is None:
            self._datastore = NemoDatastore()
        head = self._datastore.head_revision(namespace, name)
        if not head or not head.startswith(revision):
            raise StepFailedError(
                f"dataset {uri}: the Data Store head is {head or 'missing'}, not {revision}; "
                "NeMo Customizer trains on the head, so this job would see other data. Re-run prepare-data "
                "(or use a distinct dataset_name per run spec)"
            )

    def _create(
        self, key: str, output: str, base_model: str, dataset_uri: str, hp: dict, attempt: int, dataset: dict
    ) -> Any:
        config = self.find_config(base_model)
        out_ns, _, out_name = output.partition("/")
        body = {
            "config": config,
            "dataset": dataset,
            "hyperparameters": hp,
            "output_model": output,
            "name": f"{out_name}-{key}-{attempt}",
            "namespace": out_ns,
            "description": f"llmops LoRA of {base_model} on {dataset_uri}",
            "custom_fields": {KEY_FIELD: key, OUTPUT_FIELD: output, DATASET_FIELD: dataset_uri},
        }

        def create() -> Any:
            job = self.client.with_options(max_retries=0).customization.jobs.create(**body)
            log.info("created customization job %s -> %s", id_of(job, f"POST {JOBS}"), field(job, "output_model"))
            return job

        return create_once(
            create,
            lambda: self._pick_live(self.find_jobs(key, output)),
            what=f"create customization job for {output}",
            poll=self.timing.scaled().poll,
            sleep=self.sleep,
        )

    @staticmethod
    def _pick_live(jobs: list[Any]) -> Any:
        return next((j for j in jobs if job_status(j) == "completed" or job_status(j) in ACTIVE), None)

    def _follow(self, job_id: str, on_metrics: MetricsCallback | None) -> Any:
        watch = Watch(self.timing, f"customization job {job_id}", clock=self.clock)
        emitted: dict[str, int] = {}
        hint = (
            "the job is left as it is: re-run the step to follow it, or cancel it "
            f"(POST /v1/customization/jobs/{job_id}/cancel)"
        )
        while True:
            details = call_idempotent(
                self.client.customization.jobs.status, job_id, what=f"status of customization job {job_id}"
            )
            status = str(field(details, "status", "unknown"))
            emit_new_metrics(details, emitted, on_metrics)
            if status == "completed":
                return details
            if status in ENDED_BADLY:
                raise StepFailedError(
                    settings.redact(
                        f"customization job {job_id} {status}: {failure_detail(details)}; fix the cause and re-run "
                        "the step (a new job is created)"
                    )
                )
            steps, done = field(details, "steps_completed"), field(details, "percentage_done")
            watch.advance(status, steps, done)
            watch.check(
                f"{steps or 0} steps, {done or 0:.0f}% done, last log {failure_detail(details)!r}",
                hint,
            )
            self.sleep(watch.poll)

    def cancel(self, job_id: str) -> None:
        """Ask the Customizer to cancel a job (POST /v1/customization/jobs/{id}/cancel); best effort."""
        try:
            call_idempotent(
                self.client.customization.jobs.cancel, job_id, what=f"cancel customization job {job_id}", attempts=3
            )
            log.warning("cancelled customization job %s", job_id)
        except API_ERRORS as exc:
            log.error("could not cancel customization job %s: %s", job_id, describe(exc))
