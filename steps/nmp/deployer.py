"""NeMo Platform model deployments (`/apis/models/v2/workspaces/{ws}/deployments`) and adapters.

`ensure_base` reuses the deployment named after the base model or creates it once (a deployment config with
LoRA enabled, then the deployment; a create that fails mid-flight is answered by looking it up), then waits
for status READY (ERROR or LOST: a clear error). Adapters need no deployment of their own: a LoRA-enabled
deployment serves the enabled adapters of its model entity, so `serve_adapter` checks the adapter entity and
enables it. The released adapter of a base model is recorded in the model entity's `custom_fields`.

A model reference is `workspace/name`, or `name` in NMP_WORKSPACE.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from steps.contracts import Deployment
from steps.errors import NotFoundError, StepFailedError
from steps.nmp import settings
from steps.nmp.client import (
    API_ERRORS,
    call_idempotent,
    create_once,
    get_logger,
    platform_client,
    platform_error,
    ready,
    status_of,
)
from steps.nmp.customization_jobs import as_dict
from steps.nmp.policy import POLICY
from steps.remote.waiting import Timing, Watch

log = get_logger(__name__)
READY = "READY"
FAILED = frozenset({"ERROR", "LOST", "DELETING", "DELETED"})
RELEASE_FIELD = "llmops_released_adapter"
MODELS = "/apis/models/v2/workspaces"


def slug(text: str) -> str:
    """A `[-._a-zA-Z0-9]` form of a name (deployment names, Argo memoization keys)."""
    return re.sub(r"[^-._a-zA-Z0-9]+", "-", text).strip("-.").lower() or "model"


def split_ref(ref: str) -> tuple[str, str]:
    """(workspace, name) of `workspace/name`, or of `name` in NMP_WORKSPACE."""
    workspace, _, name = ref.rpartition("/")
    return workspace or settings.workspace(), name


class NmpDeployer:
    def __init__(
        self,
        client: Any = None,
        timing: Timing | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client or platform_client()
        self.timing = timing or settings.DEPLOYMENT
        self.sleep, self.clock = sleep, clock
        self.workspace = settings.workspace()

    def _read(self, fn: Callable[..., Any], name: str, workspace: str, what: str) -> dict[str, Any] | None:
        """GET one object as plain data; None on 404."""
        try:
            return as_dict(call_idempotent(fn, name, workspace=workspace, what=what))
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, what) from None

    def _deployment(self, name: str) -> dict[str, Any] | None:
        return self._read(self.client.inference.deployments.retrieve, name, self.workspace, f"get deployment {name}")

    # -- base model ---------------------------------------------------------------------------------

    def _ensure_config(self, name: str, base_model: str) -> None:
        """The deployment config of `base_model` (NIM, LoRA enabled); 409 = it exists already."""
        model_ws, model_name = split_ref(base_model)
        try:
            call_idempotent(
                self.client.inference.deployment_configs.create,
                workspace=self.workspace,
                name=name,
                engine="nim",
                model_spec={"model_type": "llm", "lora_enabled": True},
                executor_config={"gpu": settings.deployment_gpus()},
                model_entity_id=f"{model_ws}/{model_name}",
                description=f"llmops: {base_model} with LoRA adapters",
                what=f"create deployment config {name}",
            )
            log.info("created deployment config %s for %s", name, base_model)
        except API_ERRORS as exc:
            if status_of(exc) != 409:
                raise platform_error(exc, f"POST {MODELS}/{self.workspace}/deployment-configs ({name})") from None

    def _create(self, name: str, base_model: str) -> dict[str, Any]:
        self._ensure_config(name, base_model)

        def create() -> dict[str, Any]:
            created = as_dict(
                self.client.inference.deployments.create(workspace=self.workspace, name=name, config=name)
            )
            log.info("created deployment %s for %s", name, base_model)
            return created

        return create_once(
            create,
            lambda: self._deployment(name),
            what=f"create deployment {name}",
            poll=self.timing.scaled(POLICY.time_scale()).poll,
            sleep=self.sleep,
        )

    def _wait_ready(self, deployment: dict[str, Any], name: str) -> dict[str, Any]:
        watch = Watch(self.timing, f"deployment {self.workspace}/{name}", POLICY, clock=self.clock)
        while True:
            status = str(deployment.get("status") or "UNKNOWN").upper()
            message = deployment.get("status_message") or ""
            if status == READY:
                return deployment
            if status in FAILED:
                raise StepFailedError(
                    settings.redact(
                        f"deployment {self.workspace}/{name} is {status}: {message or 'no status message'}; fix it "
                        f"(or delete it: DELETE {MODELS}/{self.workspace}/deployments/{name}) and re-run the step"
                    )
                )
            watch.advance(status)
            watch.check(repr(message) if message else "", "the deployment is left as it is; re-run to wait again")
            self.sleep(watch.poll)
            found = self._deployment(name)
            if found is None:
                raise StepFailedError(f"deployment {self.workspace}/{name} disappeared while starting; re-run the step")
            deployment = found

    def ensure_base(self, base_model: str) -> Deployment:
        """The deployment serving `base_model` (and its adapters), READY."""
        ready(self.client)
        name = slug(base_model)
        deployment = self._deployment(name) or self._create(name, base_model)
        deployment = self._wait_ready(deployment, name)
        base = settings.base_url()
        return Deployment(
            model_id=base_model,
            model_key=f"{slug(base_model)}.{name}-v{deployment.get('entity_version', 1)}",
            endpoint=f"{base}/apis/inference-gateway/v2/workspaces/{self.workspace}/openai/-/v1",
            path=f"{base}{MODELS}/{self.workspace}/deployments/{name}",
        )

    # -- adapters -----------------------------------------------------------------------------------

    def serve_adapter(self, base_model: str, adapter_id: str) -> bool:
        """Make sure the adapter entity is enabled for inference next to its base; False if it already was."""
        workspace, name = split_ref(adapter_id)
        adapter = self._read(self.client.adapters.retrieve, name, workspace, f"get adapter {adapter_id}")
        if adapter is None:
            raise NotFoundError(
                f"adapter {adapter_id!r} is not registered on the Platform; run the customize step first"
            )
        parent = str(adapter.get("model") or "")
        if parent and split_ref(parent) != split_ref(base_model):
            log.warning("adapter %s was trained on %s, not %s", adapter_id, parent, base_model)
        if adapter.get("enabled", True):
            return False
        try:
            call_idempotent(
                self.client.adapters.patch, name, workspace=workspace, enabled=True, what=f"enable adapter {adapter_id}"
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"PATCH {MODELS}/{workspace}/adapters/{name}") from None
        log.info("enabled adapter %s for inference", adapter_id)
        return True

    def _model(self, base_model: str) -> dict[str, Any]:
        workspace, name = split_ref(base_model)
        model = self._read(self.client.models.retrieve, name, workspace, f"get model {base_model}")
        if model is None:
            raise NotFoundError(
                f"model entity {workspace}/{name} does not exist on the Platform; register the base model first"
            )
        return model

    def release_adapter(self, base_model: str, adapter_id: str) -> bool:
        """Serve `adapter_id` and record it as the release of `base_model` (the model entity's custom field
        `llmops_released_adapter`); False if it already was both."""
        ready(self.client)
        served = self.serve_adapter(base_model, adapter_id)
        model = self._model(base_model)
        fields = dict(model.get("custom_fields") or {})
        if fields.get(RELEASE_FIELD) == adapter_id:
            return served
        workspace, name = split_ref(base_model)
        try:
            call_idempotent(
                self.client.models.update,
                name,
                workspace=workspace,
                custom_fields={**fields, RELEASE_FIELD: adapter_id},
                what=f"record release of {base_model}",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"PATCH {MODELS}/{workspace}/models/{name}") from None
        log.info("released adapter %s on %s (was %s)", adapter_id, base_model, fields.get(RELEASE_FIELD))
        return True

    def released_adapter(self, base_model: str) -> str | None:
        """The adapter recorded as the release of `base_model`; None when none is (or the model is unknown)."""
        workspace, name = split_ref(base_model)
        model = self._read(self.client.models.retrieve, name, workspace, f"get model {base_model}")
        value = (model or {}).get("custom_fields", {}).get(RELEASE_FIELD)
        return str(value) if value else None
