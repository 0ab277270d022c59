"""The real NeMo Platform services for the nemo-platform backend's tests (one daemon per test worker).

Skipped when the services are not installed (a plain `pytest` in a user's clone); `make test` installs them
and sets LLMOPS_REQUIRE_NMP_SERVICES=1, which turns the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.nmp import services
from tests.nmp.fake_nmp import fake  # noqa: F401 - the schema-checked fake of customization and deployments

BASE_MODEL = "llmops/tiny-llama"  # the local platform's base model (steps/local/weights)


@pytest.fixture(scope="session")
def nmp_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Services]:
    if not services.installed():
        message = (
            f"NeMo Platform services are not installed in {services.services_venv()}; "
            "`make test` installs them (requirements-nemo-platform-services.lock)"
        )
        if os.environ.get("LLMOPS_REQUIRE_NMP_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    running = services.start(tmp_path_factory.mktemp("nmp-services"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def nmp_env(nmp_services: services.Services, monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """The backend pointed at the running services, in a workspace of its own per test."""
    monkeypatch.setenv("LLMOPS_PLATFORM", "nemo-platform")
    monkeypatch.setenv("NMP_URL", nmp_services.base_url)
    monkeypatch.setenv("NMP_WORKSPACE", f"t-{abs(hash(str(tmp_path))) % 10**10}")
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "workspace"))
    for var in ("NMP_API_KEY", "NGC_API_KEY", "HF_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return nmp_services.base_url


@pytest.fixture(scope="session")
def local_model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The project's tiny model (its committed weights) behind the OpenAI-compatible server, on 127.0.0.1."""
    from steps.local.base_model import ensure_base_model
    from steps.local.chat_model import LocalChatModel
    from steps.local.openai_server import OpenAIServer

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_WORKSPACE", str(tmp_path_factory.mktemp("model-workspace")))
        mp.setenv("LLMOPS_THREADS", os.environ.get("LLMOPS_THREADS", "1"))
        model = LocalChatModel(ensure_base_model(BASE_MODEL), model_id=BASE_MODEL)
    server = OpenAIServer({BASE_MODEL: model}).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def routed_model(nmp_env: str, local_model_server: Any) -> str:
    """The tiny model routed by the Inference Gateway in this test's workspace; its gateway model name."""
    from steps.nmp.client import ensure_workspace, platform_client
    from steps.nmp.gateway import model_entity_name, register_endpoint, wait_for_model

    client = platform_client()
    ensure_workspace(client)
    model = register_endpoint(client, model_entity_name(BASE_MODEL), local_model_server.url, BASE_MODEL)
    wait_for_model(client, model)
    return model
