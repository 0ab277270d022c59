"""NeMo Deployment Management (`{NEMO_URL}/v1/deployment/model-deployments`) and NIM model sync.

`ensure_base` reuses the model deployment of the base model (by its name, else any deployment of that
model) or creates one, waits for status `ready` (not the `deployed` flag, which flips early), then
waits until NIM lists the model. Adapters need no deployment: NIM loads them from the Entity Store
(DMS sets NIM_PEFT_SOURCE), so `serve_adapter` checks the model entity and waits for NIM to list it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from steps.contracts import Deployment, EntityRegistry
from steps.errors import StepFailedError
from steps.nemo import settings
from steps.nemo.adapters import serve_from_entity_store
from steps.nemo.client import (
    API_ERRORS,
    call_idempotent,
    describe,
    get_logger,
    is_transient,
    iterate_pages,
    nemo_client,
    platform_error,
    status_of,
)
from steps.nemo.entity_store import EntityStore
from steps.nemo.inference import wait_for_model
from steps.nemo.polling import Watch
from steps.nemo.shapes import entries, field, require

log = get_logger(__name__)
READY = "ready"
FAILED = frozenset({"failed", "cancelled"})
DEPLOYMENTS = "/v1/deployment/model-deployments"


def slug(text: str) -> str:
    """A `[-._a-zA-Z0-9]` form of a name (safe in Argo memoization keys and DMS names)."""
    return re.sub(r"[^-._a-zA-Z0-9]+", "-", text).strip("-.") or "model"


def deployment_name(base_model: str) -> tuple[str, str]:
    """(namespace, name) of a model's deployment: `meta/llama-3.2-1b-instruct` -> (meta, llama-3.2-1b-instruct)."""
    namespace, _, name = base_model.rpartition("/")
    return slug(namespace or "default").lower(), slug(name).lower()


def _config_model(deployment: Any) -> str | None:
    config = field(deployment, "config")
    model = field(config, "model") if not isinstance(config, str) else None
    if model is None:
        return None
    return model if isinstance(model, str) else field(model, "name")


def _status(deployment: Any) -> str:
    return str(field(field(deployment, "status_details"), "status") or "unknown")


class NemoDeployer:
    def __init__(
        self,
        client: Any = None,
        timing: settings.Timing | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        entity_store: EntityRegistry | None = None,
    ) -> None:
        self.client = client or nemo_client()
        self.timing = timing or settings.DEPLOYMENT
        self.sleep, self.clock = sleep, clock
        self.entity_store = entity_store or EntityStore(self.client)

    def _get(self, namespace: str, name: str) -> Any:
        what = f"get model deployment {namespace}/{name}"
        try:
            return call_idempotent(
                self.client.deployment.model_deployments.retrieve, name, namespace=namespace, what=what
            )
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, what) from None

    def find_deployment(self, base_model: str) -> Any:
        """The deployment of `base_model`: the one named after it, else any whose config serves it."""
        found = self._get(*deployment_name(base_model))
        if found is not None:
            return found
        for deployment in iterate_pages(self.client.deployment.model_deployments.list, what="list model deployments"):
            if _config_model(deployment) == base_model or base_model in entries(deployment, "models"):
                for key in ("namespace", "name"):  # a listed one is followed by its name
                    require(deployment, key, endpoint=f"GET {DEPLOYMENTS}", what=f"the deployment of {base_model}")
                return deployment
        return None

    def _create(self, base_model: str) -> Any:
        namespace, name = deployment_name(base_model)
        body: dict[str, Any] = {
            "name": name,
            "namespace": namespace,
            "async_enabled": False,
            "config": {
                "model": base_model,
                "nim_deployment": {
                    "image_name": f"nvcr.io/nim/{base_model}",
                    "image_tag": settings.nim_image_tag(),
                    "gpu": settings.nim_gpu(),
                    "pvc_size": settings.nim_pvc_size(),
                    "additional_envs": {"NIM_GUIDED_DECODING_BACKEND": "fast_outlines"},
                },
            },
            "custom_fields": {"llmops_base_model": base_model},
        }
        if settings.hf_token():
            body["hf_token"] = settings.hf_token()
        try:
            created = self.client.with_options(max_retries=0).deployment.model_deployments.create(**body)
            log.info("created model deployment %s/%s for %s", namespace, name, base_model)
            return created
        except API_ERRORS as exc:
            exists = status_of(exc) == 409 or "already exists" in describe(exc).lower()
            if not (exists or is_transient(exc)):
                raise platform_error(exc, f"create model deployment {namespace}/{name}") from None
            log.warning("creating model deployment %s/%s: %s; looking it up", namespace, name, describe(exc))
            for attempt in range(1, 4):
                found = self._get(namespace, name)
                if found is not None:
                    return found
                self.sleep(self.timing.scaled().poll * attempt / 4)
            raise platform_error(
                exc, f"create model deployment {namespace}/{name}", "it does not exist; re-running the step is safe"
            ) from None

    def _wait_ready(self, deployment: Any, namespace: str, name: str) -> Any:
        watch = Watch(self.timing, f"model deployment {namespace}/{name}", clock=self.clock)
        while True:
            status = _status(deployment)
            if status == READY:
                return deployment
            description = field(field(deployment, "status_details"), "description", "")
            if status in FAILED:
                raise StepFailedError(
                    settings.redact(
                        f"model deployment {namespace}/{name} {status}: {description or 'no description'}; "
                        "fix it (or delete it so that it is recreated) and re-run the step"
                    )
                )
            watch.advance(status)
            watch.check(f"deployed={field(deployment, 'deployed')}, {description!r}")
            self.sleep(watch.poll)
            deployment = self._get(namespace, name)
            if deployment is None:
                raise StepFailedError(
                    f"model deployment {namespace}/{name} disappeared while starting; re-run the step"
                )

    def ensure_base(self, base_model: str) -> Deployment:
        """The NIM serving `base_model`, ready and listing it."""
        deployment = self.find_deployment(base_model) or self._create(base_model)
        known_namespace, known_name = deployment_name(base_model)  # what we asked for, if the answer omits it
        namespace, name = field(deployment, "namespace", known_namespace), field(deployment, "name", known_name)
        self._wait_ready(deployment, namespace, name)
        wait_for_model(base_model, sleep=self.sleep, clock=self.clock)
        return Deployment(
            model_id=base_model,
            model_key=f"{slug(base_model)}.{slug(f'{namespace}-{name}')}",
            endpoint=settings.nim_url(),
            path=f"{settings.nemo_url()}{DEPLOYMENTS}/{namespace}/{name}",
        )

    def serve_adapter(self, base_model: str, adapter_id: str) -> bool:
        """Make sure NIM serves the adapter; False if it already did."""
        return serve_from_entity_store(self.entity_store, base_model, adapter_id, sleep=self.sleep, clock=self.clock)

    def release_adapter(self, base_model: str, adapter_id: str) -> bool:
        """NIM serves every LoRA adapter under its own model name and keeps no per-base release pointer:
        the release is the registry alias the caller moves. Releasing makes sure NIM serves the adapter;
        True if it had to be loaded."""
        return self.serve_adapter(base_model, adapter_id)

    def released_adapter(self, base_model: str) -> str | None:
        """None: NIM records no release (the registry's `champion` alias names it)."""
        return None
