"""The shared reading of Argo manifests (`workflows.argo`): depends, tag references, templates."""

from __future__ import annotations

import re

import pytest

from workflows.argo.depends import DependsRef, depends_field, parse_depends, task_depends
from workflows.argo.errors import ExpressionError, ManifestError
from workflows.argo.expressions import evaluate_when, parse_when
from workflows.argo.references import (
    Kind,
    Reference,
    has_tags,
    parse_reference,
    references_in,
    replace_tags,
    sole_reference,
    tags,
)
from workflows.argo.templates import (
    Manifests,
    TemplateCall,
    call_of,
    field_name_problem,
    find_template,
    input_parameters,
    manifest_label,
    output_parameters,
    parameters_by_name,
    ref_owner,
    templates_by_name,
)


# ------------------------------------------------------------------------------------------- depends
@pytest.mark.parametrize(
    ("text", "refs"),
    [
        ("a", [("a", None)]),
        ("a && b", [("a", None), ("b", None)]),
        ("(a || b.Failed) && !c.Succeeded", [("a", None), ("b", "Failed"), ("c", "Succeeded")]),
        (
            "!(open-run.Succeeded||x_2.AnySucceeded)&&y-3.AllFailed",
            [("open-run", "Succeeded"), ("x_2", "AnySucceeded"), ("y-3", "AllFailed")],
        ),
        (
            "a.Errored || a.Omitted || a.Daemoned || a.Skipped",
            [("a", r) for r in ("Errored", "Omitted", "Daemoned", "Skipped")],
        ),
    ],
)
def test_depends_refs_come_from_the_parsed_tree(text: str, refs: list[tuple[str, str | None]]) -> None:
    depends = parse_depends(text)
    assert depends.refs() == [DependsRef(task, result) for task, result in refs]
    assert depends.tasks() == {task for task, _ in refs}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.Completed", "unknown task result 'Completed' in 'a.Completed'"),
        ("pre.train", "unknown task result 'train' in 'pre.train'"),  # a dotted task name is not a task name
        ("a.Succeeded.b", "unknown task result 'Succeeded.b'"),
        ("a b", "unexpected 'b'"),
        ("(a || b", "missing ')'"),
        ("a &&", "unexpected end of expression"),
        ("a & b", "unexpected '&'"),
        ("'a'", "unexpected 'a'"),
        ("", "empty expression"),
    ],
)
def test_bad_depends_name_the_expression_and_the_fault(text: str, message: str) -> None:
    expected = re.escape(f"cannot parse depends expression {text!r}: ") + ".*" + re.escape(message)
    with pytest.raises(ExpressionError, match=expected):
        parse_depends(text)


def test_depends_evaluation_and_handled_failures() -> None:
    outcome = {"a": ("Succeeded", []), "b": ("Error", []), "g": ("Succeeded", ["Failed", "Succeeded"])}.__getitem__
    assert parse_depends("a && b.Errored && g.AnySucceeded").evaluate(outcome)
    assert not parse_depends("!a || g.AllFailed").evaluate(outcome)
    assert parse_depends("(a.Failed || b.Errored) && !g.Succeeded").failure_handled() == {"a", "b"}


def test_task_depends_reads_depends_or_dependencies() -> None:
    assert task_depends({"name": "t", "depends": "a || b"}).tasks() == {"a", "b"}
    assert task_depends({"name": "t", "dependencies": ["a", "b"]}).text == "a && b"
    assert task_depends({"name": "t"}).tasks() == set() and task_depends({"name": "t"}).evaluate(lambda _: ("", []))
    assert depends_field({"depends": "a"}) == "depends" and depends_field({"dependencies": ["a"]}) == "dependencies"
    with pytest.raises(ManifestError, match="set either depends or dependencies, not both"):
        task_depends({"name": "t", "depends": "a", "dependencies": ["b"]})
    assert issubclass(ExpressionError, ManifestError)


def test_when_grammar_is_shared() -> None:
    assert parse_when("a == b && !(1 > 2)")[0] == "and"
    assert evaluate_when("YES == YES || x") is True


# ---------------------------------------------------------------------------------------- references
@pytest.mark.parametrize(
    ("text", "kind", "name", "parameter", "path"),
    [
        ("workflow.parameters.lora_rank", Kind.WORKFLOW_PARAMETER, "lora_rank", "", ()),
        (" workflow.parameters.json ", Kind.WORKFLOW_PARAMETER, "json", "", ()),
        ("workflow.outputs.parameters.best", Kind.WORKFLOW_OUTPUT, "best", "", ()),
        ("workflow.labels.team", Kind.WORKFLOW_LABEL, "team", "", ()),
        ("workflow.annotations.owner", Kind.WORKFLOW_ANNOTATION, "owner", "", ()),
        ("workflow.name", Kind.WORKFLOW_VARIABLE, "name", "", ()),
        ("workflow.parameters", Kind.WORKFLOW_VARIABLE, "parameters", "", ()),
        ("inputs.parameters.base-model", Kind.INPUT_PARAMETER, "base-model", "", ()),
        ("inputs.parameters", Kind.INPUT_PARAMETERS, "", "", ()),
        ("tasks.gate.status", Kind.TASK_STATUS, "gate", "", ()),
        ("tasks.gate.outputs.result", Kind.TASK_RESULT, "gate", "", ()),
        ("tasks.gate.outputs.parameters.decision", Kind.TASK_PARAMETER, "gate", "decision", ()),
        ("tasks.gate.outputs.artifacts.report", Kind.TASK_OTHER, "gate", "", ("outputs", "artifacts", "report")),
        ("item", Kind.ITEM, "", "", ()),
        ("item.suite.name", Kind.ITEM, "", "", ("suite", "name")),
        ("=inputs.parameters.a + 1", Kind.EXPRESSION, "", "", ()),
        ("tasks.gate", Kind.OTHER, "", "", ()),
        ("workflow", Kind.OTHER, "", "", ()),
        ("steps.s.outputs.result", Kind.OTHER, "", "", ()),
    ],
)
def test_parse_reference(text: str, kind: Kind, name: str, parameter: str, path: tuple[str, ...]) -> None:
    assert parse_reference(text) == Reference(text.strip(), kind, name, parameter, path)


