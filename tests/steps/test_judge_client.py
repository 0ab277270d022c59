"""The judge client against a deterministic OpenAI-compatible judge on 127.0.0.1 (tests/fakes/judge_server.py)."""

from __future__ import annotations

import logging
import socket

import pytest
from pydantic import ValidationError

from steps.judge_client import API_KEY_ENV, JudgeConfig, JudgeItem, JudgeUnavailableError, judge_items
from steps.logic.judge_rubrics import BINARY, PROMPT_VERSION
from tests.fakes.judge_server import FakeJudge, expected_score

KEY = "judge-secret-3f9a1c"
ITEMS = [
    JudgeItem(
        id="a",
        messages=[{"role": "user", "content": "Why is my bill higher?"}],
        reference="Roaming charges were added in March.",
        prediction="Roaming charges were added in March.",
    ),
    JudgeItem(
        id="b",
        messages=[{"role": "user", "content": "When is it due?"}],
        reference="It is due on 5 April.",
        prediction="Payment is due on 5 April.",
    ),
    JudgeItem(
        id="c",
        messages=[{"role": "user", "content": "Who sent it?"}],
        reference="Acme Telecom sent it.",
        prediction="No idea.",
    ),
]


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)


@pytest.fixture
def sleeps():
    return []


def _judge(fake: FakeJudge, sleeps: list[float], items=ITEMS, criterion="correctness", scale=None, **config):
    cfg = JudgeConfig(base_url=fake.base_url, model="judge/llama", **{"concurrency": 1, **config})
    kwargs = {"scale": scale} if scale else {}
    return judge_items(items, criterion, cfg, sleep=sleeps.append, **kwargs)


def _expected(item: JudgeItem, low: int = 1, high: int = 5) -> int:
    return expected_score(item.reference, item.prediction, low, high)


@pytest.mark.parametrize("style", ["plain", "json", "markdown"])
def test_grades_every_item_in_order(style, sleeps):
    with FakeJudge(style=style, model="judge/llama") as fake:
        results = _judge(fake, sleeps, concurrency=3)
    assert [r.id for r in results] == ["a", "b", "c"]
    assert [r.raw for r in results] == [_expected(item) for item in ITEMS] and results[0].raw == 5
    assert [r.score for r in results] == [(r.raw - 1) / 4 for r in results]
    assert all(r.error is None and r.rationale and r.response for r in results)
    assert len(fake.requests) == 3 and sleeps == []
    body = fake.requests[0].json_body
    assert body["model"] == "judge/llama" and body["temperature"] == 0 and body["max_tokens"] == 512
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


def test_binary_scale(sleeps):
    with FakeJudge() as fake:
        results = _judge(fake, sleeps, scale=BINARY)
    assert [r.raw for r in results] == [_expected(item, 0, 1) for item in ITEMS]
    assert {r.score for r in results} <= {0.0, 1.0}


@pytest.mark.parametrize("fault", ["reset", 429, 502, 503, 504])
def test_transport_failures_are_retried(fault, sleeps):
    with FakeJudge(fail_first=2, fail_with=fault) as fake:
        results = _judge(fake, sleeps)
    assert [r.raw for r in results] == [_expected(item) for item in ITEMS]
    assert len(fake.requests) == len(ITEMS) + 2
    assert [r.fault for r in fake.requests[:2]] == [str(fault)] * 2
    assert len(sleeps) == 2 and all(0 < s <= 8 for s in sleeps)


def test_persistent_transport_failure_makes_the_judge_unavailable(sleeps):
    unavailable = pytest.raises(JudgeUnavailableError, match=r"failed 3 times \(HTTP 503\) on correctness of item 'a'")
    with FakeJudge(fail_first=100, fail_with=503) as fake, unavailable:
        _judge(fake, sleeps, attempts=3)
    assert len(fake.requests) == 3 and len(sleeps) == 2


