"""The fake's own tests talk to it with huggingface_hub even when `make test` sets HF_HUB_OFFLINE:
offline mode guards huggingface.co, and the fake listens on 127.0.0.1 only."""

import pytest


@pytest.fixture(autouse=True)
def hub_reaches_loopback(monkeypatch):
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)
