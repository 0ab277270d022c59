"""The services fixture itself: the real NeMo Platform answers, and the backend's client reaches it."""

from __future__ import annotations

import pytest

from steps.errors import PlatformNotAvailableError
from steps.nmp import settings
from steps.nmp.client import ensure_workspace, platform_client


def test_the_services_are_healthy_with_their_job_controllers(nmp_services):
    status = nmp_services.status()
    assert status["status"] == "healthy"
    assert {"entities", "files", "jobs", "evaluator", "guardrails", "inference-gateway"} <= set(
        status["services"]["ready"]
    )
    assert status["controllers"]["healthy"]


def test_the_workspace_is_created_once(nmp_env):
    client = platform_client()
    assert ensure_workspace(client) is True
    assert ensure_workspace(client) is False
    names = [w.name for w in client.workspaces.list().data]
    assert settings.workspace() in names


@pytest.mark.parametrize(
    "var, value, message",
    [
        ("NMP_URL", "", "NMP_URL is not set"),
        ("NMP_URL", "nemo-platform.test", "not an http"),
        ("NMP_WORKSPACE", "Bad_Name", "not a workspace name"),
    ],
)
def test_settings_refuse_what_cannot_work(monkeypatch, var, value, message):
    monkeypatch.setenv("NMP_URL", "http://nemo-platform.test")
    monkeypatch.setenv(var, value)
    with pytest.raises(PlatformNotAvailableError, match=message):
        settings.base_url()
        settings.workspace()


def test_the_run_records_the_sdk_and_server_versions(nmp_env):
    from importlib.metadata import version

    from steps import platforms

    tags = platforms.build("nemo-platform").version_tags()
    assert tags["llmops.nemo_platform.sdk"] == version("nemo-platform") == "0.3.0"
    assert tags["llmops.nemo_platform.server"] not in ("", "unknown")


def test_an_unreachable_platform_has_an_unknown_version(monkeypatch):
    from steps.nmp.client import server_version

    monkeypatch.setenv("NMP_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LLMOPS_NMP_TIME_SCALE", "0.01")
    assert server_version(timeout=1.0) == "unknown"
