"""The drift trigger's manifests: the `llmops-drift-check` WorkflowTemplate (check, then submit-run only when
drifted, as the least-privileged ServiceAccount) and each flywheel's `<name>-drift` CronWorkflow, whose
`pipeline_workflow` argument is the run spec's Workflow with trigger drift. They pass the strict CRD schemas
and lint, and lint catches a broken pipeline reference, a wrong trigger and a non-Strict field in the Workflow
the check would create; the chart grants the submitter exactly what it needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.render import helm_chart
from workflows import drift_template, flywheel_spec, render
from workflows.flywheel_render import DRIFT_ARGUMENTS
from workflows.manifest_checks import metadata_errors, schema_errors
from workflows.pipeline import NAME as PIPELINE
from workflows.pipeline import NAMESPACE
from workflows.reference_checks import reference_errors
from workflows.security_checks import reference_mode_errors
from workflows.trigger_checks import trigger_errors

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "workflows" / "flywheels" / "bill-explainer.yaml"


def _named(docs: list[dict], kind: str, name: str) -> dict:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


def _args(holder: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in holder["arguments"]["parameters"]}


def _run(docs: list[dict]) -> dict:
    runs = [d for d in docs if d["kind"] == "Workflow"]
    return next(d for d in runs if d["metadata"]["labels"]["llmops/run-spec"] == "bill-explainer")


def _cron(docs: list[dict]) -> dict:
    return _named(docs, "CronWorkflow", "bill-explainer-drift")


def _created(cron: dict) -> dict:
    return json.loads(_args(cron["spec"]["workflowSpec"])["pipeline_workflow"])


def _set_created(cron: dict, workflow: dict) -> None:
    for parameter in cron["spec"]["workflowSpec"]["arguments"]["parameters"]:
        if parameter["name"] == "pipeline_workflow":
            parameter["value"] = json.dumps(workflow)


def test_the_drift_cron_workflow_runs_the_check_with_the_run_specs_evaluation_and_the_policy(docs):
    flywheel, _ = flywheel_spec.load(EXAMPLE, render.RUNS_DIR, ROOT)
    cron, run = _cron(docs), _run(docs)
    assert flywheel.drift is not None
    assert cron["spec"]["schedules"] == ["0 */6 * * *"] and cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["workflowSpec"]["workflowTemplateRef"] == {"name": drift_template.NAME}
    args, run_args = _args(cron["spec"]["workflowSpec"]), _args(run["spec"])
    assert args["flywheel"] == "bill-explainer" and args["platform"] == ""  # the run leaves platform to the default
    assert {name: args[name] for name in DRIFT_ARGUMENTS if name != "platform"} == {
        name: run_args[name] for name in DRIFT_ARGUMENTS if name != "platform"
    }
    assert json.loads(args["drift_policy"]) == flywheel.drift.policy().model_dump(mode="json")
    assert cron["spec"]["workflowMetadata"]["labels"]["llmops/check"] == "drift"


def test_the_workflow_a_drift_creates_is_the_run_specs_with_trigger_drift(docs):
    created, run = _created(_cron(docs)), _run(docs)
    assert created["kind"] == "Workflow" and created["metadata"]["generateName"] == "bill-explainer-drift-"
    assert created["metadata"]["namespace"] == NAMESPACE and "name" not in created["metadata"]
    assert created["spec"]["workflowTemplateRef"] == {"name": PIPELINE}
    assert set(created["spec"]) == {"arguments", "workflowTemplateRef"}
    assert _args(created["spec"]) == _args(run["spec"]) | {"trigger": "drift"}
    labels = created["metadata"]["labels"]
    assert labels == run["metadata"]["labels"] | {"llmops/flywheel": "bill-explainer", "llmops/trigger": "drift"}


def test_the_template_submits_only_when_drifted_as_the_submitter(docs):
    template = _named(docs, "WorkflowTemplate", drift_template.NAME)
    by_name = {t["name"]: t for t in template["spec"]["templates"]}
    tasks = {t["name"]: t for t in by_name["drift-check"]["dag"]["tasks"]}
    assert tasks["check"]["templateRef"] == {
        "name": "llmops-evaluation-v0-1",
        "template": "drift-check",
        "clusterScope": True,
    }
    assert tasks["submit-run"]["when"] == "{{tasks.check.outputs.parameters.drifted}} == true"
    submit = by_name["submit-run"]
    assert submit["resource"] == {
        "action": "create",
        "manifest": "{{inputs.parameters.manifest}}",
        "setOwnerReference": False,
    }
    assert submit["serviceAccountName"] == drift_template.SUBMITTER != template["spec"]["serviceAccountName"]


def test_the_drift_manifests_pass_the_strict_schemas_and_lint(docs, schemas):
    cron, template = _cron(docs), _named(docs, "WorkflowTemplate", drift_template.NAME)
    errors = schema_errors(cron, schemas["CronWorkflow"]) + schema_errors(template, schemas["WorkflowTemplate"])
    created = {**_created(cron), "metadata": {**_created(cron)["metadata"], "name": "bill-explainer-drift-x"}}
    errors += schema_errors(created, schemas["Workflow"]) + metadata_errors(cron)
    errors += reference_mode_errors(cron) + trigger_errors(cron)
    assert errors == [] and reference_errors(docs) == [], errors


def test_lint_catches_a_broken_workflow_inside_the_drift_check(docs):
    cron = _cron(docs)
    created = _created(cron)
    created["spec"]["workflowTemplateRef"]["name"] = "llmops-lora-pipelin"
    next(p for p in created["spec"]["arguments"]["parameters"] if p["name"] == "trigger")["value"] = "schedule"
    created["spec"]["serviceAccountName"] = "default"
    _set_created(cron, created)
    where = "CronWorkflow/bill-explainer-drift: spec.workflowSpec.arguments.pipeline_workflow"
    errors = reference_errors(docs)
    assert any(e.startswith(where) and "'llmops-lora-pipelin' does not exist" in e for e in errors), errors
    assert any("trigger is 'schedule'" in e for e in trigger_errors(cron))
    assert any(e.startswith(where) and "serviceAccountName: not allowed" in e for e in reference_mode_errors(cron))
    cron["spec"]["workflowSpec"]["arguments"]["parameters"].append({"name": "gpus", "value": "1"})
    assert any("'gpus' is not a declared parameter" in e for e in reference_errors(docs))
    _set_created(cron, {"kind": "Workflow"})
    problems = trigger_errors(cron)
    assert any("no name or generateName" in e for e in problems) and any(
        "workflowTemplateRef: missing" in e for e in problems
    )
    for parameter in cron["spec"]["workflowSpec"]["arguments"]["parameters"]:
        if parameter["name"] == "pipeline_workflow":
            parameter["value"] = "{not json"
    assert any("not JSON" in e for e in trigger_errors(cron))


@pytest.mark.parametrize("enabled", [True, False])
def test_the_drift_submitter_may_only_create_runs_and_report_its_step(enabled):
    release = helm_chart.render_values(None, {"drift": {"enabled": enabled}})
    docs = {d["kind"]: d for d in release.objects("drift-rbac.yaml")}
    if not enabled:
        assert docs == {}
        return
    name = release.values["drift"]["serviceAccount"]
    assert docs["ServiceAccount"]["metadata"]["name"] == name == drift_template.SUBMITTER
    assert docs["Role"]["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
        {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]},
    ]
    assert docs["RoleBinding"]["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}]
