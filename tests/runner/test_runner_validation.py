"""Manifest errors are found before any step runs, and name the field path and the fix."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.runner.manifests import CWT, approval_template, fixture_cwt, task, workflow, workflow_template
from workflows.local_runner import InputError, LocalRunner, RunnerError, UnresolvedReferenceError, UnsupportedFieldError


def _run(tmp_path: Path, wt: dict, wf: dict | None = None, cwt: dict | None = None):
    runner = LocalRunner(templates=[cwt or fixture_cwt(), wt], state_dir=tmp_path / "runs")
    return runner.run(wf or workflow(wt["metadata"]["name"]))


def _assert_nothing_ran(tmp_path: Path) -> None:
    assert not list((tmp_path / "runs").glob("*/state.json"))


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        (
            lambda t: t.append({"name": "legacy", "steps": [[{"name": "s", "template": "x"}]]}),
            "WorkflowTemplate/bad spec.templates[1].steps",
            "'steps' templates are not supported by the local runner; use a DAG",
        ),
        (
            lambda t: t.append({"name": "box", "container": {"image": "busybox"}}),
            "WorkflowTemplate/bad spec.templates[1].container",
            "'container' templates are not supported",
        ),
        (
            lambda t: t[0]["dag"]["tasks"][0].update(withSequence={"count": "3"}),
            "WorkflowTemplate/bad spec.templates[0].dag.tasks[0].withSequence",
            "'withSequence' is not supported",
        ),
        (
            lambda t: t[0]["dag"]["tasks"][0]["arguments"]["parameters"][0].update(value="{{= 1 + 1}}"),
            "spec.templates[0].dag.tasks[0].arguments.parameters[0].value",
            "expression tag '{{= 1 + 1}}' is not supported",
        ),
        (lambda t: t[0].update(timeout="1m"), "spec.templates[0].timeout", "use activeDeadlineSeconds"),
        (
            lambda t: t[0].update(retryStrategy={"limit": 1}),
            "spec.templates[0].retryStrategy",
            "'retryStrategy' is not supported on dag templates",
        ),
    ],
)
def test_unsupported_fields_are_rejected_by_path(tmp_path: Path, mutate, path: str, message: str) -> None:
    wt = workflow_template("bad", [task("one", "add", {"a": "1"})])
    mutate(wt["spec"]["templates"])
    with pytest.raises(UnsupportedFieldError) as err:
        _run(tmp_path, wt)
    assert path in str(err.value) and message in str(err.value)
    _assert_nothing_ran(tmp_path)


def test_rejects_retry_expression_and_template_defaults(tmp_path: Path) -> None:
    cwt = fixture_cwt()
    flaky = next(t for t in cwt["spec"]["templates"] if t["name"] == "flaky")
    flaky["retryStrategy"]["expression"] = "asInt(lastRetry.exitCode) > 1"
    wt = workflow_template("bad", [task("one", "flaky", {"counter_file": "/dev/null"})])
    with pytest.raises(
        UnsupportedFieldError, match=r"spec.templates\[4\].retryStrategy.expression: retryStrategy.expression"
    ):
        _run(tmp_path, wt, cwt=cwt)
    wt2 = workflow_template("bad2", [task("one", "add", {"a": "1"})], templateDefaults={"timeout": "1m"})
    with pytest.raises(UnsupportedFieldError, match=r"spec\.templateDefaults: 'templateDefaults' is not supported"):
        _run(tmp_path, wt2)
    wf = workflow("bad2")
    wf["spec"]["volumes"] = []
    with pytest.raises(UnsupportedFieldError, match=r"Workflow.spec.volumes: 'volumes' is not supported"):
        _run(tmp_path, workflow_template("bad2", [task("one", "add", {"a": "1"})]), wf)


def test_non_runner_script_is_rejected(tmp_path: Path) -> None:
    cwt = fixture_cwt()
    cwt["spec"]["templates"][0]["script"]["command"] = ["bash"]
    with pytest.raises(UnsupportedFieldError, match=r"spec.templates\[0\].script.command: \['bash'\]"):
        _run(tmp_path, workflow_template("bad", [task("one", "add", {"a": "1"})]), cwt=cwt)


@pytest.mark.parametrize(
    ("tasks", "error", "message"),
    [
        (
            [task("one", "add", {"a": "{{workflow.parameters.nope}}"})],
            UnresolvedReferenceError,
            "arguments.parameters[0].value: cannot resolve '{{workflow.parameters.nope}}': "
            "no workflow parameter named 'nope'",
        ),
        (
            [task("one", "add", {"a": "{{tasks.ghost.outputs.parameters.total}}"})],
            UnresolvedReferenceError,
            "this DAG has no task 'ghost'",
        ),
        (
            [
                task("one", "add", {"a": "1"}),
                task("two", "add", {"a": "{{tasks.one.outputs.parameters.sum}}"}, depends="one"),
            ],
            UnresolvedReferenceError,
            "declares no output 'sum' (outputs: total)",
        ),
        (
            [task("one", "add", {"a": "{{item}}"})],
            UnresolvedReferenceError,
            "'item' is only defined in a task with withItems",
        ),
        ([task("one", "add", {"b": "1"})], InputError, "required input 'a' of template 'add' is not passed"),
        ([task("one", "add", {"a": "1", "c": "2"})], InputError, "argument 'c' is not an input of template 'add'"),
        ([task("one", "nope", {"a": "1"})], RunnerError, f"ClusterWorkflowTemplate/{CWT} has no template 'nope'"),
        (
            [task("one", "add", {"a": "1"}, depends="two"), task("two", "add", {"a": "1"}, depends="one")],
            RunnerError,
            "dependency cycle",
        ),
        ([task("one", "add", {"a": "1"}, depends="one.Finished")], RunnerError, "unknown task result 'Finished'"),
        (
            [task("one", "add", {"a": "1"}, when="{{workflow.parameters.p}} = YES")],
            RunnerError,
            "cannot parse when expression",
        ),
        (
            [task("one", "add", {"a": "{{workflow.status}}"})],
            UnresolvedReferenceError,
            "only available in the exit handler",
        ),
    ],
)
def test_semantic_errors_name_the_problem(tmp_path: Path, tasks, error, message: str) -> None:
    wt = workflow_template("bad", tasks, params={"p": "x"})
    with pytest.raises(error) as err:
        _run(tmp_path, wt)
    assert message in str(err.value)
    _assert_nothing_ran(tmp_path)


def test_workflow_arguments_are_checked(tmp_path: Path) -> None:
    wt = workflow_template(
        "args",
        [task("one", "add", {"a": "1"})],
        params={"suite": {"value": "gsm8k", "enum": ["gsm8k", "squad"]}, "required": {"description": "no value"}},
    )
    with pytest.raises(
        InputError,
        match=r"workflow parameter 'suite': value 'mmlu' is not one of the allowed values \['gsm8k', 'squad'\]",
    ):
        _run(tmp_path, wt, workflow("args", {"suite": "mmlu", "required": "x"}))
    with pytest.raises(InputError, match="workflow parameter 'required' has no value"):
        _run(tmp_path, wt, workflow("args", {"suite": "squad"}))
    with pytest.raises(InputError, match="unknown parameter 'typo'"):
        _run(tmp_path, wt, workflow("args", {"typo": "1", "required": "x"}))


def test_task_enum_violation_is_an_error(tmp_path: Path) -> None:
    approval = approval_template()
    wt = workflow_template("enum", [task("gate", "approval", {"approve": "MAYBE"}, local=True)], templates=[approval])
    with pytest.raises(
        InputError,
        match=r"task 'gate'.*parameter 'approve' value 'MAYBE' is not one of the allowed values \['YES', 'NO'\]",
    ):
        _run(tmp_path, wt)
    # A value known only at run time fails that node with the same message.
    wt = workflow_template(
        "enum2",
        [task("gate", "approval", {"approve": "{{workflow.parameters.p}}"}, local=True)],
        templates=[approval],
        params={"p": "MAYBE"},
    )
    result = _run(tmp_path, wt)
    assert result.phase == "Error"
    assert result.node("gate").phase == "Error"
    assert "value 'MAYBE' is not one of the allowed values ['YES', 'NO']" in result.node("gate").message


def test_noop_fields_are_accepted(tmp_path: Path) -> None:
    cwt = copy.deepcopy(fixture_cwt())
    add = cwt["spec"]["templates"][0]
    add.update(
        nodeSelector={"gpu": "h100"},
        tolerations=[{"key": "gpu"}],
        podSpecPatch="{}",
        priorityClassName="high",
        metadata={"labels": {"a": "b"}},
        serviceAccountName="sa",
        affinity={},
    )
    add["script"].update(resources={"limits": {"nvidia.com/gpu": "1"}}, imagePullPolicy="Always")
    wt = workflow_template(
        "noop",
        [task("one", "add", {"a": "1"})],
        serviceAccountName="sa",
        podGC={"strategy": "OnPodSuccess"},
        ttlStrategy={"secondsAfterCompletion": 60},
        podMetadata={},
        archiveLogs=True,
    )
    wf = workflow("noop", workflowMetadata={"labels": {"x": "y"}})
    wf["metadata"].update(labels={"l": "v"}, annotations={"a": "b"})
    result = LocalRunner(
        templates=[cwt, wt], state_dir=tmp_path / "runs", cwd=Path(__file__).parents[2], parallelism=1
    ).run(wf)
    assert result.phase == "Succeeded", result.message


def test_every_rendered_run_passes_the_runners_static_checks() -> None:
    """The committed manifests (locked-down step pods included) are accepted by the local runner: every field
    of every template a run reaches is supported or a documented no-op, every reference resolves."""
    from workflows import render
    from workflows.argo.events import embedded_workflow, submitted_workflow
    from workflows.flywheel_render import DRIFT_TEMPLATE
    from workflows.local_runner.manifests import TemplateIndex, generate_name, resolve_workflow
    from workflows.local_runner.validate import validate_run

    docs = render.objects((render.ROOT / rel).read_text() for rel in render.documents())
    index = TemplateIndex([d for d in docs if d["kind"] in ("ClusterWorkflowTemplate", "WorkflowTemplate")])
    # the runs, and what the flywheels' CronWorkflows and event bindings submit (an argument read from the
    # event, the dataset source, leaves the template's default in place here); the drift check's template is
    # cluster-only (its submit step is a `resource` template; `llmops flywheel check-drift` calls the step), but
    # the pipeline run it creates is one the runner runs
    submitted = [pair[1] for pair in map(submitted_workflow, docs) if pair is not None]
    created = [pair[1] for pair in map(embedded_workflow, docs) if pair is not None]
    pipeline_runs = [w for w in submitted if w["spec"]["workflowTemplateRef"]["name"] != DRIFT_TEMPLATE]
    runs = [d for d in docs if d["kind"] == "Workflow"] + pipeline_runs + created
    assert runs and pipeline_runs and created
    for run in runs:
        validate_run(index, resolve_workflow(copy.deepcopy(run), index, generate_name))
