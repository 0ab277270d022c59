"""Render every manifest: ClusterWorkflowTemplates, the WorkflowTemplates (pipeline, drift check), one Workflow
per run spec, and per flywheel spec its CronWorkflows and WorkflowEventBinding (`workflows.flywheel_render`).

`make render` writes them into the repository (the rendered-manifests pattern); a test fails when the
committed files are stale. The run Workflows can instead be rendered inside Argo CD: its Config Management
Plugin (argocd/cmp/plugin.yaml) runs `llmops render --runs-only --stdout --runs-dir .` in the run-spec
folder and gets the same documents as one YAML stream (docs/gitops.md).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Iterable
from pathlib import Path

import yaml
from hera.workflows import Workflow
from hera.workflows import models as m

from steps.errors import InvalidInputError
from workflows import flywheel_render, flywheel_spec, parameters, runspec

ROOT = Path(__file__).resolve().parent.parent
RUNS_DIR = ROOT / "workflows" / "runs"
TEMPLATES_OUT = Path("charts/llmops/files")
RUNS_OUT = Path("manifests/runs")
FLYWHEELS_DIR = ROOT / "workflows" / "flywheels"
FLYWHEELS_OUT = Path("manifests/flywheels")
COMPONENT_MODULES = ["tracking", "data", "serving", "customize", "evaluation", "gate"]
HEADER = "# Rendered by `make render` from Python sources; do not edit by hand.\n"


def templates() -> list[dict]:
    """ClusterWorkflowTemplates followed by the WorkflowTemplates (the pipeline, the drift check), as dicts."""
    docs = [importlib.import_module(f"components.{name}").cwt.to_dict() for name in COMPONENT_MODULES]
    from workflows.drift_template import wt as drift
    from workflows.pipeline import wt

    return [*docs, wt.to_dict(), drift.to_dict()]


def run_workflow(spec: runspec.RunSpec, git_commit: str = "") -> dict:
    """The Workflow that runs a spec: a fixed, hash-derived name and a workflowTemplateRef."""
    from workflows.pipeline import NAME, NAMESPACE

    args = parameters.arguments(spec) | ({"git_commit": git_commit} if git_commit else {})
    wf = Workflow(
        name=spec.workflow_name(),
        namespace=NAMESPACE,
        labels={
            "app.kubernetes.io/part-of": "llmops",
            "llmops/run-spec": spec.name,
            "llmops/spec-hash": spec.spec_hash()[:8],
        },
        # A finished run is history: Argo CD must never prune or re-create it.
        annotations={"argocd.argoproj.io/sync-options": "Prune=false,Delete=false"},
        workflow_template_ref=m.WorkflowTemplateRef(name=NAME),
        arguments=args,
    )
    return wf.to_dict()


def dump(doc: dict) -> str:
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=120)


def dump_all(docs: list[dict]) -> str:
    """Several documents as one file (a YAML stream)."""
    return HEADER + yaml.safe_dump_all(docs, sort_keys=False, width=120)


def objects(texts: Iterable[str]) -> list[dict]:
    """The documents of rendered files (a flywheel's file holds two)."""
    return [doc for text in texts for doc in yaml.safe_load_all(text) if doc]


def run_documents(runs_dir: Path = RUNS_DIR) -> dict[Path, str]:
    """The Workflow of every run spec in `runs_dir` (its `*.yaml` files), by the file `make render` writes."""
    out: dict[Path, str] = {}
    sources: dict[Path, Path] = {}
    for path in sorted(runs_dir.glob("*.yaml")):
        spec = runspec.load(path)
        rel = RUNS_OUT / f"{spec.name}.yaml"
        if rel in sources:
            raise InvalidInputError(
                f"{sources[rel]} and {path} both name the run spec {spec.name!r}; a run spec's name must be unique "
                "(it names the run's Workflow): rename one of them"
            )
        sources[rel] = path
        out[rel] = dump(run_workflow(spec))
    return out


def flywheel_documents(flywheels_dir: Path = FLYWHEELS_DIR, runs_dir: Path = RUNS_DIR) -> dict[Path, str]:
    """The CronWorkflows and WorkflowEventBinding of every flywheel spec in `flywheels_dir`, one file each."""
    out: dict[Path, str] = {}
    sources: dict[Path, Path] = {}
    for path in sorted(flywheels_dir.glob("*.yaml")):
        flywheel, spec = flywheel_spec.load(path, runs_dir, ROOT)
        rel = FLYWHEELS_OUT / f"{flywheel.name}.yaml"
        if rel in sources:
            raise InvalidInputError(
                f"{sources[rel]} and {path} both name the flywheel {flywheel.name!r}; a flywheel's name must be "
                "unique (it names its CronWorkflow and event binding): rename one of them"
            )
        sources[rel] = path
        out[rel] = dump_all(flywheel_render.manifests(flywheel, spec, run_workflow(spec)))
    return out


def documents(runs_dir: Path = RUNS_DIR) -> dict[Path, str]:
    """Every rendered file, relative to the repository root."""
    out: dict[Path, str] = {}
    for doc in templates():
        folder = "cluster-workflow-templates" if doc["kind"] == "ClusterWorkflowTemplate" else "workflow-templates"
        out[TEMPLATES_OUT / folder / f"{doc['metadata']['name']}.yaml"] = dump(doc)
    return out | run_documents(runs_dir) | flywheel_documents()


def stream(texts: Iterable[str]) -> str:
    """Rendered documents as one YAML stream (what the Argo CD plugin prints): each file's text as it is."""
    return "---\n".join(texts)


def write(root: Path = ROOT) -> list[Path]:
    docs = documents()
    for folder in {
        TEMPLATES_OUT / "cluster-workflow-templates",
        TEMPLATES_OUT / "workflow-templates",
        RUNS_OUT,
        FLYWHEELS_OUT,
    }:
        for stale in (root / folder).glob("*.yaml"):
            if stale.relative_to(root) not in docs:
                stale.unlink()
    for rel, text in docs.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return sorted(docs)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    for rel in write():
        print(rel)


if __name__ == "__main__":
    main()
