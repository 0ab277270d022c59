"""The inference port on NeMo Platform: chat models through the Inference Gateway's OpenAI route.

`NmpInference().chat_model(base_model, adapter_id)` waits (bounded) until the gateway routes the model
entity of the adapter (or of the base model) and returns the OpenAI-over-HTTP chat model of
`steps/remote/openai_chat.py` on `{NMP_URL}/apis/inference-gateway/v2/workspaces/{ws}/openai/-/v1/...`
with `model = "<workspace>/<entity>"` (`gateway.model_entity_name`). NMP_API_KEY, when set, is the
Bearer token. Something must have made the model routable: a model deployment, or `gateway.register_endpoint`.
"""

from __future__ import annotations

from typing import Any

from steps.nmp import gateway, settings
from steps.nmp.client import platform_client
from steps.nmp.policy import POLICY
from steps.remote.openai_chat import OpenAIChat
from steps.remote.waiting import Timing


def _headers() -> dict[str, str]:
    key = settings.api_key()
    return {"Authorization": f"Bearer {key}"} if key else {}


class NmpChatModel(OpenAIChat):
    """The ChatModel port on the gateway's OpenAI route for one routed model (`<workspace>/<entity>`)."""

    def __init__(self, client: Any, model: str, **options: Any) -> None:
        super().__init__(POLICY, gateway.openai_base_url(), model, headers=_headers, **options)
        self.client = client

    def models(self) -> dict[str, Any]:
        """The gateway's OpenAI model list (every model routed in the workspace)."""
        return {"object": "list", "data": [{"id": m, "object": "model"} for m in gateway.routed_models(self.client)]}


class NmpInference:
    def __init__(self, client: Any = None, timing: Timing | None = None) -> None:
        self.client = client or platform_client()
        self.timing = timing

    def model_name(self, base_model: str, adapter_id: str = "") -> str:
        """What the gateway's OpenAI route calls the base model or the adapter."""
        return gateway.routed_name(adapter_id or base_model)

    def chat_model(self, base_model: str, adapter_id: str = "") -> NmpChatModel:
        model = self.model_name(base_model, adapter_id)
        gateway.wait_for_model(self.client, model, self.timing)
        return NmpChatModel(self.client, model)
