"""`llmops runs|status|report|approve|reject|compare` against a workspace with fabricated and real run state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from steps.logic.gate_policy import GateDecision, GateRow
from tests.runner.manifests import approval_template, task, workflow, workflow_template
from workflows import cli, compare_command
from workflows.local_runner.results import NodeResult
from workflows.local_runner.state import RunState, RunStore


def _node(wf: str, task_name: str, phase: str = "Succeeded", **fields) -> NodeResult:
    return NodeResult(
        name=f"{wf}.{task_name}", display_name=task_name, type="Pod", template=task_name, phase=phase,
        parent=wf, started=datetime(2026, 1, 1, tzinfo=UTC), duration_s=5.0, **fields,
    )  # fmt: skip


def fabricate(ws: Path, name: str, minute: int, phase: str = "Succeeded", decision: str | None = "pass") -> None:
    nodes = [
        NodeResult(name=name, display_name=name, type="DAG", template="pipeline", phase=phase),
        _node(name, "open-run", outputs={"mlflow_run_id": "abc"}),
    ]
    if decision:
        nodes.append(_node(name, "gate", outputs={"decision": decision, "report": "table"}))
    if phase == "Suspended":
        nodes.append(_node(name, "approval", phase="Suspended", message="waiting for approval"))
    state = RunState(
        workflow_name=name, uid=name, namespace="llmops", created=datetime(2026, 1, 1, 10, minute, tzinfo=UTC),
        phase=phase, owner="WorkflowTemplate/llmops-lora-pipeline", entrypoint="pipeline", parallelism=2,
        active_elapsed_s=125.0, labels={"llmops/run-spec": name.rsplit("-", 1)[0]},
        nodes={n.name: n for n in nodes},
    )  # fmt: skip
    RunStore(ws / "runs", name).save(state)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    fabricate(tmp_path, "bill-explainer-aaaa1111", 1)
    fabricate(tmp_path, "bill-explainer-bbbb2222", 5, decision="block")
    fabricate(tmp_path, "support-tickets-cccc3333", 3, phase="Suspended")
    return tmp_path


def _cli(ws: Path, *args: str) -> int:
    return cli.main(["--workspace", str(ws), *args])


def test_runs_lists_newest_first_with_verdict_and_limit(ws: Path, capsys) -> None:
    assert _cli(ws, "runs") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["RUN", "RUN", "SPEC", "PHASE", "VERDICT", "STARTED", "(UTC)", "DURATION"]
    assert [line.split()[0] for line in lines[1:]] == [
        "bill-explainer-bbbb2222", "support-tickets-cccc3333", "bill-explainer-aaaa1111"
    ]  # fmt: skip
    assert lines[1].split()[1:4] == ["bill-explainer", "Succeeded", "block"]
    assert lines[1].split()[-1] == "2m05s"
    assert _cli(ws, "runs", "--limit", "1") == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_status_shows_the_node_list_and_where_it_waits(ws: Path, capsys) -> None:
    assert _cli(ws, "status", "support-tickets-cccc3333") == 0
    out = capsys.readouterr().out
    assert "support-tickets-cccc3333: Suspended" in out
    assert any(line.split()[:2] == ["approval", "Suspended"] for line in out.splitlines())
    assert "llmops approve support-tickets-cccc3333" in out and "llmops reject support-tickets-cccc3333" in out


def test_an_unknown_run_is_one_line_with_close_names_and_exit_2(ws: Path, capsys) -> None:
    for command in ("status", "report", "approve", "reject"):
        assert _cli(ws, command, "bill-explainer-aaa1111") == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "no run named 'bill-explainer-aaa1111'" in err and "did you mean bill-explainer-aaaa1111" in err
    assert _cli(ws, "compare", "bill-explainer-aaaa1111", "nothing-like-it") == 2
    assert "`llmops runs` lists the runs" in capsys.readouterr().err


def test_report_prints_the_runs_report_or_says_when_there_is_none(ws: Path, capsys) -> None:
    (ws / "reports").mkdir()
    (ws / "reports" / "bill-explainer-aaaa1111").mkdir(parents=True, exist_ok=True)
    (ws / "reports" / "bill-explainer-aaaa1111" / "report.md").write_text("# PASS: bill-explainer\n\nbody\n")
    assert _cli(ws, "report", "bill-explainer-aaaa1111") == 0
    assert capsys.readouterr().out == "# PASS: bill-explainer\n\nbody\n"
    assert _cli(ws, "report", "support-tickets-cccc3333") == 2
    assert "no report yet" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        "run",
        "approve",
        "reject",
        "runs",
        "status",
        "report",
        "compare",
        "render",
        "lint",
        "score",
        "serve",
        "flywheel",
        "flywheel check-drift",
        "flywheel simulate",
    ],
)
def test_every_command_has_help_with_examples(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main([*command.split(), "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"llmops {command}" in out.split("examples:")[1]


def test_approve_no_longer_takes_reject(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["approve", "x", "--reject"])


def _gated(tmp_path: Path) -> dict:
    return workflow_template(
        "gated",
        [
            task("build", "add", {"a": "1"}),
            task("gate", "approval", local=True, depends="build"),
            task("rollout", "record", {"path": str(tmp_path / "rollout.txt"), "text": "released"}, depends="gate",
                 when="{{tasks.gate.outputs.parameters.approve}} == YES"),
        ],
        templates=[approval_template()],
    )  # fmt: skip


@pytest.mark.parametrize("verb, rollout", [("approve", "Succeeded"), ("reject", "Skipped")])
def test_approve_and_reject_resume_a_waiting_run(make_runner, tmp_path: Path, capsys, verb, rollout) -> None:
    waiting = make_runner(_gated(tmp_path), state_dir=tmp_path / "runs").run(workflow("gated"))
    assert waiting.phase == "Suspended"
    assert _cli(tmp_path, verb, waiting.workflow_name) == 0
    out = capsys.readouterr().out
    assert f"  {rollout:<10} rollout" in out and f"workflow {waiting.workflow_name}: Succeeded" in out
    assert (tmp_path / "rollout.txt").exists() == (verb == "approve")


def _row(name: str, base: float, candidate: float, passed: bool = True) -> GateRow:
    return GateRow(
        name=name, kind="benchmark", base=base, candidate=candidate, delta=candidate - base, threshold=-0.1,
        rule="point", interval=None, interval_kind=None, paired=None, passed=passed,
    )  # fmt: skip


def test_compare_puts_gate_rows_side_by_side() -> None:
    a = GateDecision(passed=True, reasons=[], rows=[_row("gsm8k", 0.38, 0.36)], confidence=0.95)
    b = GateDecision(
        passed=False, reasons=["x"], rows=[_row("gsm8k", 0.38, 0.0, False), _row("squad", 0.1, 0.2)], confidence=0.95
    )
    assert compare_command.comparison_rows(a, b) == [
        ("gsm8k", "0.3800", "0.3600", "-0.0200", "pass", "0.3800", "0.0000", "-0.3800", "FAIL", "-0.3600"),
        ("squad", "-", "-", "-", "-", "0.1000", "0.2000", "+0.1000", "pass", "-"),
    ]


def test_compare_reads_each_runs_gate_record_from_mlflow(tmp_path: Path, monkeypatch, capsys) -> None:
    from steps import tracking

    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact root is relative to the working directory
    for name, candidate in (("spec-a-1", 0.36), ("spec-b-2", 0.0)):
        parent = tracking.open_parent("compare-test", name, name, {})
        fabricate(tmp_path, name, 1)
        state_path = RunStore(tmp_path / "runs", name)
        state = state_path.load()
        state.nodes[f"{name}.open-run"].outputs["mlflow_run_id"] = parent
        state_path.save(state)
        decision = GateDecision(passed=candidate > 0, reasons=[], rows=[_row("gsm8k", 0.38, candidate)], confidence=0.9)
        with tracking.step_run(parent, "gate") as run:
            run.log_dict(decision.model_dump(), compare_command.DECISION_ARTIFACT)
    assert _cli(tmp_path, "compare", "spec-a-1", "spec-b-2") == 0
    out = capsys.readouterr().out
    assert "A: spec-a-1 (run spec spec-a) gate PASS" in out and "B: spec-b-2 (run spec spec-b) gate BLOCK" in out
    row = "gsm8k 0.3800 0.3600 -0.0200 pass 0.3800 0.0000 -0.3800 pass -0.3600"
    assert out.splitlines()[-1].split() == row.split()
