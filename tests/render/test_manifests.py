"""Rendered manifests: committed files are current, they pass the strict CRD schemas, their
cross-references resolve; and the checks themselves catch the mistakes they exist for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workflows import render
from workflows.manifest_checks import metadata_errors, schema_errors
from workflows.pipeline import NAME
from workflows.reference_checks import reference_errors

ROOT = Path(__file__).resolve().parents[2]
RENDERED_FOLDERS = [
    render.TEMPLATES_OUT / "cluster-workflow-templates",
    render.TEMPLATES_OUT / "workflow-templates",
    render.RUNS_OUT,
]
CORE_KINDS = {"Namespace"}  # plain Kubernetes objects in argocd/apps: metadata checks only


def _pipeline(docs: list[dict]) -> dict:
    return next(d for d in docs if d["kind"] == "WorkflowTemplate" and d["metadata"]["name"] == NAME)


def _task(doc: dict, name: str) -> dict:
    dag = next(t for t in doc["spec"]["templates"] if t["name"] == doc["spec"]["entrypoint"])
    return next(t for t in dag["dag"]["tasks"] if t["name"] == name)


def _argocd_docs() -> list[tuple[Path, dict]]:
    out = []
    for path in sorted((ROOT / "argocd").rglob("*.yaml")):
        if "env" in path.relative_to(ROOT / "argocd").parts:
            continue  # Helm values of the llmops chart, not Kubernetes objects (see test_chart.py)
        if "cmp" in path.relative_to(ROOT / "argocd").parts:
            continue  # the plugin's configuration, read by its sidecar: not an object (tests/gitops/test_cmp.py)
        out += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return out


# ---------------------------------------------------------------- (a) committed files are current
def test_committed_rendered_files_are_current(rendered):
    stale = [
        str(rel) for rel, text in rendered.items() if not (ROOT / rel).is_file() or (ROOT / rel).read_text() != text
    ]
    assert not stale, f"rendered manifests are stale or missing: {stale}; run `make render` and commit the result"


def test_no_stray_files_in_rendered_folders(rendered):
    present = {
        p.relative_to(ROOT)
        for folder in RENDERED_FOLDERS
        for pattern in ("*.yaml", "*.yml")
        for p in (ROOT / folder).glob(pattern)
    }
    extra = sorted(str(p) for p in present - set(rendered))
    assert not extra, f"files no source renders: {extra}; run `make render` (it removes them) or delete them"


# ---------------------------------------------------------------- (b) strict CRD schemas
def test_rendered_manifests_pass_strict_crd_schemas(docs, schemas):
    errors = [e for d in docs for e in schema_errors(d, schemas[d["kind"]]) + metadata_errors(d)]
    assert errors == [], "\n".join(errors)


def test_argocd_manifests_pass_strict_crd_schemas(schemas):
    docs = _argocd_docs()
    kinds = {d["kind"] for _, d in docs}
    assert {"Application", "AppProject"} <= kinds
    errors = []
    for path, doc in docs:
        if doc.get("kind") not in schemas and doc.get("kind") not in CORE_KINDS:
            errors.append(f"{path.relative_to(ROOT)}: no schema for kind {doc.get('kind')!r}")
            continue
        errors += metadata_errors(doc) + (schema_errors(doc, schemas[doc["kind"]]) if doc["kind"] in schemas else [])
    assert errors == [], "\n".join(errors)


def test_argocd_applications_fit_their_projects():
    docs = [d for _, d in _argocd_docs()]
    projects = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "AppProject"}
    problems = []
    for app in (d for d in docs if d["kind"] == "Application"):
        name, spec = app["metadata"]["name"], app["spec"]
        project = projects.get(spec["project"])
        if project is None:
            problems.append(f"{name}: project {spec['project']!r} is not in argocd/project.yaml")
            continue
        sources = spec.get("sources") or [spec["source"]]
        problems += [
            f"{name}: repo {s['repoURL']} not in sourceRepos of {spec['project']}"
            for s in sources
            if s["repoURL"] not in project["sourceRepos"]
        ]
        dest = spec["destination"]
        if not any(
            d.get("server") == dest.get("server") and d.get("namespace") in (dest["namespace"], "*")
            for d in project["destinations"]
        ):
            problems.append(f"{name}: destination {dest} not allowed by project {spec['project']}")
        for source in sources:
            if "path" in source and not (ROOT / source["path"]).is_dir():
                problems.append(f"{name}: path {source['path']} does not exist")
            for values in (source.get("helm") or {}).get("valueFiles", []):
                file = (
                    (ROOT / values.replace("$values/", ""))
                    if values.startswith("$values/")
                    else (ROOT / source["path"] / values)
                )
                if not file.resolve().is_file():
                    problems.append(f"{name}: values file {values} does not exist")
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------- (c) cross-references
def test_cross_references_resolve(docs):
    errors = reference_errors(docs)
    assert errors == [], "\n".join(errors)


# ---------------------------------------------------------------- (d) the checks catch mistakes
def test_strict_schema_catches_a_typo(pipeline, schemas):
    approval = next(t for t in pipeline["spec"]["templates"] if t["name"] == "approval")
    approval["suspendd"] = approval.pop("suspend")
    errors = schema_errors(pipeline, schemas["WorkflowTemplate"])
    assert any(
        "'suspendd' was unexpected" in e and e.startswith(f"WorkflowTemplate/{NAME}: $.spec.templates[") for e in errors
    ), errors


def test_strict_schema_catches_a_nested_typo_and_a_wrong_type(docs, schemas):
    cwt = next(d for d in docs if d["kind"] == "ClusterWorkflowTemplate")
    cwt["spec"]["templates"][0]["script"]["env"][0]["valueFrom"]["configMapKeyRef"]["nam"] = "x"
    cwt["spec"]["templates"][0]["activeDeadlineSeconds"] = 1.5
    errors = schema_errors(cwt, schemas["ClusterWorkflowTemplate"])
    assert any("'nam' was unexpected" in e for e in errors) and any("activeDeadlineSeconds" in e for e in errors)


def test_metadata_errors_catch_bad_names_and_labels(pipeline):
    pipeline["metadata"]["name"] = "Pipeline_" + "x" * 60
    pipeline["metadata"]["labels"]["llmops/version"] = 1
    errors = metadata_errors(pipeline)
    assert any("DNS-1123" in e and "63" in e for e in errors) and any("must be a string" in e for e in errors)


def test_template_ref_to_a_missing_template_is_caught(docs):
    _task(_pipeline(docs), "gate")["templateRef"]["template"] = "gates"
    errors = reference_errors(docs)
    assert any("task gate" in e and "has no template 'gates'" in e for e in errors), errors


def test_template_ref_to_a_missing_cluster_workflow_template_is_caught(docs):
    _task(_pipeline(docs), "gate")["templateRef"]["name"] = "llmops-gate-v9-9"
    assert any("'llmops-gate-v9-9' does not exist" in e for e in reference_errors(docs))


def test_undeclared_argument_is_caught(docs):
    _task(_pipeline(docs), "deploy-base")["arguments"]["parameters"].append({"name": "gpus", "value": "1"})
    errors = reference_errors(docs)
    assert any("task deploy-base" in e and "argument 'gpus' is not a declared input" in e for e in errors), errors


def test_missing_required_input_is_caught(docs):
    args = _task(_pipeline(docs), "deploy-base")["arguments"]["parameters"]
    args[:] = [a for a in args if a["name"] != "base_model"]
    errors = reference_errors(docs)
    assert any("task deploy-base" in e and "required input 'base_model'" in e for e in errors), errors


def test_enum_violation_is_caught(docs):
    args = _task(_pipeline(docs), "prepare-data")["arguments"]["parameters"]
    next(a for a in args if a["name"] == "dataset_format")["value"] = "bill-xml"
    assert any("dataset_format='bill-xml' is not one of" in e for e in reference_errors(docs))


def test_undeclared_workflow_parameter_is_caught(docs):
    pipeline = _pipeline(docs)
    pipeline["spec"]["arguments"]["parameters"] = [
        p for p in pipeline["spec"]["arguments"]["parameters"] if p["name"] != "lora_rank"
    ]
    errors = reference_errors(docs)
    assert any("task customize" in e and "{{workflow.parameters.lora_rank}} is not declared" in e for e in errors)


def test_unknown_task_output_is_caught(docs):
    args = _task(_pipeline(docs), "rollout")["arguments"]["parameters"]
    next(a for a in args if a["name"] == "gate_decision")["value"] = "{{tasks.gate.outputs.parameters.verdict}}"
    errors = reference_errors(docs)
    assert any("task rollout" in e and "no output parameter 'verdict'" in e for e in errors), errors


def test_output_of_a_task_not_depended_on_is_caught(docs):
    _task(_pipeline(docs), "customize")["depends"] = "open-run"
    errors = reference_errors(docs)
    assert any("task customize" in e and "without depending on it" in e for e in errors), errors


def test_unknown_dependency_and_entrypoint_are_caught(docs):
    pipeline = _pipeline(docs)
    _task(pipeline, "gate")["depends"] += " && benchmark-basee"
    pipeline["spec"]["onExit"] = "exit"
    errors = reference_errors(docs)
    assert any("depends on 'benchmark-basee'" in e for e in errors)
    assert any("spec.onExit 'exit' names no template" in e for e in errors)


def test_run_with_undeclared_parameter_or_unknown_template_is_caught(docs):
    run = next(d for d in docs if d["kind"] == "Workflow")
    run["spec"]["arguments"]["parameters"].append({"name": "lora_rnak", "value": "4"})
    assert any(
        e.startswith(f"Workflow/{run['metadata']['name']}") and "'lora_rnak' is not a declared parameter" in e
        for e in reference_errors(docs)
    )
    run["spec"]["workflowTemplateRef"]["name"] = "llmops-lora-pipeline-v2"
    assert any(
        "workflowTemplateRef WorkflowTemplate 'llmops-lora-pipeline-v2' does not exist" in e
        for e in reference_errors(docs)
    )


@pytest.mark.parametrize("kind", ["Application", "AppProject"])
def test_strict_schema_catches_argocd_typos(schemas, kind):
    doc = next(d for _, d in _argocd_docs() if d["kind"] == kind)
    doc["spec"]["syncPolicyy" if kind == "Application" else "sourceRepo"] = []
    assert any("was unexpected" in e for e in schema_errors(doc, schemas[kind]))
