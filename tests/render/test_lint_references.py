"""Lint's cross-reference checks read `depends` and `{{...}}` with the runner's parser (`workflows.argo`):
expressions with parentheses, `!`, `||` and results are understood, and a task they name that is not in the
DAG is reported, as are expressions and task names that Argo rejects."""

from __future__ import annotations

import pytest

from workflows.pipeline import NAME
from workflows.reference_checks import reference_errors


def _dag(*tasks: dict) -> list[dict]:
    """A WorkflowTemplate whose entrypoint DAG runs `tasks` (each calls template `step` unless it says otherwise)."""
    step = {
        "name": "step",
        "inputs": {"parameters": [{"name": "x", "default": "0"}]},
        "outputs": {"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out"}}]},
        "script": {"image": "python", "source": "print(1)"},
    }
    dag = {"name": "main", "dag": {"tasks": [{"template": "step", **t} for t in tasks]}}
    spec = {"entrypoint": "main", "templates": [dag, step]}
    return [{"kind": "WorkflowTemplate", "metadata": {"name": "wt"}, "spec": spec}]


BASE = [{"name": "a"}, {"name": "b"}, {"name": "c"}]


@pytest.mark.parametrize(
    "depends",
    [
        "(a || b.Failed) && !c.Succeeded",
        "!a.Succeeded||b",
        "a.AnySucceeded && (b.AllFailed || c.Errored)",
        "(a.Skipped || a.Omitted) && !(b.Daemoned)",
        "a&&b&&c",
    ],
)
def test_valid_depends_expressions_are_clean(depends: str) -> None:
    assert reference_errors(_dag(*BASE, {"name": "d", "depends": depends})) == []


@pytest.mark.parametrize(
    ("depends", "unknown"),
    [
        ("(a || ghost.Failed) && !c", "ghost"),
        ("a.AnySucceeded || ghost-2.AllFailed", "ghost-2"),
        ("a.Succeeded||!ghost", "ghost"),
        ("!(ghost.Succeeded)", "ghost"),
        ("_ghost && a", "_ghost"),  # the regex reported 'ghost' here, a name nobody wrote
        ("a && (b || (c && gh0st.Errored))", "gh0st"),
    ],
)
def test_an_unknown_task_in_a_depends_expression_is_reported(depends: str, unknown: str) -> None:
    errors = reference_errors(_dag(*BASE, {"name": "d", "depends": depends}))
    assert errors == [
        f"WorkflowTemplate/wt: template main, task d: depends on {unknown!r}, which is not a task of "
        "this DAG (tasks: a, b, c, d)"
    ]


@pytest.mark.parametrize(
    ("depends", "fault"),
    [
        ("a.Completed", "unknown task result 'Completed'"),
        ("a.succeeded", "unknown task result 'succeeded'"),
        ("a.Succeeded.b", "unknown task result 'Succeeded.b'"),
        ("a b", "unexpected 'b'"),  # the regex accepted these: two names, and unbalanced parentheses
        ("(a || b", "missing ')'"),
        ("a &&", "unexpected end of expression"),
    ],
)
def test_a_depends_expression_argo_cannot_parse_is_reported(depends: str, fault: str) -> None:
    errors = reference_errors(_dag(*BASE, {"name": "d", "depends": depends}))
    assert len(errors) == 1 and errors[0].startswith(
        f"WorkflowTemplate/wt: template main, task d: cannot parse depends expression {depends!r}: "
    )
    assert fault in errors[0]


def test_a_dotted_task_name_is_reported_with_the_depends_that_names_it() -> None:
    errors = reference_errors(_dag({"name": "pre.train"}, {"name": "d", "depends": "pre.train"}))
    assert any("task pre.train: task name 'pre.train' must be alphanumerics and '-'" in e for e in errors), errors
    assert any("task d: cannot parse depends expression 'pre.train': unknown task result 'train'" in e for e in errors)


def test_dependencies_and_depends_together_and_unknown_dependencies() -> None:
    errors = reference_errors(
        _dag(*BASE, {"name": "d", "depends": "a", "dependencies": ["b"]}, {"name": "e", "dependencies": ["a", "ghost"]})
    )
    assert errors == [
        "WorkflowTemplate/wt: template main, task d: set either depends or dependencies, not both",
        "WorkflowTemplate/wt: template main, task e: depends on 'ghost', which is not a task of this DAG "
        "(tasks: a, b, c, d, e)",
    ]


def test_outputs_need_a_dependency_that_any_depends_form_gives() -> None:
    uses_a = {"arguments": {"parameters": [{"name": "x", "value": "{{ tasks.a.outputs.parameters.out }}"}]}}
    assert reference_errors(_dag(*BASE, {"name": "d", "depends": "!a.Failed || b", **uses_a})) == []
    errors = reference_errors(_dag(*BASE, {"name": "d", "depends": "b.Succeeded", **uses_a}))
    assert errors == [
        "WorkflowTemplate/wt: template main, task d: uses the outputs of task 'a' without depending on "
        "it; add a to depends"
    ]


def test_item_with_spaces_needs_a_loop() -> None:
    errors = reference_errors(_dag({"name": "d", "arguments": {"parameters": [{"name": "x", "value": "{{ item }}"}]}}))
    assert errors == [
        "WorkflowTemplate/wt: template main, task d: uses {{item}} but has no withItems/withParam/withSequence"
    ]
    looped = {"name": "d", "withItems": [1, 2], "arguments": {"parameters": [{"name": "x", "value": "{{ item }}"}]}}
    assert reference_errors(_dag(looped)) == []


def test_references_inside_expression_tags_are_checked() -> None:
    value = "{{=sprig.trim(inputs.parameters.nope) + workflow.parameters.missing}}"
    errors = reference_errors(_dag({"name": "d", "arguments": {"parameters": [{"name": "x", "value": value}]}}))
    assert any("{{workflow.parameters.missing}} is not declared" in e for e in errors), errors
    assert any("{{inputs.parameters.nope}} is not an input of this template" in e for e in errors), errors


def test_a_misspelt_task_in_the_pipelines_parenthesised_depends_is_reported(docs) -> None:
    pipeline = next(d for d in docs if d["kind"] == "WorkflowTemplate" and d["metadata"]["name"] == NAME)
    dag = next(t for t in pipeline["spec"]["templates"] if t["name"] == pipeline["spec"]["entrypoint"])
    rollout = next(t for t in dag["dag"]["tasks"] if t["name"] == "rollout")
    assert "(" in rollout["depends"] and "approval." in rollout["depends"]
    rollout["depends"] = rollout["depends"].replace("approval.Skipped", "aproval.Skipped")
    errors = reference_errors(docs)
    assert any("task rollout: depends on 'aproval', which is not a task of this DAG" in e for e in errors), errors
