"""Shared fixtures of the render tests: the rendered manifests (computed once) and the CRD schemas."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from workflows import manifest_checks, render

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT.parent / "shared" / "schemas"


@pytest.fixture(scope="session")
def rendered() -> dict[Path, str]:
    """Every rendered file (relative path -> text), as `make render` would write it."""
    return render.documents()


@pytest.fixture(scope="session")
def _docs(rendered) -> list[dict]:
    return [yaml.safe_load(text) for text in rendered.values()]


@pytest.fixture
def docs(_docs) -> list[dict]:
    """All rendered documents (ClusterWorkflowTemplates, WorkflowTemplate, run Workflows); a fresh copy."""
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
