"""The OpenAI-compatible server over the project's tiny model: the official OpenAI client talks to it."""

from __future__ import annotations

import httpx
import openai
import pytest

from steps.local.chat_model import LocalChatModel
from steps.local.openai_server import OpenAIServer
from steps.remote.openai_chat import parse_tool_calls

BASE = "llmops/tiny-llama"
CALL_TEXT = '[{"name":"get_weather","arguments":{"city":"Lima"}}]'
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}


@pytest.fixture(scope="module")
def chat(base_dir):
    return LocalChatModel(base_dir, model_id=BASE)


@pytest.fixture
def server(chat):
    running = OpenAIServer({BASE: chat}).start()
    yield running
    running.stop()


def test_the_openai_client_lists_the_model_and_gets_a_completion(server):
    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list().data] == [BASE]
    reply = client.chat.completions.create(
        model=BASE, messages=[{"role": "user", "content": "What is 2 + 3?"}], max_tokens=4, temperature=0
    )
    assert reply.object == "chat.completion" and reply.model == BASE
    assert reply.choices[0].message.role == "assistant" and isinstance(reply.choices[0].message.content, str)
    assert 0 < reply.usage.completion_tokens <= 5
    assert httpx.get(server.url.removesuffix("/v1") + "/health").json() == {"status": "ok"}


def test_a_reply_that_writes_a_call_comes_back_as_openai_tool_calls(server, chat, monkeypatch):
    monkeypatch.setattr(chat, "_generate", lambda prompts, *args: [(CALL_TEXT, 12, "stop")] * len(prompts))
    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    ask = [{"role": "user", "content": "Weather in Lima?"}]
    reply = client.chat.completions.create(model=BASE, messages=ask, tools=[TOOL], max_tokens=16)
    assert reply.choices[0].finish_reason == "tool_calls"
    [call] = parse_tool_calls(reply.model_dump())
    assert (call.name, call.arguments) == ("get_weather", {"city": "Lima"})
    none = client.chat.completions.create(model=BASE, messages=ask, tools=[TOOL], tool_choice="none", max_tokens=16)
    assert none.choices[0].message.tool_calls is None and none.choices[0].message.content == CALL_TEXT


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"model": "nope", "messages": [{"role": "user", "content": "x"}]}, 404, "not served here"),
        ({"model": BASE, "messages": []}, 400, "non-empty list"),
        ({"model": BASE, "messages": [{"role": "user", "content": "x"}], "stream": True}, 400, "streaming"),
        ({"model": BASE, "messages": [{"role": "user", "content": "x"}], "max_tokens": "9"}, 400, "max_tokens"),
        ({"model": BASE, "messages": [{"content": "x"}]}, 400, "role"),
    ],
)
def test_bad_requests_get_an_openai_error(server, body, status, message):
    response = httpx.post(f"{server.url}/chat/completions", json=body)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]


def test_with_an_api_key_requests_need_the_bearer_token(chat):
    server = OpenAIServer({BASE: chat}, api_key="s3cret").start()
    try:
        assert httpx.get(f"{server.url}/models").status_code == 401
        assert httpx.get(f"{server.url}/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(f"{server.url}/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert httpx.get(server.url.removesuffix("/v1") + "/health").status_code == 200
    finally:
        server.stop()


def test_serve_is_a_cli_command(capsys):
    from workflows import cli

    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    assert "--adapter" in capsys.readouterr().out