def test_tags_in_text_and_in_manifest_fragments() -> None:
    text = "{{ inputs.parameters.a }}-{{workflow.name}}"
    assert [r.text for r in tags(text)] == ["inputs.parameters.a", "workflow.name"] and has_tags(text)
    assert not has_tags("no {{ tag") and str(parse_reference(" item.x ")) == "{{item.x}}"
    assert replace_tags(text, lambda ref: ref.kind.name) == "INPUT_PARAMETER-WORKFLOW_VARIABLE"
    assert sole_reference("{{ workflow.parameters.suite }}") == parse_reference("workflow.parameters.suite")
    assert sole_reference("{{workflow.parameters.a}}{{workflow.parameters.b}}") is None
    assert sole_reference("x {{workflow.parameters.a}}") is None
    fragment = {"a": ["{{item}}", {"b": "{{=sprig.trim(inputs.parameters.x) + tasks.t.outputs.result}}"}], "n": 3}
    assert [(r.kind, r.name) for r in references_in(fragment)] == [
        (Kind.ITEM, ""),
        (Kind.EXPRESSION, ""),
        (Kind.INPUT_PARAMETER, "x"),
        (Kind.TASK_RESULT, "t"),
    ]
    assert [r.kind for r in references_in("{{= a & b }}")] == [Kind.EXPRESSION]  # unreadable: only itself


# ----------------------------------------------------------------------------------------- templates
def _manifest(kind: str, name: str, *templates: dict) -> dict:
    return {"kind": kind, "metadata": {"name": name}, "spec": {"templates": list(templates)}}


def test_call_of_reads_template_template_ref_and_inline() -> None:
    assert call_of({"template": "t"}) == TemplateCall("t")
    assert call_of({"templateRef": {"name": "c", "template": "t", "clusterScope": True}}) == TemplateCall(
        "t", "ClusterWorkflowTemplate/c"
    )
    assert call_of({"templateRef": {"name": "w", "template": "t"}}).owner == "WorkflowTemplate/w"
    assert call_of({"inline": {"script": {}}}) == TemplateCall(None, inline={"script": {}})
    with pytest.raises(ManifestError, match="set only one of template, templateRef and inline"):
        call_of({"template": "t", "templateRef": {"name": "c", "template": "t"}})
    for task in ({}, {"templateRef": {"name": "c"}}, {"templateRef": "c/t"}):
        with pytest.raises(ManifestError, match=r"a task needs template or templateRef\{name, template\}"):
            call_of(task)


def test_manifests_index_and_template_lookup() -> None:
    cwt = _manifest(
        "ClusterWorkflowTemplate",
        "c",
        {"name": "t", "inputs": {"parameters": [{"name": "x"}]}},
        {"name": "t", "duplicate": True},
        "not-a-template",
    )
    index = Manifests([cwt, _manifest("WorkflowTemplate", "w"), _manifest("Workflow", "run")])
    assert index.manifests[ref_owner({"name": "c", "clusterScope": True})] is cwt
    assert index.names("WorkflowTemplate") == ["w"] and index.names("ClusterWorkflowTemplate") == ["c"]
    assert find_template(cwt, "t") == (0, cwt["spec"]["templates"][0]) and find_template(cwt, "u") is None
    assert list(templates_by_name(cwt)) == ["t"] and "duplicate" not in templates_by_name(cwt)["t"]
    assert [p["name"] for p in input_parameters(templates_by_name(cwt)["t"])] == ["x"]
    assert output_parameters({"name": "t"}) == []
    assert parameters_by_name({"parameters": [{"name": "a"}]}) == {"a": {"name": "a"}}
    assert manifest_label({"kind": "Workflow"}) == "Workflow/?"
    with pytest.raises(ManifestError, match="expected a named WorkflowTemplate or ClusterWorkflowTemplate"):
        Manifests([{"kind": "ConfigMap", "metadata": {"name": "x"}}])


@pytest.mark.parametrize(
    ("name", "valid"),
    [("open-run", True), ("a1", True), ("pre.train", False), ("x_2", False), ("-a", False), ("a" * 129, False)],
)
def test_field_names_follow_argo(name: str, valid: bool) -> None:
    assert (field_name_problem(name) is None) is valid
