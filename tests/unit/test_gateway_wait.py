"""Waiting for the Inference Gateway to route a model: listed is not enough, its proxy must resolve it."""

import httpx
import pytest
from nemo_platform import NotFoundError

from steps.errors import StepFailedError
from steps.nmp.gateway import wait_for_model
from steps.remote.waiting import Timing

MODEL = "llmops/llmops-tiny-llama"


class Gateway:
    """The two calls `wait_for_model` makes: the model list, and a one-token completion (404 `unresolved` times)."""

    def __init__(self, listed: bool, unresolved: int) -> None:
        self.listed, self.unresolved, self.probes = listed, unresolved, 0

    def get(self, path, **_):
        return {"data": [{"id": MODEL}] if self.listed else []}

    def post(self, path, body, cast_to):
        assert path.endswith("/openai/-/v1/chat/completions") and body["model"] == MODEL and body["max_tokens"] == 1
        self.probes += 1
        if self.probes <= self.unresolved:
            request = httpx.Request("POST", "http://gateway" + path)
            raise NotFoundError("not found", response=httpx.Response(404, request=request), body=None)
        return {"object": "chat.completion"}


def test_a_listed_model_is_waited_for_until_a_completion_for_it_stops_answering_404(monkeypatch):
    monkeypatch.setenv("NMP_WORKSPACE", "llmops")
    gateway, slept = Gateway(listed=True, unresolved=2), []
    assert wait_for_model(gateway, MODEL, Timing(poll=1, stall=60, cap=60), sleep=slept.append) == [MODEL]
    assert gateway.probes == 3 and slept == [1, 1]


def test_a_model_never_listed_is_not_probed_and_the_wait_ends_with_what_is_routed(monkeypatch):
    monkeypatch.setenv("NMP_WORKSPACE", "llmops")
    gateway = Gateway(listed=False, unresolved=0)
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr("steps.remote.waiting.time.monotonic", lambda: next(clock))
    with pytest.raises(StepFailedError, match="routed: nothing"):
        wait_for_model(gateway, MODEL, Timing(poll=1, stall=30, cap=30), sleep=lambda _: None)
    assert gateway.probes == 0