def test_unreachable_judge_is_retried_then_reported(sleeps):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: connection refused
    cfg = JudgeConfig(base_url=f"http://127.0.0.1:{port}/v1", model="m", attempts=2, concurrency=1)
    with pytest.raises(JudgeUnavailableError, match=r"ConnectError.*check that it is up and reachable"):
        judge_items(ITEMS[:1], "correctness", cfg, sleep=sleeps.append)
    assert len(sleeps) == 1


@pytest.mark.parametrize("status", [400, 422, 500])
def test_other_http_errors_fail_the_item_without_retry(status, sleeps):
    with FakeJudge(status_for={ITEMS[1].prediction: status}) as fake:
        results = _judge(fake, sleeps)
    assert len(fake.requests) == 3 and sleeps == []
    failed = results[1]
    assert failed.score is None and failed.raw is None and f"HTTP {status}" in (failed.error or "")
    assert results[0].raw == 5 and results[2].score is not None


@pytest.mark.parametrize(
    "fake_args, config, message",
    [
        ({"api_key": "another-key"}, {}, f"HTTP 401.*check the {API_KEY_ENV} environment variable"),
        ({"model": "judge/other"}, {}, "HTTP 404.*base_url must be the part before /chat/completions"),
    ],
)
def test_wrong_key_or_model_stops_at_once(fake_args, config, message, sleeps, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, KEY)
    with FakeJudge(**fake_args) as fake, pytest.raises(JudgeUnavailableError, match=message) as info:
        _judge(fake, sleeps, **config)
    assert len(fake.requests) == 1 and sleeps == []
    assert KEY not in str(info.value)


def test_unparseable_answers_are_failures_with_their_text_never_zero(sleeps):
    replies = {ITEMS[0].prediction: "I am not sure how to grade this.", ITEMS[2].prediction: "Score: 9"}
    with FakeJudge(reply_for=replies) as fake:
        results = _judge(fake, sleeps)
    assert len(fake.requests) == 3 and sleeps == []  # a parse failure is not retried
    first, second, third = results
    assert first.score is None and first.raw is None and "no final score found" in (first.error or "")
    assert first.response == "I am not sure how to grade this."
    assert third.score is None and "outside the scale 1-5" in (third.error or "") and third.response == "Score: 9"
    assert second.score == (_expected(ITEMS[1]) - 1) / 4


def test_api_key_is_sent_as_bearer_and_never_logged(monkeypatch, caplog, sleeps):
    monkeypatch.setenv(API_KEY_ENV, KEY)
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log requests at DEBUG
    with FakeJudge(api_key=KEY, fail_first=1, fail_with=503, reply_for={ITEMS[2].prediction: "??"}) as fake:
        results = _judge(fake, sleeps)
    assert {r.headers.get("authorization") for r in fake.requests} == {f"Bearer {KEY}"}
    assert results[0].raw == 5 and results[2].error
    assert caplog.records and KEY not in caplog.text
    assert all(KEY not in f"{r.error} {r.response} {r.rationale}" for r in results)


def test_without_the_key_no_authorization_header_is_sent(sleeps):
    with FakeJudge() as fake:
        _judge(fake, sleeps, items=ITEMS[:1])
    assert "authorization" not in fake.requests[0].headers


def test_config_has_no_key_field_and_records_what_identifies_a_score():
    with pytest.raises(ValidationError):
        JudgeConfig.model_validate({"base_url": "http://judge:8000/v1", "model": "m", "api_key": KEY})
    with pytest.raises(ValidationError):
        JudgeConfig.model_validate({"base_url": "judge:8000", "model": "m"})
    cfg = JudgeConfig(base_url="http://judge:8000/v1/", model="meta/llama-3.3-70b-instruct")
    assert cfg.url == "http://judge:8000/v1/chat/completions"
    assert cfg.tracking_params(BINARY) == {
        "judge_model": "meta/llama-3.3-70b-instruct",
        "judge_prompt_version": PROMPT_VERSION,
        "judge_scale": "0-1",
    }


def test_unknown_criterion_fails_before_any_request(sleeps):
    with FakeJudge() as fake, pytest.raises(ValueError, match="unknown judge criterion"):
        _judge(fake, sleeps, criterion="helpfulness")
    assert fake.requests == []
