"""NeMo Guardrails (`{NEMO_URL}/v1/guardrail/...`): a content-safety config per released adapter, and checks.

`ensure_config` creates the config `<namespace>/<adapter slug>-rails` or updates it when its content
changed (a content hash in `custom_fields` says which); `check` runs `POST /v1/guardrail/checks` with
that config and returns whether the messages pass (the guardrails step of the pipeline).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from steps.contracts import GuardrailCheck, GuardrailConfigRef
from steps.errors import InvalidInputError
from steps.logic.content_safety import SAFETY_MODEL, content_safety_config
from steps.nemo.client import API_ERRORS, call_idempotent, get_logger, nemo_client, platform_error, status_of
from steps.nemo.deployer import slug
from steps.nemo.shapes import field, mapping, require

log = get_logger(__name__)
KEY_FIELD = "llmops_config_key"


class NemoGuardrails:
    def __init__(self, client: Any = None, safety_model: str = SAFETY_MODEL) -> None:
        self.client = client or nemo_client()
        self.safety_model = safety_model

    @staticmethod
    def config_ref(adapter_id: str, namespace: str | None = None) -> tuple[str, str]:
        """(namespace, name) of the config guarding an adapter: the adapter's namespace, `<slug>-rails`."""
        if not adapter_id:
            raise InvalidInputError("guardrails need the id of a released adapter (or model)")
        ns = namespace or (adapter_id.split("/", 1)[0] if "/" in adapter_id else "default")
        return ns, f"{slug(adapter_id.split('/', 1)[-1]).lower()}-rails"

    def ensure_config(
        self, adapter_id: str, namespace: str | None = None, data: dict | None = None
    ) -> GuardrailConfigRef:
        """Create the adapter's guardrail config, or update it when its content differs."""
        ns, name = self.config_ref(adapter_id, namespace)
        data = data or content_safety_config(adapter_id, self.safety_model)
        key = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
        fields = {KEY_FIELD: key, "llmops_model": adapter_id}
        configs = self.client.guardrail.configs
        what = f"guardrail config {ns}/{name}"
        ref = {"config_id": f"{ns}/{name}", "namespace": ns, "name": name, "model": adapter_id}
        existing = self._get(ns, name)
        if existing is None:
            try:
                call_idempotent(
                    configs.create,
                    name=name,
                    namespace=ns,
                    data=data,
                    custom_fields=fields,
                    description=f"content safety for {adapter_id}",
                    what=f"create {what}",
                )
                return GuardrailConfigRef(**ref, action="created")
            except API_ERRORS as exc:
                if status_of(exc) != 409:
                    raise platform_error(exc, f"create {what}") from None
            existing = self._get(ns, name)
        if existing is not None and mapping(existing, "custom_fields").get(KEY_FIELD) == key:
            return GuardrailConfigRef(**ref, action="unchanged")
        try:
            call_idempotent(configs.update, name, namespace=ns, data=data, custom_fields=fields, what=f"update {what}")
        except API_ERRORS as exc:
            raise platform_error(exc, f"update {what}") from None
        return GuardrailConfigRef(**ref, action="updated")

    def _get(self, namespace: str, name: str) -> Any:
        what = f"get guardrail config {namespace}/{name}"
        try:
            return call_idempotent(self.client.guardrail.configs.retrieve, name, namespace=namespace, what=what)
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, what) from None

    def check(self, adapter_id: str, messages: list[dict], config_id: str | None = None) -> GuardrailCheck:
        """Run the rails of `config_id` (default: the adapter's config) over `messages`."""
        if not messages:
            raise InvalidInputError("a guardrail check needs at least one message")
        config_id = config_id or "/".join(self.config_ref(adapter_id))
        try:
            response = call_idempotent(
                self.client.guardrail.check,
                model=adapter_id,
                messages=messages,
                guardrails={"config_id": config_id},
                temperature=0.0,
                what=f"guardrail check with {config_id}",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"guardrail check with {config_id} on {adapter_id}") from None
        status = str(
            require(response, "status", endpoint="POST /v1/guardrail/checks", what=f"the check with {config_id}")
        )
        rails = {name: str(field(value, "status", value)) for name, value in mapping(response, "rails_status").items()}
        return GuardrailCheck(
            config_id=config_id, model=adapter_id, status=status, allowed=status == "success", rails=rails
        )

    def guard(self, adapter_id: str, messages: list[dict]) -> GuardrailCheck:
        """Create-or-update the adapter's config, then check `messages` with it."""
        ref = self.ensure_config(adapter_id)
        log.info("guardrail config %s %s", ref.config_id, ref.action)
        return self.check(adapter_id, messages, ref.config_id)
