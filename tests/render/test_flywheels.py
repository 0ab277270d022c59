"""The flywheels' manifests (manifests/flywheels): a CronWorkflow and a WorkflowEventBinding per flywheel spec that
submit the pipeline template with the run spec's arguments and the trigger; they pass the strict CRD schemas,
reference the template correctly and obey Strict referencing; and the lint checks catch the mistakes they exist
for (a broken reference, an unknown field, a non-Strict field, a value Argo would refuse)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows import flywheel_spec, render
from workflows.argo.events import literal_value
from workflows.manifest_checks import metadata_errors, schema_errors
from workflows.pipeline import NAME
from workflows.reference_checks import reference_errors
from workflows.security_checks import reference_mode_errors
from workflows.trigger_checks import trigger_errors

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "workflows" / "flywheels" / "bill-explainer.yaml"
EVENT = {"source": "file:///var/lib/llmops/drops/bills-2025-02.jsonl", "revision": "curation-7"}


def _kind(docs: list[dict], kind: str) -> dict:
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == "bill-explainer")


def _run(docs: list[dict]) -> dict:
    runs = [d for d in docs if d["kind"] == "Workflow"]
    return next(d for d in runs if d["metadata"]["labels"]["llmops/run-spec"] == "bill-explainer")


def _args(holder: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in holder["arguments"]["parameters"]}


def _argo_value(expression: str, payload: dict) -> str:
    """What the Argo Server makes of the expressions the renderer writes: a string literal gives its string,
    `fromJSON(literal)` the JSON re-encoded compactly (Go's json.Marshal, keys sorted), `payload.source` the
    event's. Anything else is not an expression this project renders."""
    if expression == "payload.source":
        return payload["source"]
    if expression.startswith("fromJSON(") and expression.endswith(")"):
        text = literal_value(expression.removeprefix("fromJSON(").removesuffix(")"))
        assert text is not None, expression
        return json.dumps(json.loads(text), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    value = literal_value(expression)
    assert value is not None, f"not a literal the renderer writes: {expression}"
    return value


# ---------------------------------------------------------------- what the committed example renders
def test_the_example_flywheel_renders_a_cron_workflow_and_an_event_binding(rendered):
    flywheel, spec = flywheel_spec.load(EXAMPLE, render.RUNS_DIR, ROOT)
    rel = render.FLYWHEELS_OUT / "bill-explainer.yaml"
    docs = render.objects([rendered[rel]])
    assert [d["kind"] for d in docs] == ["CronWorkflow", "WorkflowEventBinding", "CronWorkflow"]
    assert flywheel.run_spec == "workflows/runs/bill-explainer.yaml" and spec.name == "bill-explainer"


def test_the_cron_workflow_submits_the_run_specs_workflow_with_trigger_schedule(docs):
    cron, run = _kind(docs, "CronWorkflow"), _run(docs)
    spec = cron["spec"]
    assert spec["schedules"] == ["0 2 * * 1"] and spec["timezone"] == "Europe/Madrid"
    assert (spec["concurrencyPolicy"], spec["startingDeadlineSeconds"], spec["suspend"]) == ("Forbid", 3600, False)
    assert spec["workflowSpec"]["workflowTemplateRef"] == {"name": NAME}
    assert set(spec["workflowSpec"]) == {"arguments", "workflowTemplateRef"}
    assert _args(spec["workflowSpec"]) == _args(run["spec"]) | {"trigger": "schedule"}
    assert _args(run["spec"])["trigger"] == "git"
    labels = spec["workflowMetadata"]["labels"]
    assert labels == run["metadata"]["labels"] | {"llmops/flywheel": "bill-explainer", "llmops/trigger": "schedule"}


def test_an_event_submits_the_run_specs_arguments_with_the_events_dataset_and_trigger_new_data(docs):
    binding, run = _kind(docs, "WorkflowEventBinding"), _run(docs)
    selector = binding["spec"]["event"]["selector"]
    assert selector == 'discriminator == "telecom-bills" && (payload?.source ?? "") != ""'
    submit = binding["spec"]["submit"]
    assert submit["workflowTemplateRef"] == {"name": NAME}
    submitted = {p["name"]: _argo_value(p["valueFrom"]["event"], EVENT) for p in submit["arguments"]["parameters"]}
    expected = _args(run["spec"]) | {"dataset_source": EVENT["source"], "trigger": "new-data"}
    assert submitted.keys() == expected.keys()
    for name, value in expected.items():  # JSON values arrive compact: the same JSON
        same = value == submitted[name] or (value[:1] in "[{" and json.loads(value) == json.loads(submitted[name]))
        assert same, (name, value, submitted[name])
    assert {k: _argo_value(v, EVENT) for k, v in submit["metadata"]["labels"].items()} == run["metadata"]["labels"] | {
        "llmops/flywheel": "bill-explainer",
        "llmops/trigger": "new-data",
    }
    assert _argo_value(submit["metadata"]["generateName"], EVENT) == "bill-explainer-new-data-"


# ---------------------------------------------------------------- strict schemas, references, Strict referencing
def test_flywheel_manifests_pass_every_check(docs, schemas):
    triggers = [d for d in docs if d["kind"] in ("CronWorkflow", "WorkflowEventBinding")]
    assert {d["kind"] for d in triggers} == {"CronWorkflow", "WorkflowEventBinding"}
    errors = [e for d in triggers for e in schema_errors(d, schemas[d["kind"]]) + metadata_errors(d)]
    errors += [e for d in triggers for e in reference_mode_errors(d) + trigger_errors(d)]
    assert errors == [] and reference_errors(docs) == [], errors


def test_an_unknown_field_fails_the_strict_schema(docs, schemas):
    cron, binding = _kind(docs, "CronWorkflow"), _kind(docs, "WorkflowEventBinding")
    cron["spec"]["schedule"] = cron["spec"].pop("schedules")[0]  # the field before Argo 4
    binding["spec"]["submit"]["arguments"]["parameters"][0]["valueFrom"]["expresion"] = "x"
    cron_errors = schema_errors(cron, schemas["CronWorkflow"])
    assert any("'schedule' was unexpected" in e for e in cron_errors), cron_errors
    assert any("'schedules' is a required property" in e for e in cron_errors), cron_errors
    binding_errors = schema_errors(binding, schemas["WorkflowEventBinding"])
    assert any(
        "'expresion' was unexpected" in e and "$.spec.submit.arguments.parameters[0].valueFrom" in e
        for e in binding_errors
    ), binding_errors


@pytest.mark.parametrize("kind", ["CronWorkflow", "WorkflowEventBinding"])
def test_a_broken_template_reference_is_caught(docs, kind):
    doc = _kind(docs, kind)
    holder = doc["spec"]["workflowSpec"] if kind == "CronWorkflow" else doc["spec"]["submit"]
    holder["workflowTemplateRef"]["name"] = "llmops-lora-pipelin"
    errors = reference_errors(docs)
    assert any(
        e.startswith(f"{kind}/bill-explainer: spec.") and "'llmops-lora-pipelin' does not exist" in e for e in errors
    ), errors


def test_an_undeclared_argument_and_a_value_outside_its_enum_are_caught(docs):
    cron, binding = _kind(docs, "CronWorkflow"), _kind(docs, "WorkflowEventBinding")
    cron_params = cron["spec"]["workflowSpec"]["arguments"]["parameters"]
    cron_params.append({"name": "gpus", "value": "1"})
    next(p for p in cron_params if p["name"] == "trigger")["value"] = "nightly"
    binding_params = binding["spec"]["submit"]["arguments"]["parameters"]
    next(p for p in binding_params if p["name"] == "dataset_format")["valueFrom"]["event"] = '"bill-xml"'
    errors = reference_errors(docs)
    assert any("CronWorkflow/bill-explainer" in e and "'gpus' is not a declared parameter" in e for e in errors)
    assert any("CronWorkflow/bill-explainer" in e and "trigger='nightly' is not one of" in e for e in errors)
    assert any("WorkflowEventBinding/bill-explainer" in e and "dataset_format='bill-xml'" in e for e in errors)


def test_a_field_strict_referencing_forbids_is_caught(docs):
    cron, binding = _kind(docs, "CronWorkflow"), _kind(docs, "WorkflowEventBinding")
    cron["spec"]["workflowSpec"]["serviceAccountName"] = "default"
    errors = reference_mode_errors(cron)
    assert any("$.spec.workflowSpec.serviceAccountName: not allowed" in e for e in errors), errors
    cron["spec"]["workflowSpec"] = {"entrypoint": "main", "templates": []}
    assert any("$.spec.workflowSpec.workflowTemplateRef: missing" in e for e in reference_mode_errors(cron))
    del binding["spec"]["submit"]["workflowTemplateRef"]
    assert any("$.spec.submit.workflowTemplateRef: missing" in e for e in reference_mode_errors(binding))


def test_what_argo_refuses_at_fire_time_is_caught(docs):
    cron, binding = _kind(docs, "CronWorkflow"), _kind(docs, "WorkflowEventBinding")
    cron["spec"]["schedules"] = ["0 2 * * 1", "0 25 * * *"]
    cron["spec"]["timezone"] = "Europe/Madird"
    cron["metadata"]["name"] = "b" * 53
    errors = trigger_errors(cron) + metadata_errors(cron)
    assert any("$.spec.schedules[1]" in e and "hour '25'" in e for e in errors), errors
    assert any("$.spec.timezone" in e and "Europe/Madird" in e for e in errors), errors
    assert any("at most 52 characters" in e for e in errors), errors
    params = binding["spec"]["submit"]["arguments"]["parameters"]
    params[0] = {"name": params[0]["name"], "value": "bill-explainer"}
    params[1]["valueFrom"]["event"] = '"say \\"hi\\""'
    errors = trigger_errors(binding)
    assert any("parameters[0]" in e and "no valueFrom.event" in e for e in errors), errors
    assert any("parameters[1]" in e and "passes escaped" in e for e in errors), errors


def test_lint_reports_a_stale_flywheel_manifest(tmp_path):
    from workflows.lint import stale_files

    rel = render.FLYWHEELS_OUT / "bill-explainer.yaml"
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_text((ROOT / rel).read_text().replace("0 2 * * 1", "0 3 * * 1"))
    assert f"{rel}: stale; run `make render`" in stale_files(tmp_path)
