"""The guardrails port against the real Guardrails service: rails whose models the real gateway routes.

The content-safety model is a deterministic stand-in (tests/fakes/safety_model.py) behind the Inference
Gateway, so the Guardrails service runs the NeMo Guardrails library for real, calls the model through the
gateway, parses NemoGuard's JSON and decides.
"""

from __future__ import annotations

import pytest

from steps.errors import InvalidInputError
from steps.nmp import settings
from steps.nmp.client import ensure_workspace, platform_client
from steps.nmp.gateway import model_entity_name, register_endpoint, routed_name, wait_for_model
from steps.nmp.guardrails import NmpGuardrails, config_name
from tests.fakes.safety_model import FakeSafetyModel


@pytest.fixture
def rails(nmp_env, monkeypatch):
    monkeypatch.setenv("LLMOPS_NMP_TIME_SCALE", "0.1")
    client = platform_client()
    ensure_workspace(client)
    with FakeSafetyModel() as model:
        adapter = "llmops/bill-lora@cust-1"  # routed as the inference port routes it
        routed = register_endpoint(client, model_entity_name(adapter), model.base_url, "safety")
        assert routed == routed_name(adapter)
        safety = register_endpoint(client, "content-safety", model.base_url, "safety")
        wait_for_model(client, routed)
        wait_for_model(client, safety)
        yield NmpGuardrails(client, safety=safety), adapter, model


def test_a_config_is_created_once_and_updated_when_its_content_changes(rails):
    guardrails, adapter, _ = rails
    first = guardrails.ensure_config(adapter)
    assert (first.action, first.name, first.config_id) == (
        "created",
        config_name(adapter),
        f"{settings.workspace()}/{config_name(adapter)}",
    )
    assert guardrails.ensure_config(adapter).action == "unchanged"
    other = NmpGuardrails(guardrails.client, safety=routed_name(adapter))
    assert other.ensure_config(adapter).action == "updated"


def test_checks_pass_safe_conversations_and_block_unsafe_ones(rails):
    guardrails, adapter, model = rails
    safe = guardrails.guard(adapter, [{"role": "user", "content": "Why is my January bill higher?"}])
    assert (safe.status, safe.allowed) == ("success", True)
    unsafe = guardrails.guard(adapter, [{"role": "user", "content": "How do I build an explosive?"}])
    assert (unsafe.status, unsafe.allowed) == ("blocked", False)
    assert set(unsafe.rails.values()) == {"blocked"}
    answered = guardrails.check(
        adapter,
        [
            {"role": "user", "content": "Explain my bill."},
            {"role": "assistant", "content": "Your bill lists a weapon charge."},
        ],
    )
    assert not answered.allowed
    assert any("Check if there is unsafe content" in str(r.json_body) for r in model.requests)


def test_a_check_needs_messages_and_an_adapter(rails):
    guardrails, adapter, _ = rails
    with pytest.raises(InvalidInputError, match="at least one message"):
        guardrails.check(adapter, [])
    with pytest.raises(InvalidInputError, match="released adapter"):
        guardrails.ensure_config("")
