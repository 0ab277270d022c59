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
from steps.nemo.client import API_ERRORS, call_idempotent, get_logger, nemo_client, platform_error, status_of
from steps.nemo.deployer import slug
from steps.nemo.shapes import field, mapping, require

log = get_logger(__name__)
SAFETY_MODEL = "nvidia/llama-3.1-nemoguard-8b-content-safety"
KEY_FIELD = "llmops_config_key"
# The NemoGuard content-safety prompts (shortened from the NeMo Guardrails library's example).
_CATEGORIES = (
    "S1: Violence. S2: Sexual. S3: Criminal Planning/Confessions. S4: Guns and Illegal Weapons. "
    "S5: Controlled/Regulated Substances. S6: Suicide and Self Harm. S7: Sexual (minor). S8: Hate/Identity "
    "Hate. S9: PII/Privacy. S10: Harassment. S11: Threat. S12: Profanity. S13: Needs Caution."
)
_INPUT_PROMPT = (
    "Task: Check if there is unsafe content in the user message in the conversation below according to "
    f"our safety policy with these categories: {_CATEGORIES}\n\nuser: {{{{ user_input }}}}\n\n"
    'Answer in JSON: {"User Safety": "safe" or "unsafe", "Safety Categories": "..."}'
)
_OUTPUT_PROMPT = (
    "Task: Check if there is unsafe content in the agent response in the conversation below according "
    f"to our safety policy with these categories: {_CATEGORIES}\n\nuser: {{{{ user_input }}}}\n\n"
    "response: agent: {{ bot_response }}\n\n"
    'Answer in JSON: {"User Safety": "safe" or "unsafe", "Response Safety": "safe" or "unsafe", '
    '"Safety Categories": "..."}'
)


def content_safety_config(model_id: str, safety_model: str = SAFETY_MODEL) -> dict:
    """Guardrail config `data`: input and output content-safety rails around `model_id`."""
    return {
        "models": [
            {"type": "main", "engine": "nim", "model": model_id},
            {"type": "content_safety", "engine": "nim", "model": safety_model},
        ],
        "rails": {
            "input": {"flows": ["content safety check input $model=content_safety"]},
            "output": {"flows": ["content safety check output $model=content_safety"]},
        },
        "prompts": [
            {
                "task": "content_safety_check_input $model=content_safety",
                "output_parser": "nemoguard_parse_prompt_safety",
                "max_tokens": 50,
                "messages": [{"type": "system", "content": _INPUT_PROMPT}],
            },
            {
                "task": "content_safety_check_output $model=content_safety",
                "output_parser": "nemoguard_parse_response_safety",
                "max_tokens": 50,
                "messages": [{"type": "system", "content": _OUTPUT_PROMPT}],
            },
        ],
    }


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
