"""NeMo Platform's Inference Gateway: registering an OpenAI-compatible endpoint, listing what it routes.

With the model deployments plugin, the Platform's models controller registers a deployment's provider,
marks it READY with its served models and creates a virtual model per model entity. Without it (0.3.0
installs from PyPI have none) `register_endpoint` does the same three steps for any OpenAI-compatible
server (a NIM, vLLM, `llmops serve`): the model entity, a provider pointing at the server (its API key,
if any, from a Platform secret, sent as a Bearer token), the provider's READY status with the served
model, and the virtual model the gateway's OpenAI route resolves (`model: "<workspace>/<entity>"`).
Every step is idempotent (exists -> kept), so a re-run repeats nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from steps.errors import InvalidInputError
from steps.nmp import settings
from steps.nmp.client import API_ERRORS, call_idempotent, platform_error, ready
from steps.nmp.policy import POLICY
from steps.remote.waiting import Timing, Watch

_ENTITY = re.compile(r"[^a-z0-9-]+")


def model_entity_name(model_id: str) -> str:
    """The entity name of a model id (`llmops/tiny-llama` -> `llmops-tiny-llama`, `ns/x@cust-1` -> `ns-x-cust-1`)."""
    name = _ENTITY.sub("-", model_id.lower()).strip("-")
    if not name:
        raise InvalidInputError(f"model id {model_id!r} has no letter or digit to name a model entity with")
    return name[:63].strip("-")


def routed_name(model_id: str) -> str:
    """What the gateway's OpenAI route calls a model id (`<workspace>/<entity>`), for inference and guardrails."""
    return f"{settings.workspace()}/{model_entity_name(model_id)}"


def openai_base_url(workspace: str | None = None) -> str:
    """The gateway's OpenAI route of a workspace (an OpenAI client's `base_url` with `/v1` appended)."""
    return f"{settings.base_url()}/apis/inference-gateway/v2/workspaces/{workspace or settings.workspace()}/openai/-"


def register_endpoint(
    client: Any, model_entity: str, url: str, served_name: str, api_key_secret: str | None = None
) -> str:
    """Route `<workspace>/<model_entity>` through the gateway to `served_name` at `url` (`http://host:port/v1`).

    Returns the model name the gateway's OpenAI route takes. A provider of the same name pointing elsewhere
    is an error (delete it, or use another entity name): the gateway would otherwise route to the old server.
    """
    ready(client)
    workspace = settings.workspace()
    provider = f"{model_entity}-endpoint"
    what = f"register {url} ({served_name}) as {workspace}/{model_entity}"
    try:
        call_idempotent(client.models.create, name=model_entity, exist_ok=True, what=f"{what}: model entity")
        extra: dict[str, Any] = {"api_key_secret_name": api_key_secret} if api_key_secret else {}
        found = call_idempotent(
            client.inference.providers.create,
            name=provider,
            host_url=url,
            exist_ok=True,
            what=f"{what}: provider",
            **extra,
        )
        if str(getattr(found, "host_url", url)).rstrip("/") != url.rstrip("/"):
            raise InvalidInputError(
                f"{what}: provider {workspace}/{provider} already points at {found.host_url}; delete it first "
                f"(DELETE /apis/inference-gateway/v2/workspaces/{workspace}/providers/{provider})"
            )
        served = [{"model_entity_id": f"{workspace}/{model_entity}", "served_model_name": served_name}]
        call_idempotent(
            client.inference.providers.update_status,
            provider,
            status="READY",
            served_models=served,
            what=f"{what}: provider status",
        )
        call_idempotent(
            client.inference.virtual_models.create,
            name=model_entity,
            default_model_entity=f"{workspace}/{model_entity}",
            exist_ok=True,
            what=f"{what}: virtual model",
        )
    except API_ERRORS as exc:
        raise platform_error(exc, what) from None
    return f"{workspace}/{model_entity}"


def routed_models(client: Any) -> list[str]:
    """The model names the gateway's OpenAI route resolves now (`<workspace>/<name>`)."""
    path = f"/apis/inference-gateway/v2/workspaces/{settings.workspace()}/openai/-/v1/models"
    try:
        payload = call_idempotent(client.get, path, cast_to=object, what=f"GET {path}")
    except API_ERRORS as exc:
        raise platform_error(exc, f"GET {path}") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    return [str(m["id"]) for m in data or [] if isinstance(m, dict) and m.get("id")]


def _resolves(client: Any, model: str) -> bool:
    """Whether the gateway's proxy resolves `model` now: a one-token completion gets anything but a 404. The model
    list reads the gateway's virtual models, the proxy its model entities too, and the two caches refresh apart:
    a model can be listed a moment before a completion for it stops answering 404 (seen with 0.3.0)."""
    path = f"/apis/inference-gateway/v2/workspaces/{settings.workspace()}/openai/-/v1/chat/completions"
    probe = {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1, "temperature": 0.0}
    try:
        client.post(path, body=probe, cast_to=object)
    except API_ERRORS as exc:
        if getattr(exc, "status_code", None) == 404:
            return False
    return True  # answered, or an error past the routing (the model's own server): the gateway routes it


def wait_for_model(
    client: Any, model: str, timing: Timing | None = None, sleep: Callable[[float], None] = time.sleep
) -> list[str]:
    """Poll the gateway until it routes `model`: listed by its OpenAI route and resolved by its proxy (it refreshes
    its caches every few seconds)."""
    watch = Watch(timing or settings.MODEL_SYNC, f"waiting for the Inference Gateway to route {model}", POLICY)
    while True:
        models = routed_models(client)
        listed = model in models
        if listed and _resolves(client, model):
            return models
        watch.advance("listed, not resolved yet" if listed else "not listed")
        watch.check(
            f"routed: {', '.join(sorted(models)) or 'nothing'}",
            "check that the model is deployed, or registered with steps.nmp.gateway.register_endpoint",
        )
        sleep(watch.poll)
