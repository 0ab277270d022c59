"""Fixtures of the cluster-client tests: a stub Argo Server on 127.0.0.1, a clean environment, rendered runs."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.cluster.argo_stub import ArgoStub, StubServer  # noqa: E402 -- needs the repository on sys.path

SPEC = REPO / "workflows" / "runs" / "bill-explainer.yaml"
TOKEN = "stub-token"


@pytest.fixture
def stub() -> ArgoStub:
    return ArgoStub(token=TOKEN)


@pytest.fixture
def server(stub: ArgoStub) -> Iterator[StubServer]:
    with StubServer(stub) as running:
        yield running
    assert stub.unexpected == [], f"the client called what the stub does not serve: {stub.unexpected}"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, server: StubServer) -> Path:
    """ARGO_SERVER at the stub with the token it accepts; no kubeconfig, proxies or other Argo settings."""
    for name in (
        "ARGO_TOKEN",
        "ARGO_SECURE",
        "ARGO_BASE_HREF",
        "ARGO_INSECURE_SKIP_VERIFY",
        "KUBECONFIG",
        "LLMOPS_USER",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config, no ~/.netrc
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("ARGO_SERVER", server.url)
    monkeypatch.setenv("ARGO_TOKEN", TOKEN)
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "workspace"))
    return tmp_path


@pytest.fixture(scope="session")
def _rendered() -> dict:
    from workflows import render, runspec

    return render.run_workflow(runspec.load(SPEC))


@pytest.fixture
def rendered(_rendered: dict) -> dict:
    """The Workflow `make render` writes for the bill-explainer spec (a fresh copy)."""
    return copy.deepcopy(_rendered)


def node(workflow: str, suffix: str, display: str, type_: str, phase: str, **extra: object) -> dict:
    """A node as the controller writes it in `status.nodes` (ID = workflow name + a numeric hash)."""
    node_id = f"{workflow}-{suffix}"
    return {
        "id": node_id,
        "name": f"{workflow}.{display}" if display != workflow else workflow,
        "displayName": display,
        "type": type_,
        "templateScope": f"local/{workflow}",
        "phase": phase,
        "boundaryID": workflow if display != workflow else None,
        "startedAt": "2026-11-30T09:00:05Z",
        "progress": "0/1" if phase == "Running" else "1/1",
        **extra,
    } | ({"finishedAt": "2026-11-30T09:20:00Z"} if phase not in ("Running", "Pending") else {})


def status(workflow: str, phase: str, approval_phase: str | None = "Running") -> dict:
    """`status` of a run at the approval step: the gate passed, `register` ran, `approval` waits (or not)."""
    nodes = [
        node(workflow, "0", workflow, "DAG", phase, templateName="pipeline"),
        node(
            workflow,
            "1180341393",
            "gate",
            "Pod",
            "Succeeded",
            templateRef={"name": "llmops-gate-v0-1", "template": "gate", "clusterScope": True},
            outputs={"parameters": [{"name": "decision", "value": "pass"}]},
        ),
        node(
            workflow,
            "3398221271",
            "register",
            "Pod",
            "Succeeded",
            templateRef={"name": "llmops-serving-v0-1", "template": "register", "clusterScope": True},
        ),
    ]
    if approval_phase:
        nodes.append(
            node(
                workflow,
                "2954311062",
                "approval",
                "Suspend",
                approval_phase,
                templateName="approval",
                inputs={
                    "parameters": [
                        {
                            "name": "approve",
                            "default": "NO",
                            "value": "NO",
                            "enum": ["YES", "NO"],
                            "description": "YES releases the adapter, NO stops the release",
                        }
                    ]
                },
                outputs={"parameters": [{"name": "approve", "valueFrom": {"supplied": {}, "default": "NOT-REQUIRED"}}]},
            )
        )
    return {
        "phase": phase,
        "startedAt": "2026-11-30T09:00:00Z",
        "progress": "9/12",
        "nodes": {n["id"]: {k: v for k, v in n.items() if v is not None} for n in nodes},
    }
