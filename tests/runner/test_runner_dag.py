"""DAG semantics: dependencies, depends expressions, when, fan-out, aggregated outputs."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from tests.runner.manifests import task, workflow, workflow_template


def test_dependencies_pass_outputs_in_order(make_runner, tmp_path: Path, events) -> None:
    wt = workflow_template(
        "chain",
        [
            task("first", "add", {"a": "{{workflow.parameters.start}}", "b": "2"}),
            task("second", "add", {"a": "{{tasks.first.outputs.parameters.total}}", "b": "10"}, depends="first"),
            task("third", "add", {"a": "{{tasks.second.outputs.parameters.total}}"}, dependencies=["second"]),
        ],
        params={"start": "1"},
    )
    result = make_runner(wt).run(workflow("chain", {"start": "5"}))
    assert result.phase == "Succeeded", result.message
    first, second, third = (result.node(n) for n in ("first", "second", "third"))
    assert (first.outputs, second.outputs, third.outputs) == ({"total": "7"}, {"total": "17"}, {"total": "17"})
    assert first.inputs == {"a": "5", "b": "2"} and third.inputs == {"a": "17", "b": "0"}
    assert first.finished <= second.started and second.finished <= third.started
    assert result.workflow_name.startswith("chain-") and len(result.uid) == 36
    assert result.nodes[result.workflow_name].type == "DAG"
    assert (f"{result.workflow_name}.third", "Succeeded", "") in events
    log = (result.state_dir / "logs" / f"{result.workflow_name}.first.log").read_text()
    assert "attempt 1" in log
    assert result.timings.subprocess_s > 0 and result.timings.busy_s <= result.timings.total_s
    assert set(result.timings.nodes) == set(result.nodes)


def test_when_skips_and_depends_failed_handler(make_runner, tmp_path: Path) -> None:
    wt = workflow_template(
        "branches",
        [
            task("calc", "add", {"a": "3"}),
            task(
                "big",
                "record",
                {"path": str(tmp_path / "ran.txt"), "text": "big"},
                depends="calc",
                when="{{tasks.calc.outputs.parameters.total}} > 2",
            ),
            task(
                "small",
                "record",
                {"path": str(tmp_path / "ran.txt"), "text": "small"},
                depends="calc",
                when="{{tasks.calc.outputs.parameters.total}} <= 2",
            ),
            task("after-small", "add", {"a": "1"}, depends="small"),
            task("broken", "fail", {"message": "disk on fire"}, depends="calc"),
            task(
                "on-broken",
                "record",
                {"path": str(tmp_path / "ran.txt"), "text": "handled {{tasks.broken.status}}"},
                depends="broken.Failed",
            ),
            task("on-success", "add", {"a": "1"}, depends="broken"),
        ],
    )
    result = make_runner(wt, parallelism=2).run(workflow("branches"))
    phases = {
        name: result.node(name).phase
        for name in ("calc", "big", "small", "after-small", "broken", "on-broken", "on-success")
    }
    assert phases == {
        "calc": "Succeeded",
        "big": "Succeeded",
        "small": "Skipped",
        "after-small": "Succeeded",
        "broken": "Failed",
        "on-broken": "Succeeded",
        "on-success": "Omitted",
    }
    assert result.node("broken").message == "RuntimeError: disk on fire"
    assert result.node("small").message == "when '3 <= 2' evaluated false"
    assert sorted((tmp_path / "ran.txt").read_text().split("\n")) == ["", "big", "handled Failed"]
    assert result.phase == "Succeeded", result.message  # the failure was handled by `broken.Failed`


def test_unhandled_failure_fails_fast(make_runner) -> None:
    wt = workflow_template(
        "failfast",
        [
            task("broken", "fail"),
            task("next", "add", {"a": "1"}, depends="broken"),
            task("later", "add", {"a": "1"}, depends="next"),
        ],
    )
    result = make_runner(wt).run(workflow("failfast"))
    assert result.phase == "Failed"
    assert "child 'broken' failed: RuntimeError: step failed on purpose" in result.message
    assert result.node("next").phase == "Omitted"
    assert f"{result.workflow_name}.later" in result.nodes and result.node("later").phase == "Omitted"


def test_with_items_and_with_param_fan_out(make_runner) -> None:
    wt = workflow_template(
        "fanout",
        [
            task("items", "add", {"a": "{{item}}", "b": "100"}, withItems=[1, 2]),
            task("listing", "make-list", {"count": "2"}),
            task(
                "each",
                "add",
                {"a": "{{item.n}}", "b": "{{tasks.items.outputs.parameters.total}}"},
                depends="listing && items",
                withParam="{{tasks.listing.outputs.parameters.items}}",
                when="'{{item.label}}' != x0",
            ),
            task(
                "sum",
                "record",
                {"path": "/dev/null", "text": "{{tasks.each.outputs.parameters.total}}"},
                depends="each.AnySucceeded",
            ),
        ],
    )
    wt["spec"]["templates"][0]["dag"]["tasks"][2]["arguments"]["parameters"][1]["value"] = "1"
    wt["spec"]["templates"][0]["parallelism"] = 1  # DAG-level: one step at a time although the runner allows 2
    result = make_runner(wt, parallelism=2).run(workflow("fanout"))
    assert result.phase == "Succeeded", result.message
    name = result.workflow_name
    assert [result.nodes[f"{name}.items({i}:{i + 1})"].outputs["total"] for i in range(2)] == ["101", "102"]
    assert result.node("items").type == "TaskGroup"
    assert json.loads(result.node("items").outputs["total"]) == ["101", "102"]
    steps = sorted((n for n in result.nodes.values() if n.type == "Pod" and n.attempts), key=lambda n: n.started)
    assert all(a.finished <= b.started for a, b in itertools.pairwise(steps))
    assert result.nodes[f"{name}.each(0:label:x0,n:0)"].phase == "Skipped"
    assert result.nodes[f"{name}.each(1:label:x1,n:1)"].outputs == {"total": "2"}
    assert result.node("sum").outputs["text"] == '["2"]'


def test_a_fan_out_with_a_failed_item_still_hands_on_the_outputs_of_the_others(make_runner) -> None:
    """As Argo aggregates a group's outputs over the children that produced them: a task whose `depends`
    handles the group's failure reads the values of the items that succeeded (the gate of a run with several
    candidates decides among those that finished)."""
    wt = workflow_template(
        "partial",
        [
            task("each", "add", {"a": "{{item}}", "b": "1"}, withItems=[1, "not-a-number", 3]),
            task(
                "sum",
                "record",
                {"path": "/dev/null", "text": "{{tasks.each.outputs.parameters.total}}"},
                depends="each.Succeeded || each.Failed",
            ),
        ],
    )
    result = make_runner(wt).run(workflow("partial"))
    assert result.node("each").phase == "Failed" and result.node("each").message == "1 of 3 items failed"
    assert result.node("sum").outputs["text"] == '["2", "4"]'
    assert result.phase == "Succeeded", result.message  # the failure is handled by sum's depends
