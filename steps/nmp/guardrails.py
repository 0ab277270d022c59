"""The guardrails port on NeMo Platform's Guardrails service (`/apis/guardrails/v2/workspaces/{ws}/...`).

`ensure_config` keeps one config per released adapter, `<adapter>-rails`, holding the content-safety rails
of `steps.logic.content_safety` with models named as the Inference Gateway routes them
(`gateway.routed_name`); a content key in the config's description says whether it is current (created /
updated / unchanged). `check` runs the
config's rails over a conversation (`POST .../checks`); `guard` does both. The safety model is
LLMOPS_NMP_SAFETY_MODEL (default NemoGuard content safety), a model the gateway routes.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from steps.contracts import GuardrailCheck, GuardrailConfigRef
from steps.errors import InvalidInputError, StepFailedError
from steps.logic.content_safety import SAFETY_MODEL, content_safety_config
from steps.nmp import datasets, gateway, settings
from steps.nmp.client import API_ERRORS, call_idempotent, platform_error, ready, status_of

KEY_MARK = "llmops key "
CONFIGS = "/apis/guardrails/v2/workspaces/{workspace}/configs"


def safety_model() -> str:
    return os.environ.get("LLMOPS_NMP_SAFETY_MODEL", "").strip() or SAFETY_MODEL


def config_name(adapter_id: str) -> str:
    if not adapter_id:
        raise InvalidInputError("guardrails need the id of a released adapter (or model)")
    return datasets.entity_name("rails", adapter_id.split("/")[-1].split("@")[0])


class NmpGuardrails:
    def __init__(self, client: Any, safety: str | None = None, engine: str = "nim") -> None:
        self.client = client
        self.safety = safety or safety_model()
        self.engine = engine

    @property
    def workspace(self) -> str:
        return settings.workspace()

    def _config_id(self, name: str) -> str:
        return f"{self.workspace}/{name}"

    def ensure_config(self, adapter_id: str) -> GuardrailConfigRef:
        ready(self.client)
        name = config_name(adapter_id)
        data = content_safety_config(gateway.routed_name(adapter_id), self.safety, engine=self.engine)
        key = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
        description = f"content safety for {adapter_id} ({KEY_MARK}{key})"
        ref = {"config_id": self._config_id(name), "namespace": self.workspace, "name": name, "model": adapter_id}
        where = CONFIGS.format(workspace=self.workspace)
        existing = self._get(name)
        if existing is None:
            try:
                call_idempotent(
                    self.client.guardrail.configs.create,
                    workspace=self.workspace,
                    name=name,
                    data=data,
                    description=description,
                    what=f"create guardrail config {name}",
                )
                return GuardrailConfigRef(**ref, action="created")
            except API_ERRORS as exc:
                if status_of(exc) != 409:
                    raise platform_error(exc, f"POST {where} ({name})") from None
            existing = self._get(name)
        if existing is not None and f"{KEY_MARK}{key}" in str(getattr(existing, "description", "") or ""):
            return GuardrailConfigRef(**ref, action="unchanged")
        try:
            call_idempotent(
                self.client.guardrail.configs.update,
                name,
                workspace=self.workspace,
                data=data,
                description=description,
                what=f"update guardrail config {name}",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"PATCH {where}/{name}") from None
        return GuardrailConfigRef(**ref, action="updated")

    def _get(self, name: str) -> Any | None:
        try:
            return call_idempotent(
                self.client.guardrail.configs.retrieve,
                name,
                workspace=self.workspace,
                what=f"GET guardrail config {name}",
            )
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, f"GET {CONFIGS.format(workspace=self.workspace)}/{name}") from None

    def check(self, adapter_id: str, messages: list[dict[str, Any]], config_id: str | None = None) -> GuardrailCheck:
        if not messages:
            raise InvalidInputError("a guardrail check needs at least one message")
        config_id = config_id or self._config_id(config_name(adapter_id))
        endpoint = f"POST /apis/guardrails/v2/workspaces/{self.workspace}/checks"
        try:
            response = call_idempotent(
                self.client.guardrail.check,
                workspace=self.workspace,
                model=gateway.routed_name(adapter_id),
                messages=messages,
                guardrails={"config_id": config_id},
                temperature=0.0,
                what=f"guardrail check with {config_id}",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"{endpoint} (config {config_id}, model {adapter_id})") from None
        status = getattr(response, "status", None)
        status = getattr(status, "value", status)
        if status is None:
            raise StepFailedError(f"{endpoint}: the answer for config {config_id} has no status")
        rails = {
            str(name): str(getattr(getattr(value, "status", None), "value", getattr(value, "status", value)))
            for name, value in (getattr(response, "rails_status", None) or {}).items()
        }
        return GuardrailCheck(
            config_id=config_id,
            model=adapter_id,
            status=str(status) if str(status) in ("success", "blocked") else "unknown",
            allowed=str(status) == "success",
            rails=rails,
        )

    def guard(self, adapter_id: str, messages: list[dict[str, Any]]) -> GuardrailCheck:
        config = self.ensure_config(adapter_id)
        return self.check(adapter_id, messages, config.config_id)
