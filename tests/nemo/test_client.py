"""Settings, the retry helper, error translation, log redaction and the platform switch of the ports."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import httpx
import pytest

from steps import platforms
from steps.errors import NotFoundError, PlatformNotAvailableError, StepFailedError
from steps.nemo import settings
from steps.nemo.client import (
    backoff,
    call_idempotent,
    get_logger,
    install_log_redaction,
    is_transient,
    iterate_pages,
    nemo_client,
    platform_error,
    retry_after,
)
from tests.nemo.conftest import HF_SECRET, NGC_SECRET, assert_no_secrets


def status_error(code: int, headers: dict | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "http://nemo.test/x")
    response = httpx.Response(code, headers=headers or {}, request=request)
    return httpx.HTTPStatusError(f"HTTP {code}", request=request, response=response)


@pytest.mark.parametrize(
    "var, getter", [("NEMO_URL", settings.nemo_url), ("NDS_URL", settings.nds_url), ("NIM_URL", settings.nim_url)]
)
def test_a_missing_endpoint_names_its_variable(nemo_env, monkeypatch, var, getter):
    monkeypatch.delenv(var, raising=False)
    with pytest.raises(PlatformNotAvailableError, match=var):
        getter()
    monkeypatch.setenv(var, "nemo.test")
    with pytest.raises(PlatformNotAvailableError, match="not an http"):
        getter()
    monkeypatch.setenv(var, "http://nemo.test/")
    assert getter() == "http://nemo.test"


def test_the_nemo_ports_need_their_endpoints(nemo_env, monkeypatch):
    for var in ("NEMO_URL", "NDS_URL", "NIM_URL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(PlatformNotAvailableError, match="NEMO_URL"):
        _ = platforms.build().customizer
    monkeypatch.setenv("NEMO_URL", "http://nemo.test")
    with pytest.raises(PlatformNotAvailableError, match="NDS_URL"):
        _ = platforms.build().datastore
    with pytest.raises(PlatformNotAvailableError, match="NIM_URL"):
        platforms.build().inference.chat_model("meta/llama-3.2-1b-instruct")


def test_the_platform_switch_picks_the_nemo_classes(stub):
    from steps.nemo.customizer import NemoCustomizer
    from steps.nemo.datastore import NemoDatastore
    from steps.nemo.deployer import NemoDeployer
    from steps.nemo.evaluator import NemoEvaluator

    platform = platforms.build()
    assert platform.name == "nemo"
    assert isinstance(platform.datastore, NemoDatastore)
    assert isinstance(platform.deployer, NemoDeployer)
    assert isinstance(platform.customizer, NemoCustomizer)
    assert isinstance(platform.evaluator, NemoEvaluator)
    assert platform.customizer._datastore is platform.datastore  # wired once, injected


def test_the_local_platform_is_unchanged(monkeypatch, tmp_path):
    from steps.local.datastore import LocalDatastore

    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path))
    assert isinstance(platforms.build().datastore, LocalDatastore)


def test_the_sdk_client_never_retries_by_itself(stub):
    client = nemo_client()
    assert client.max_retries == 0
    assert str(client.base_url).rstrip("/") == stub.url


def test_idempotent_calls_retry_transient_failures_honouring_retry_after(nemo_env, monkeypatch):
    monkeypatch.setenv("LLMOPS_NEMO_TIME_SCALE", "1")
    answers = [status_error(503), status_error(429, {"Retry-After": "2"}), httpx.ConnectError("reset"), "ok"]
    slept = []

    def flaky():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert call_idempotent(flaky, what="get x", sleep=slept.append) == "ok"
    assert len(slept) == 3 and slept[1] == 2.0 and all(0 < s <= 8 for s in slept)


def test_client_errors_are_not_retried_and_retries_are_bounded(nemo_env):
    calls = []

    def bad_request():
        calls.append(1)
        raise status_error(400)

    with pytest.raises(httpx.HTTPStatusError):
        call_idempotent(bad_request, what="x", sleep=lambda s: None)
    assert len(calls) == 1

    def always_down():
        calls.append(1)
        raise status_error(502)

    with pytest.raises(httpx.HTTPStatusError):
        call_idempotent(always_down, what="x", attempts=3, sleep=lambda s: None)
    assert len(calls) == 4


def test_transient_classification_and_retry_after_forms(nemo_env):
    assert all(is_transient(status_error(c)) for c in (408, 429, 500, 502, 503, 504))
    assert not any(is_transient(status_error(c)) for c in (400, 401, 404, 409, 422))
    assert is_transient(httpx.ReadTimeout("t")) and is_transient(ConnectionResetError())
    assert retry_after(status_error(429, {"retry-after-ms": "1500"})) == 1.5
    assert retry_after(status_error(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(status_error(503)) is None
    assert backoff(1, status_error(429, {"Retry-After": "3600"})) <= 60 * settings.time_scale()


def test_platform_errors_say_what_failed_without_secrets(nemo_env):
    request = httpx.Request("POST", "http://nemo.test/x")
    leaky = httpx.HTTPStatusError(
        f"bad token {HF_SECRET}", request=request, response=httpx.Response(404, request=request)
    )
    error = platform_error(leaky, f"create thing with {NGC_SECRET}")
    assert isinstance(error, NotFoundError) and "create thing" in str(error)
    assert_no_secrets(str(error))
    assert isinstance(platform_error(status_error(500), "x"), StepFailedError)


def test_logs_of_the_sdk_and_ours_are_redacted(nemo_env, caplog):
    install_log_redaction()
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("nemo_microservices._base_client").debug("Request options: %s", {"hf_token": HF_SECRET})
        get_logger("steps.nemo.test").warning("key %s", NGC_SECRET)
    assert "***" in caplog.text
    assert_no_secrets(caplog.text)


def test_pages_are_read_until_the_last_one(nemo_env):
    pages = {1: ["a", "b"], 2: ["c"]}

    def list_page(page, page_size, **params):
        return SimpleNamespace(data=pages.get(page, []), pagination=SimpleNamespace(total_pages=2))

    assert list(iterate_pages(list_page, what="list")) == ["a", "b", "c"]
