"""Pure pieces: when/depends expressions, durations, substitution, memo cache; engine paths without processes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.runner.manifests import CWT, approval_template, fixture_cwt, task, workflow, workflow_template
from workflows.argo.depends import depends_from_dependencies, parse_depends
from workflows.argo.expressions import evaluate_when
from workflows.local_runner import LocalRunner, RunnerError
from workflows.local_runner.durations import parse_duration
from workflows.local_runner.errors import ExpressionError, UnresolvedReferenceError, UnsupportedFieldError
from workflows.local_runner.memo import MemoCache
from workflows.local_runner.substitution import RuntimeScope, TaskView, WorkflowVars, substitute


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("YES == YES", True),
        ("YES == 'YES'", True),
        ('"a b" != "a b"', False),
        ("0.85 >= 0.8", True),
        ("10 > 9", True),
        ("2 < 10", True),
        ("1 == 1.0", True),
        ("true", True),
        ("!false && (1 < 2 || x == y)", True),
        ("squad == gsm8k || squad == squad", True),
        ("-1 < 0", True),
        ("my-model == my-model", True),
        ("'1' == 1", False),
    ],
)
def test_when_expressions(text: str, expected: bool) -> None:
    assert evaluate_when(text) is expected


@pytest.mark.parametrize("text", ["YES = YES", "(a == b", "a == b)", "", "a &&", "a < b < c", "YES", "1 < YES"])
def test_bad_when_expressions_name_the_expression(text: str) -> None:
    with pytest.raises(ExpressionError, match="when expression"):
        evaluate_when(text)


def test_depends_expressions() -> None:
    phases = {
        "a": ("Succeeded", []),
        "b": ("Failed", []),
        "c": ("Skipped", []),
        "g": ("Failed", ["Succeeded", "Failed"]),
    }

    def check(text):
        return parse_depends(text).evaluate(phases.__getitem__)

    assert check("a && c") and not check("a && b") and check("b.Failed") and check("!b.Succeeded && (a || b)")
    assert check("g.AnySucceeded") and not check("g.AllFailed") and not check("a.Daemoned") and check("c.Skipped")
    assert parse_depends("a && (b.Failed || c.Errored)").failure_handled() == {"b", "c"}
    assert parse_depends("x-1.Succeeded || y_2").tasks() == {"x-1", "y_2"}
    assert depends_from_dependencies([]).evaluate(phases.__getitem__)
    with pytest.raises(ExpressionError, match="unknown task result 'Completed'"):
        parse_depends("a.Completed")


def test_durations() -> None:
    assert (
        parse_duration("10s", "x") == 10 and parse_duration("1m30s", "x") == 90 and parse_duration("24h", "x") == 86400
    )
    assert (
        parse_duration("2", "x") == 2
        and parse_duration(5, "x") == 5
        and parse_duration("100ms", "x") == pytest.approx(0.1)
    )
    with pytest.raises(RunnerError, match=r"memoize\.maxAge: '1 day' is not a duration"):
        parse_duration("1 day", "memoize.maxAge")


def test_substitution() -> None:
    wf = WorkflowVars("wf-1", "uid-1", "llmops", "2026-01-01T00:00:00Z", {"suite": "squad"}, {"best": "m1"})
    tasks = {
        "t": TaskView("Succeeded", {"score": "0.9"}, "hello"),
        "s": TaskView("Skipped", {}, None, has_outputs=False),
    }
    scope = RuntimeScope(wf, {"x": "1", "y": "two"}, tasks.get, {"k": "v", "n": 3})
    text = (
        "{{ workflow.name }}/{{workflow.parameters.suite}}/{{inputs.parameters.y}}/{{tasks.t.outputs.parameters.score}}"
    )
    assert substitute(text, scope, "f") == "wf-1/squad/two/0.9"
    assert substitute("{{item.k}}{{item.n}} {{item}}", scope, "f") == 'v3 {"k":"v","n":3}'
    assert (
        substitute("{{tasks.t.status}} {{tasks.t.outputs.result}} {{workflow.outputs.parameters.best}}", scope, "f")
        == "Succeeded hello m1"
    )
    assert json.loads(substitute("{{inputs.parameters}}", scope, "f")) == [
        {"name": "x", "value": "1"},
        {"name": "y", "value": "two"},
    ]
    with pytest.raises(UnresolvedReferenceError, match=r"spec.x: cannot resolve '\{\{workflow.parameters.nope\}\}'"):
        substitute("{{workflow.parameters.nope}}", scope, "spec.x")
    with pytest.raises(UnsupportedFieldError, match="expression tag"):
        substitute("{{=sprig.trim(x)}}", scope, "spec.x")


def test_memo_cache_max_age_and_threads(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    cache = MemoCache(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cache.put("cm", f"k{i}", {"v": str(i)}, None), range(40)))
    entries = [cache.get("cm", f"k{i}", None) for i in range(40)]
    assert all(entry is not None and entry.outputs == {"v": str(i)} for i, entry in enumerate(entries))
    data = json.loads(cache.path("cm").read_text())
    data["k0"]["created"] = time.time() - 120
    cache.path("cm").write_text(json.dumps(data))
    assert cache.get("cm", "k0", 60) is None and cache.get("cm", "k0", 600) is not None


def test_nested_dag_outputs_global_outputs_without_processes(tmp_path: Path) -> None:
    """Suspend leaves with auto_approve exercise the engine (nesting, fan-out, outputs) with no step process."""
    approval = approval_template()
    approval["outputs"]["parameters"][0]["globalName"] = "last-approval"
    inner = {
        "name": "inner",
        "inputs": {"parameters": [{"name": "label"}]},
        "dag": {
            "tasks": [
                task("ask", "approval", local=True),
                task("tag", "approval", {"approve": "NO"}, local=True, depends="ask"),
            ]
        },
        "outputs": {
            "parameters": [
                {"name": "decision", "valueFrom": {"parameter": "{{tasks.ask.outputs.parameters.approve}}"}},
                {"name": "label", "valueFrom": {"parameter": "{{inputs.parameters.label}}"}},
            ]
        },
    }
    wt = workflow_template(
        "nested",
        [
            task("loop", "inner", {"label": "{{item.name}}"}, local=True, withItems=[{"name": "a"}, {"name": "b"}]),
            task(
                "final",
                "approval",
                {"approve": "{{workflow.outputs.parameters.last-approval}}"},
                local=True,
                depends="loop",
            ),
            task("status", "approval", local=True, depends="loop", when="{{tasks.loop.status}} != Succeeded"),
        ],
        templates=[inner, approval],
    )
    result = LocalRunner(templates=[wt], state_dir=tmp_path, auto_approve=True).run(workflow("nested"))
    assert result.phase == "Succeeded", result.message
    name = result.workflow_name
    assert result.nodes[f"{name}.loop(0:name:a)"].outputs == {"decision": "YES", "label": "a"}
    tag = result.nodes[f"{name}.loop(1:name:b).tag"]
    assert (tag.inputs, tag.outputs) == ({"approve": "NO"}, {"approve": "YES"})  # auto-approve answers YES
    assert json.loads(result.node("loop").outputs["label"]) == ["a", "b"]
    assert result.node("final").inputs == {"approve": "YES"} and result.node("status").phase == "Skipped"
    assert result.outputs == {"last-approval": "YES"}
    assert result.timings.subprocess_s == 0.0


def test_inline_workflow_and_empty_fan_out(tmp_path: Path) -> None:
    wf = workflow_template(
        "inline",
        [
            task("none", "approval", local=True, withParam="{{workflow.parameters.items}}"),
            task("after", "approval", local=True, depends="none"),
        ],
        templates=[approval_template()],
        params={"items": "[]"},
    )
    wf["kind"], wf["metadata"] = "Workflow", {"name": "inline-run"}
    result = LocalRunner(templates=[], state_dir=tmp_path, auto_approve=True).run(wf)
    assert result.phase == "Succeeded" and result.workflow_name == "inline-run"
    assert result.node("none").phase == "Skipped" and result.node("after").phase == "Succeeded"
    with pytest.raises(RunnerError, match="a run named 'inline-run' already exists"):
        LocalRunner(templates=[], state_dir=tmp_path).run(wf)


def test_yaml_manifests_continue_on_and_workflow_failures(tmp_path: Path) -> None:
    import yaml

    from workflows.local_runner import load_manifests

    wt = workflow_template(
        "tolerant",
        [
            task("bad", "approval", {"approve": "{{workflow.parameters.p}}"}, local=True, continueOn={"error": True}),
            task("next", "approval", local=True, depends="bad.Errored"),
        ],
        templates=[
            approval_template(),
            {
                "name": "note",
                "inputs": {"parameters": [{"name": "text"}]},
                "suspend": {},
                "outputs": {"parameters": [{"name": "text", "valueFrom": {"supplied": {}}}]},
            },
            {
                "name": "report",
                "dag": {
                    "tasks": [
                        task(
                            "say",
                            "note",
                            {"text": "{{workflow.failures}}"},
                            local=True,
                            when="{{workflow.status}} == Succeeded",
                        )
                    ]
                },
            },
        ],
        params={"p": "MAYBE"},
        onExit="report",
    )
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all([wt, workflow("tolerant")]))
    docs = load_manifests([tmp_path])
    result = LocalRunner(templates=docs[:1], state_dir=tmp_path / "runs", auto_approve=True).run(docs[1])
    assert result.node("bad").phase == "Error" and result.node("next").phase == "Succeeded"
    assert result.phase == "Succeeded", result.message
    assert result.exit_handler is not None and result.exit_handler.name == f"{result.workflow_name}.onExit"
    failures = json.loads(result.node("onExit.say").outputs["text"])
    assert [(f["displayName"], f["phase"]) for f in failures] == [("bad", "Error")]


def test_env_from_secret_and_config_map_refs() -> None:
    from workflows.local_runner.manifests import TemplateIndex
    from workflows.local_runner.scripts import resolve_env

    cwt = fixture_cwt()
    env = cwt["spec"]["templates"][0]["script"]["env"]
    env[:0] = [
        {"name": "TRACKING_URI", "valueFrom": {"configMapKeyRef": {"name": "llmops-config", "key": "tracking"}}},
        {"name": "OPTIONAL_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": True}}},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        {"name": "WHO", "value": "{{inputs.parameters.a}}"},
    ]
    template = TemplateIndex([cwt]).template(f"ClusterWorkflowTemplate/{CWT}", "add", "test")
    scope = RuntimeScope(WorkflowVars("w", "u", "n", "t", {}, {}), {"a": "7", "b": "0"})
    values, secrets = resolve_env(template, scope, {"TRACKING_URI": "http://mlflow", "TOKEN": "t0k"})
    assert values["TRACKING_URI"] == "http://mlflow" and values["TOKEN"] == "t0k" and values["WHO"] == "7"
    assert "OPTIONAL_TOKEN" not in values and secrets == ["t0k"]
    with pytest.raises(
        RunnerError, match="env TRACKING_URI: ConfigMap 'llmops-config' key 'tracking' is not available locally"
    ):
        resolve_env(template, scope, {"TOKEN": "t0k"})
