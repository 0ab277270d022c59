"""Rendered manifests: committed files are current, they pass the strict CRD schemas, their
cross-references resolve; and the checks themselves catch the mistakes they exist for."""

from __future__ import annotations

from pathlib import Path

from tests.render.repo_manifests import argocd_documents
from tests.render.strict_validation import core_errors, is_custom
from workflows import render
from workflows.manifest_checks import metadata_errors, schema_errors
from workflows.pipeline import NAME
from workflows.reference_checks import reference_errors

ROOT = Path(__file__).resolve().parents[2]
RENDERED_FOLDERS = [
    render.TEMPLATES_OUT / "cluster-workflow-templates",
    render.TEMPLATES_OUT / "workflow-templates",
    render.RUNS_OUT,
    render.FLYWHEELS_OUT,
]


def _pipeline(docs: list[dict]) -> dict:
    return next(d for d in docs if d["kind"] == "WorkflowTemplate" and d["metadata"]["name"] == NAME)


def _task(doc: dict, name: str, dag_name: str | None = None) -> dict:
    dag = next(t for t in doc["spec"]["templates"] if t["name"] == (dag_name or doc["spec"]["entrypoint"]))
    return next(t for t in dag["dag"]["tasks"] if t["name"] == name)


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


def test_argocd_core_objects_pass_kubernetes_schemas():
    """Without ../shared too: the core objects need no CRD schema."""
    docs = [(path, doc) for path, doc in argocd_documents() if not is_custom(doc)]
    assert docs, "argocd/ has no core objects (the llmops Namespace)"
    errors = [f"{path.relative_to(ROOT)}: {e}" for path, doc in docs for e in core_errors(doc)]
    assert errors == [], "\n".join(errors)


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
    _task(_pipeline(docs), "deploy-base", "base-model")["arguments"]["parameters"].append(
        {"name": "gpus", "value": "1"}
    )
    errors = reference_errors(docs)
    assert any("task deploy-base" in e and "argument 'gpus' is not a declared input" in e for e in errors), errors


def test_missing_required_input_is_caught(docs):
    args = _task(_pipeline(docs), "deploy-base", "base-model")["arguments"]["parameters"]
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
    assert any("task open-run" in e and "{{workflow.parameters.lora_rank}} is not declared" in e for e in errors)


def test_unknown_task_output_is_caught(docs):
    args = _task(_pipeline(docs), "rollout")["arguments"]["parameters"]
    next(a for a in args if a["name"] == "gate_decision")["value"] = "{{tasks.gate.outputs.parameters.verdict}}"
    errors = reference_errors(docs)
    assert any("task rollout" in e and "no output parameter 'verdict'" in e for e in errors), errors


def test_output_of_a_task_not_depended_on_is_caught(docs):
    _task(_pipeline(docs), "wait-for-adapter", "candidate")["depends"] = "deploy-base"
    errors = reference_errors(docs)
    assert any("task wait-for-adapter" in e and "without depending on it" in e for e in errors), errors


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
