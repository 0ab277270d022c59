"""One source per parameter: the WorkflowTemplate's parameters are those the run-spec schema declares,
and each reaches the step input of the same name, which leaves the default to the run spec."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from steps.io import DatasetFormat, GateRule, Platform, Trigger, choices
from workflows import parameters, runspec
from workflows.runspec_fields import Param

ROOT = Path(__file__).resolve().parents[2]
RUN_SPECS = sorted((ROOT / "workflows" / "runs").glob("*.yaml"))
WORKFLOW_PARAMETER = re.compile(r"\{\{workflow\.parameters\.([^}]+)\}\}")
IDENTITY = {"run_spec_hash", "git_commit", "trigger"}  # parameters that are not run-spec fields
# Workflow parameters a pipeline uses other than as a task argument of the same name, and where.
NOT_ARGUMENTS = {"require_approval": "when", "guardrails_check": "when"}


def _marked_fields(model: type[BaseModel] = runspec.RunSpec, path: str = "") -> dict[str, tuple[str, object]]:
    """Parameter name -> (dotted run-spec field, FieldInfo), read from the schema's Param marks."""
    out: dict[str, tuple[str, object]] = {}
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out |= _marked_fields(field.annotation, f"{path}{name}.")
        for mark in (m for m in field.metadata if isinstance(m, Param)):
            out[mark.name] = (path + name, field)
    return out


def _left_out_at_default() -> set[str]:
    """Parameters of the fields the spec hash (and a run's arguments) leave out while at their default."""
    return {name for name, (where, _) in _marked_fields().items() if where in runspec.UNHASHED_AT_DEFAULT}


def _empty_spec() -> runspec.RunSpec:
    """A run spec with only its required fields, each at its first example (the form's defaults)."""
    fields = _marked_fields()

    def example(param: str) -> str:
        return fields[param][1].examples[0]

    return runspec.RunSpec(
        name=example("run_spec_name"),
        base_model=example("base_model"),
        dataset={"source": example("dataset_source"), "name": example("dataset_name")},
    )


def _pipeline_tasks(pipeline: dict):
    for template in pipeline["spec"]["templates"]:
        yield from (template.get("dag") or {}).get("tasks") or []


def _step_inputs(docs: list[dict], ref: dict) -> dict[str, dict]:
    cwt = next(d for d in docs if d["kind"] == "ClusterWorkflowTemplate" and d["metadata"]["name"] == ref["name"])
    template = next(t for t in cwt["spec"]["templates"] if t["name"] == ref["template"])
    return {p["name"]: p for p in template["inputs"]["parameters"]}


def test_workflow_template_parameters_are_exactly_those_of_the_run_spec_schema(pipeline):
    rendered = pipeline["spec"]["arguments"]["parameters"]
    assert rendered == [p.render() for p in parameters.PARAMETERS]
    fields = _marked_fields()
    assert {p["name"] for p in rendered} == set(fields) | IDENTITY
    for p in rendered:
        if p["name"] in fields:
            where, field = fields[p["name"]]
            assert p["description"] == field.description, where
    # Defaults: a run spec's own values where it leaves every section empty.
    defaults = {p["name"]: p["value"] for p in rendered}
    empty = parameters.arguments(_empty_spec())
    assert "platform" not in empty and defaults["platform"] == ""  # unset: the environment's platform
    left_out = _left_out_at_default()
    assert left_out == {
        "platform",
        "gain_rule",
        "regression_rule",
        "gate_confidence",
        "min_gain_over_champion",
        "max_business_regression",
        "candidates",
        "dataset_curation",
        "dataset_augmentation",
    } and not left_out & set(empty)
    assert defaults["run_spec_hash"] == "" and empty.pop("run_spec_hash") == _empty_spec().spec_hash()
    # A run from the Argo UI form says manual; a run spec's Workflow says git (a flywheel's: schedule, new-data).
    assert defaults["trigger"] == "manual" and empty.pop("trigger") == "git"
    assert {k: v for k, v in defaults.items() if k not in {*left_out, "run_spec_hash", "trigger"}} == empty
    # Enums: exactly the Literal and bool fields; an optional one also allows "" (unset).
    enums = {p["name"]: p["enum"] for p in rendered if "enum" in p}
    assert enums == {
        "platform": ["", *choices(Platform)],
        "dataset_format": choices(DatasetFormat),
        "gain_rule": choices(GateRule),
        "regression_rule": choices(GateRule),
        "require_approval": ["true", "false"],
        "guardrails_check": ["true", "false"],
        "trigger": choices(Trigger),
    }


def test_every_run_spec_field_is_a_workflow_parameter_but_the_description():
    assert parameters.unmarked_fields() == ["description"]


def test_a_run_passes_every_parameter_but_the_unset_optional_ones(pipeline):
    declared = {p["name"]: p for p in pipeline["spec"]["arguments"]["parameters"]}
    named = set()
    for path in RUN_SPECS:
        spec = runspec.load(path)
        args = parameters.arguments(spec)
        assert set(args) <= set(declared), path.name
        # An unset platform is the template's empty default; the gate's rules and confidence, at their default in
        # every committed spec, are the template's defaults; so is an empty curation (formats but production-logs).
        unset = _left_out_at_default() - ({"platform"} if spec.platform else set())
        unset -= {"candidates"} if spec.candidates else set()
        unset -= {"dataset_curation"} if spec.dataset.curation else set()  # a production-logs spec hashes its rules
        unset -= {"max_business_regression"} if spec.gate.max_business_regression else set()
        assert set(declared) - set(args) == unset, path.name
        named |= {path.name} if spec.platform else set()
    # Written for NeMo; the local examples run wherever configured.
    assert named == {"bill-explainer-nim.yaml", "tool-calling-nim.yaml"}


def test_each_task_passes_a_workflow_parameter_to_the_step_input_of_its_name(docs, pipeline):
    used: dict[str, str] = {}
    problems = []
    for task in _pipeline_tasks(pipeline):
        for arg in (task.get("arguments") or {}).get("parameters") or []:
            named = WORKFLOW_PARAMETER.findall(str(arg.get("value", "")))
            if not named:
                continue
            if arg["value"] != f"{{{{workflow.parameters.{arg['name']}}}}}":
                problems.append(f"task {task['name']}: input {arg['name']} takes {arg['value']}")
                continue
            used[arg["name"]] = "argument"
            if "templateRef" in task:
                step_input = _step_inputs(docs, task["templateRef"])[arg["name"]]
                if "default" in step_input:
                    problems.append(
                        f"task {task['name']}: step input {arg['name']} repeats a default "
                        f"({step_input['default']!r}) that the run spec owns"
                    )
        for key in ("withParam", "when"):
            for name in WORKFLOW_PARAMETER.findall(task.get(key, "")):
                used.setdefault(name, key)
    assert problems == [], "\n".join(problems)
    declared = {p["name"] for p in pipeline["spec"]["arguments"]["parameters"]}
    assert {name: how for name, how in used.items() if how != "argument"} == NOT_ARGUMENTS
    assert set(used) == declared, f"parameters no task uses: {sorted(declared - set(used))}"
