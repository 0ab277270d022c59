"""NimChatModel against the fake NIM: order, bounded concurrency, retries only where safe, tool calls."""

from __future__ import annotations

import threading
import time

import pytest

from steps.errors import InvalidInputError, NotFoundError, StepFailedError
from steps.nemo.inference import NimChatModel, parse_tool_calls, wait_for_model
from steps.nemo.settings import Timing
from tests.nemo.conftest import NGC_SECRET, assert_no_secrets, fault

BASE = "meta/llama-3.2-1b-instruct"


class CountingModel:
    """Answers with the user's text; records the largest number of requests served at once."""

    def __init__(self, delay=0.02):
        self.delay, self.active, self.peak, self.lock = delay, 0, 0, threading.Lock()

    def create(self, messages, max_tokens, temperature, stop=None):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(self.delay)
        with self.lock:
            self.active -= 1
        return {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": messages[-1]["content"].upper()},
                }
            ]
        }


def ask(text):
    return [{"role": "user", "content": text}]


def test_a_batch_comes_back_in_order_with_at_most_eight_requests_in_flight(make_fake):
    model = CountingModel()
    fake = make_fake(nim_base_models=[BASE], chat_model=model)
    replies = NimChatModel(BASE).create_batch([ask(f"q{i}") for i in range(30)], max_tokens=8, stop=["\n"])
    assert [r["choices"][0]["message"]["content"] for r in replies] == [f"Q{i}" for i in range(30)]
    assert 1 < model.peak <= 8
    chats = [r for r in fake.requests if r.path == "/nim/v1/chat/completions"]
    assert all(r.headers["authorization"] == f"Bearer {NGC_SECRET}" for r in chats)
    assert chats[0].json_body["model"] == BASE and chats[0].json_body["stop"] == ["\n"]


def test_transient_failures_are_retried_client_errors_are_not(make_fake):
    fake = make_fake(
        nim_base_models=[BASE],
        faults=[
            fault("http_5xx", "POST", r"/nim/v1/chat/completions", status=503),
            fault("rate_limit", "POST", r"/nim/v1/chat/completions", retry_after=0),
            fault("reset", "POST", r"/nim/v1/chat/completions"),
        ],
    )
    reply = NimChatModel(BASE).create(ask("hello"), max_tokens=4)
    assert reply["choices"][0]["message"]["content"].startswith("echo")
    assert len([r for r in fake.requests if r.path == "/nim/v1/chat/completions"]) == 4
    with pytest.raises(NotFoundError, match="HTTP 404") as error:
        NimChatModel(BASE, "llmops/unknown@cust-1").create(ask("hello"))
    assert len([r for r in fake.requests if r.path == "/nim/v1/chat/completions"]) == 5
    assert_no_secrets(str(error.value))


def test_retries_are_bounded(make_fake):
    make_fake(nim_base_models=[BASE], faults=[fault("http_5xx", "POST", r"/nim/v1/chat/completions", times=10)])
    with pytest.raises(StepFailedError, match="HTTP 503"):
        NimChatModel(BASE, attempts=3).create(ask("hello"))


class ToolModel:
    def create(self, messages, max_tokens, temperature, stop=None, tools=None, tool_choice=None):
        return {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "get_bill", "arguments": {"month": "May"}},
                            }
                        ],
                    },
                }
            ]
        }


def test_tool_call_arguments_are_parsed_from_an_object_or_a_string(make_fake):
    make_fake(nim_base_models=[BASE], chat_model=ToolModel())
    tools = [{"type": "function", "function": {"name": "get_bill", "parameters": {"type": "object"}}}]
    reply = NimChatModel(BASE).create(ask("my bill"), tools=tools, tool_choice="auto")
    assert isinstance(reply["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], str)
    [call] = parse_tool_calls(reply)
    assert (call.name, call.arguments, call.arguments_valid) == ("get_bill", {"month": "May"}, True)
    as_object = {"tool_calls": [{"id": "x", "function": {"name": "f", "arguments": {"a": 1}}}]}
    assert parse_tool_calls(as_object)[0].arguments == {"a": 1}
    broken = {"tool_calls": [{"function": {"name": "f", "arguments": "{not json"}}]}
    assert parse_tool_calls(broken)[0].arguments_valid is False


def test_models_lists_what_nim_serves_and_waiting_for_a_missing_model_times_out(make_fake):
    make_fake(nim_base_models=[BASE])
    assert [m["id"] for m in NimChatModel(BASE).models()["data"]] == [BASE]
    with pytest.raises(StepFailedError, match=r"llmops/late@cust-1.*not finished after"):
        wait_for_model("llmops/late@cust-1", Timing(poll=2, stall=50, cap=50))


def test_bad_requests_fail_before_sending(stub):
    with pytest.raises(InvalidInputError):
        NimChatModel(BASE).create_batch([[]])
    with pytest.raises(InvalidInputError):
        NimChatModel(BASE).create(ask("x"), max_tokens=0)
    assert NimChatModel(BASE).create_batch([]) == []
    assert not stub.requests


def test_a_batch_sends_each_conversation_its_own_tools(make_fake):
    fake = make_fake(nim_base_models=[BASE])
    tools = [{"type": "function", "function": {"name": "get_bill", "parameters": {"type": "object"}}}]
    replies = NimChatModel(BASE).create_batch([ask("my bill"), ask("hello")], max_tokens=8, tools=[tools, None])
    assert len(replies) == 2
    bodies = {
        r.json_body["messages"][0]["content"]: r.json_body for r in fake.requests if r.path.endswith("/completions")
    }
    assert bodies["my bill"]["tools"] == tools and "tools" not in bodies["hello"]
    with pytest.raises(InvalidInputError, match="one entry"):
        NimChatModel(BASE).create_batch([ask("a"), ask("b")], tools=[tools])
