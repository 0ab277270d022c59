"""Shared fixtures of the render tests: the rendered manifests and the Helm releases of the chart (each computed
once per session), and the CRD schemas."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.render import helm_chart
from workflows import manifest_checks, render

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT.parent / "shared" / "schemas"


@pytest.fixture(scope="session")
def rendered() -> dict[Path, str]:
    """Every rendered file (relative path -> text), as `make render` would write it."""
    return render.documents()


@pytest.fixture(scope="session")
def _docs(rendered) -> list[dict]:
    return render.objects(rendered.values())


@pytest.fixture
def docs(_docs) -> list[dict]:
    """All rendered documents (ClusterWorkflowTemplates, WorkflowTemplate, run Workflows, the flywheels'
    CronWorkflows and WorkflowEventBindings); a fresh copy."""
    return copy.deepcopy(_docs)


@pytest.fixture
def pipeline(docs) -> dict:
    """The pipeline WorkflowTemplate."""
    from workflows.pipeline import NAME

    return next(d for d in docs if d["kind"] == "WorkflowTemplate" and d["metadata"]["name"] == NAME)


@pytest.fixture(scope="session")
def schemas() -> dict[str, dict]:
    """Strict CRD schemas by kind; the tests that need them skip where the schema folder is absent."""
    if not (SCHEMA_DIR / "index.json").is_file():
        pytest.skip(f"CRD schemas not found at {SCHEMA_DIR}")
    return manifest_checks.load_schemas(SCHEMA_DIR)


@pytest.fixture(scope="session", params=helm_chart.VALUE_SETS, ids=lambda env: env or "defaults")
def release(request) -> helm_chart.Release:
    """charts/llmops rendered by Helm with the chart's defaults and with each argocd/env/*/values.yaml."""
    return helm_chart.render(request.param)
