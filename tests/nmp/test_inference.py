"""The inference port against the real Inference Gateway, routing to the project's tiny model served locally."""

from __future__ import annotations

import openai
import pytest

from steps.errors import InvalidInputError, StepFailedError
from steps.nmp import gateway
from steps.nmp.client import platform_client
from steps.nmp.inference import NmpInference
from steps.remote.openai_chat import parse_tool_calls
from steps.remote.waiting import Timing
from tests.nmp.conftest import BASE_MODEL

CALL_TEXT = '[{"name":"get_weather","arguments":{"city":"Lima"}}]'
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
ASK = [{"role": "user", "content": "What is 2 + 3?"}]


def test_a_chat_completion_through_the_gateway_is_openai_shaped(routed_model):
    model = NmpInference().chat_model(BASE_MODEL)
    assert model.model_id == routed_model and routed_model in [m["id"] for m in model.models()["data"]]
    reply = model.create(ASK, max_tokens=4)
    assert reply["object"] == "chat.completion" and reply["model"] == routed_model
    assert reply["choices"][0]["message"]["role"] == "assistant"
    assert isinstance(reply["choices"][0]["message"]["content"], str)
    assert 0 < reply["usage"]["completion_tokens"] <= 5
    batch = model.create_batch([ASK, [{"role": "user", "content": "Name a colour."}]], max_tokens=3)
    assert [r["choices"][0]["message"]["role"] for r in batch] == ["assistant", "assistant"]


def test_the_official_openai_client_works_through_the_gateway_route(routed_model):
    client = openai.OpenAI(base_url=gateway.openai_base_url() + "/v1", api_key="unused", max_retries=0)
    assert routed_model in [m.id for m in client.models.list().data]
    reply = client.chat.completions.create(model=routed_model, messages=ASK, max_tokens=3, temperature=0)
    assert reply.object == "chat.completion" and reply.choices[0].message.role == "assistant"


def test_a_tool_call_comes_back_through_the_gateway_as_openai_tool_calls(routed_model, local_model_server, monkeypatch):
    # The tiny model was never taught to call tools: its generation is fixed to the text of a call, and the
    # server's own parsing, the HTTP route and the gateway's proxy turn it into OpenAI `tool_calls`.
    served = local_model_server.models[BASE_MODEL]
    monkeypatch.setattr(served, "_generate", lambda prompts, *args: [(CALL_TEXT, 12, "stop")] * len(prompts))
    model = NmpInference().chat_model(BASE_MODEL)
    reply = model.create([{"role": "user", "content": "Weather in Lima?"}], tools=[TOOL], max_tokens=16)
    choice = reply["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["type"] == "function"
    assert isinstance(choice["message"]["tool_calls"][0]["function"]["arguments"], str)
    [call] = parse_tool_calls(reply)
    assert (call.name, call.arguments, call.arguments_valid) == ("get_weather", {"city": "Lima"}, True)


def test_registering_again_changes_nothing_and_another_url_is_refused(routed_model, local_model_server):
    client = platform_client()
    entity = gateway.model_entity_name(BASE_MODEL)
    assert gateway.register_endpoint(client, entity, local_model_server.url, BASE_MODEL) == routed_model
    assert [p.name for p in client.inference.providers.list().data] == [f"{entity}-endpoint"]
    with pytest.raises(InvalidInputError, match="already points at"):
        gateway.register_endpoint(client, entity, "http://127.0.0.1:9/v1", BASE_MODEL)


def test_a_model_the_gateway_does_not_route_times_out_naming_it(nmp_env):
    client = platform_client()
    from steps.nmp.client import ensure_workspace

    ensure_workspace(client)
    with pytest.raises(StepFailedError, match=r"route .*nobody-s-model.*routed: nothing"):
        NmpInference(client, Timing(poll=0.2, stall=1, cap=1)).chat_model("nobody/s-model")


def test_model_entity_names():
    assert gateway.model_entity_name("llmops/tiny-llama") == "llmops-tiny-llama"
    assert gateway.model_entity_name("Ns/Bill@cust-1a2b") == "ns-bill-cust-1a2b"
    with pytest.raises(InvalidInputError):
        gateway.model_entity_name("//")
