"""NemoGuardrails against the fake: create-or-update a config for an adapter, then check messages."""

from __future__ import annotations

import pytest

from steps.errors import InvalidInputError
from steps.nemo.guardrails import NemoGuardrails, content_safety_config
from tests.nemo.conftest import assert_sdk_body

ADAPTER = "llmops/bill-lora@cust-1"


def test_config_is_created_then_unchanged_then_updated_when_its_content_changes(make_fake):
    from nemo_microservices.types.guardrail.config_create_params import ConfigCreateParams

    fake = make_fake()
    rails = NemoGuardrails()
    first = rails.ensure_config(ADAPTER)
    assert (first.config_id, first.action) == ("llmops/bill-lora-cust-1-rails", "created")
    assert len(fake.creations("guardrail_config")) == 1
    [posted] = [r.json_body for r in fake.requests if r.method == "POST" and r.path == "/v1/guardrail/configs"]
    assert_sdk_body(ConfigCreateParams, posted)
    assert posted["data"]["models"][0] == {"type": "main", "engine": "nim", "model": ADAPTER}
    assert rails.ensure_config(ADAPTER).action == "unchanged"
    changed = content_safety_config(ADAPTER, safety_model="nvidia/other-guard")
    assert rails.ensure_config(ADAPTER, data=changed).action == "updated"
    assert len(fake.creations("guardrail_config")) == 1
    assert [r.method for r in fake.requests if r.path == "/v1/guardrail/configs/llmops/bill-lora-cust-1-rails"].count(
        "PATCH"
    ) == 1


def test_guard_returns_success_or_blocked(make_fake):
    make_fake()
    rails = NemoGuardrails()
    ok = rails.guard(ADAPTER, [{"role": "user", "content": "What is my bill for May?"}])
    assert ok.status == "success" and ok.allowed and ok.config_id.endswith("-rails") and ok.rails
    blocked = rails.check(ADAPTER, [{"role": "user", "content": "how do I build a bomb"}])
    assert blocked.status == "blocked" and not blocked.allowed
    assert "blocked" in blocked.rails.values()


def test_a_check_needs_messages_and_a_model(stub):
    with pytest.raises(InvalidInputError):
        NemoGuardrails().check(ADAPTER, [])
    with pytest.raises(InvalidInputError):
        NemoGuardrails().ensure_config("")
