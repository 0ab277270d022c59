"""NIM's OpenAI API (`{NIM_URL}/v1/...`) behind the interface of the local chat model.

`NimChatModel(base_model, adapter_id)` is the OpenAI-over-HTTP chat model of `steps/remote/openai_chat.py`
(bounded concurrency, retries only on transient failures, tool-call arguments as JSON strings) bound to
NIM's URL, the NGC key and the nemo backend's policy; `parse_tool_calls` / `ToolCall` are re-exported
from there. `list_models` / `wait_for_model` read NIM's `/v1/models`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from steps.nemo import settings
from steps.nemo.client import API_ERRORS, POLICY, call_idempotent, platform_error
from steps.nemo.polling import Watch
from steps.remote.openai_chat import OpenAIChat, ToolCall, parse_tool_calls

__all__ = ["NimChatModel", "NimInference", "ToolCall", "list_models", "parse_tool_calls", "wait_for_model"]


def _headers() -> dict[str, str]:
    key = settings.ngc_api_key()
    return {"Authorization": f"Bearer {key}"} if key else {}


def list_models(timeout: float = 30.0) -> list[str]:
    """Model ids NIM serves now (base models and every loaded LoRA adapter)."""
    url = f"{settings.nim_url()}/v1/models"

    def get() -> dict:
        response = httpx.get(url, headers=_headers(), timeout=timeout)
        response.raise_for_status()
        return response.json()

    try:
        payload = call_idempotent(get, what="list NIM models")
    except API_ERRORS as exc:
        raise platform_error(exc, "list NIM models (GET /v1/models)") from None
    return [str(m.get("id")) for m in payload.get("data") or [] if isinstance(m, dict) and m.get("id")]


def wait_for_model(
    model_id: str,
    timing: settings.Timing | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """Poll NIM's /v1/models until `model_id` is listed (NIM loads adapters from the Entity Store)."""
    watch = Watch(timing or settings.MODEL_SYNC, f"waiting for NIM to serve {model_id}", clock=clock)
    while True:
        models = list_models()
        if model_id in models:
            return models
        watch.advance("not listed")
        watch.check(
            f"served: {', '.join(sorted(models)) or 'nothing'}",
            "check that the model entity exists and that the NIM's PEFT source points at the Entity Store",
        )
        sleep(watch.poll)


class NimChatModel(OpenAIChat):
    """The ChatModel port on NIM's `{NIM_URL}/v1/chat/completions` (`steps/remote/openai_chat.py`)."""

    def __init__(
        self, base_model: str, adapter_id: str = "", *, concurrency: int = 8, timeout: float = 120.0, attempts: int = 4
    ) -> None:
        super().__init__(
            POLICY,
            settings.nim_url(),
            adapter_id or base_model,
            headers=_headers,
            concurrency=concurrency,
            timeout=timeout,
            attempts=attempts,
        )
        self.base_model = base_model

    def models(self) -> dict:
        """An OpenAI `/v1/models` list as NIM returns it."""
        return {"object": "list", "data": [{"id": m, "object": "model"} for m in list_models()]}


class NimInference:
    """The inference port: a chat model for the base model or an adapter, once NIM lists it."""

    def chat_model(self, base_model: str, adapter_id: str = "") -> NimChatModel:
        model = NimChatModel(base_model, adapter_id)
        wait_for_model(model.model_id)
        return model
