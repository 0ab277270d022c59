"""Retries, deadlines, suspend/resume, exit handlers, memoization, secrets and persisted state."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.runner.manifests import approval_template, fixture_cwt, task, workflow, workflow_template
from workflows.local_runner import LocalRunner, StateError, UnsupportedFieldError
from workflows.local_runner.threads import available_cpus


def test_retries_limit_and_policy(make_runner, tmp_path: Path) -> None:
    wt = workflow_template(
        "retries",
        [
            task("recovers", "flaky", {"counter_file": str(tmp_path / "a"), "succeed_on": "3"}),
            task("gives-up", "flaky-once", {"counter_file": str(tmp_path / "b"), "succeed_on": "5"}),
            task("no-retry", "flaky-on-error", {"counter_file": str(tmp_path / "c"), "succeed_on": "2"}),
        ],
    )
    wt["spec"]["templates"][0]["dag"]["failFast"] = False
    result = make_runner(wt, parallelism=2).run(workflow("retries"))
    recovers, gives_up, no_retry = (result.node(n) for n in ("recovers", "gives-up", "no-retry"))
    assert (recovers.phase, recovers.attempts, recovers.outputs) == ("Succeeded", 3, {"attempt": "3"})
    assert (gives_up.phase, gives_up.attempts, gives_up.message) == ("Failed", 2, "RuntimeError: attempt 2 failed")
    assert (no_retry.phase, no_retry.attempts) == ("Failed", 1)  # OnError does not retry a non-zero exit
    assert recovers.duration_s >= 0.3  # back-off 0.1s then 0.2s
    log = (result.state_dir / "logs" / f"{recovers.name}.log").read_text()
    assert "attempt 3" in log and "retrying in 0.2s" in log
    assert result.phase == "Failed"


def test_template_and_workflow_deadlines(make_runner) -> None:
    wt = workflow_template("slow", [task("nap", "sleep", {"seconds": "30"})])
    result = make_runner(wt).run(workflow("slow"))
    assert result.node("nap").phase == "Failed"
    assert result.node("nap").message == "activeDeadlineSeconds exceeded"
    assert result.node("nap").duration_s < 10

    wt2 = workflow_template(
        "slower", [task("nap", "sleep-long", {"seconds": "30"}), task("after", "add", {"a": "1"}, depends="nap")]
    )
    result = make_runner(wt2).run(workflow("slower", activeDeadlineSeconds=1))
    assert result.phase == "Failed" and "activeDeadlineSeconds exceeded" in result.message
    assert result.node("nap").phase == "Failed"
    assert result.node("after").phase == "Omitted"  # nothing new starts after the deadline
    assert result.timings.total_s < 10


def _approval_wt(tmp_path: Path) -> dict:
    return workflow_template(
        "gated",
        [
            task("build", "add", {"a": "1"}),
            task("gate", "approval", local=True, depends="build"),
            task(
                "rollout",
                "record",
                {"path": str(tmp_path / "rollout.txt"), "text": "{{tasks.gate.outputs.parameters.approve}}"},
                depends="gate",
                when="{{tasks.gate.outputs.parameters.approve}} == YES",
            ),
        ],
        templates=[approval_template()],
    )


def test_suspend_then_resume_approve_in_a_new_runner(make_runner, tmp_path: Path) -> None:
    wt = _approval_wt(tmp_path)
    result = make_runner(wt).run(workflow("gated"))
    assert result.phase == "Suspended" and result.node("gate").phase == "Suspended"
    assert result.node("build").phase == "Succeeded" and f"{result.workflow_name}.rollout" not in result.nodes
    state = json.loads((result.state_dir / "state.json").read_text())
    assert state["phase"] == "Suspended" and state["uid"] == result.uid

    resumed = make_runner(wt).resume(result.workflow_name, approve=True)  # a fresh runner: state from disk
    assert resumed.phase == "Succeeded", resumed.message
    assert resumed.uid == result.uid
    assert resumed.node("gate").outputs == {"approve": "YES"}
    assert (tmp_path / "rollout.txt").read_text() == "YES\n"
    with pytest.raises(StateError, match="not Suspended"):
        make_runner(wt).resume(result.workflow_name)


def test_reject_with_parameters_skips_and_reject_without_fails(make_runner, tmp_path: Path) -> None:
    wt = _approval_wt(tmp_path)
    runner = make_runner(wt)
    first = runner.run(workflow("gated"))
    rejected = runner.resume(first.workflow_name, approve=False, parameters={"approve": "NO"})
    assert rejected.phase == "Succeeded" and rejected.node("rollout").phase == "Skipped"

    second = runner.run(workflow("gated"))
    with pytest.raises(Exception, match="not one of the allowed values"):
        runner.resume(second.workflow_name, parameters={"approve": "MAYBE"})
    failed = runner.resume(second.workflow_name, approve=False)
    assert failed.phase == "Failed" and failed.node("gate").message == "rejected"
    assert not (tmp_path / "rollout.txt").exists()


def test_auto_approve_and_exit_handler_sees_failure(make_runner, tmp_path: Path) -> None:
    wt = _approval_wt(tmp_path)
    wt["spec"]["templates"][0]["dag"]["tasks"].append(
        task("boom", "fail", {"message": "late failure"}, depends="rollout")
    )
    wt["spec"]["templates"].append(
        {
            "name": "notify",
            "dag": {
                "tasks": [
                    task(
                        "tell",
                        "record",
                        {"path": str(tmp_path / "status.txt"), "text": "{{workflow.status}} {{workflow.name}}"},
                    )
                ]
            },
        }
    )
    wt["spec"]["onExit"] = "notify"
    result = make_runner(wt, auto_approve=True).run(workflow("gated"))
    assert result.node("gate").phase == "Succeeded" and result.node("gate").message == "auto-approved"
    assert (tmp_path / "rollout.txt").read_text() == "YES\n"
    assert result.phase == "Failed"
    assert result.exit_handler is not None and result.exit_handler.phase == "Succeeded"
    assert (tmp_path / "status.txt").read_text() == f"Failed {result.workflow_name}\n"


def test_memoization_hit_skips_the_subprocess(make_runner) -> None:
    wt = workflow_template("memo", [task("sum", "add-memo", {"a": "2", "b": "3"})])
    runner = make_runner(wt)
    first = runner.run(workflow("memo"))
    second = runner.run(workflow("memo"))
    assert first.node("sum").memoized is False and first.node("sum").attempts == 1
    hit = second.node("sum")
    assert (hit.phase, hit.memoized, hit.outputs, hit.subprocess_s) == ("Succeeded", True, {"total": "5"}, 0.0)
    assert second.timings.subprocess_s == 0.0
    cache = json.loads((runner.state_dir / "memo" / "runner-test-cache.json").read_text())
    assert cache["add-2-3"]["outputs"] == {"total": "5"}


def test_secret_env_is_passed_but_never_persisted(make_runner, monkeypatch, tmp_path: Path) -> None:
    secret = "s3cr3t-value-do-not-leak"
    monkeypatch.setenv("RUNNER_TEST_TOKEN", secret)
    wt = workflow_template("secret", [task("peek", "show-env", {"name": "RUNNER_TEST_TOKEN"})])
    result = make_runner(wt, parallelism=2).run(workflow("secret"))
    assert result.phase == "Succeeded", result.message
    assert result.node("peek").outputs["length"] == str(len(secret))
    assert result.node("peek").outputs["threads"] == str(available_cpus(os.environ))  # alone: every core it may use
    for path in (tmp_path / "runs").rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
    assert (
        "value of RUNNER_TEST_TOKEN: ***" in (result.state_dir / "logs" / f"{result.node('peek').name}.log").read_text()
    )

    monkeypatch.delenv("RUNNER_TEST_TOKEN")
    missing = make_runner(wt).run(workflow("secret"))
    assert missing.node("peek").phase == "Error"
    assert "Secret 'llmops-secrets' key 'token'" in missing.node("peek").message
    assert "set the environment variable RUNNER_TEST_TOKEN" in missing.node("peek").message


def test_locked_down_script_runs_with_the_runners_own_paths(make_runner, monkeypatch, tmp_path: Path) -> None:
    """Pod security and emptyDir scratch are cluster concerns: an env value under a mountPath keeps the
    runner's own variable (unset when it has none), other values are passed."""
    wt = workflow_template(
        "locked",
        [
            task("dir", "show-env-locked", {"name": "RUNNER_TEST_DIR"}),
            task("plain", "show-env-locked", {"name": "RUNNER_TEST_PLAIN"}),
        ],
    )
    monkeypatch.setenv("RUNNER_TEST_DIR", str(tmp_path / "mine"))
    result = make_runner(wt).run(workflow("locked"))
    assert result.phase == "Succeeded", result.message
    assert result.node("dir").outputs["length"] == str(len(str(tmp_path / "mine")))
    assert result.node("plain").outputs["length"] == str(len("plain"))
    monkeypatch.delenv("RUNNER_TEST_DIR")
    assert make_runner(wt).run(workflow("locked")).node("dir").outputs["length"] == "0"


def test_volumes_other_than_empty_dir_are_rejected(tmp_path: Path) -> None:
    cwt = fixture_cwt()
    locked = next(t for t in cwt["spec"]["templates"] if t["name"] == "show-env-locked")
    locked["volumes"][0] = {"name": "scratch", "hostPath": {"path": "/"}}
    wt = workflow_template("locked", [task("dir", "show-env-locked", {"name": "RUNNER_TEST_DIR"})])
    with pytest.raises(UnsupportedFieldError, match=r"volumes\[0\]\.hostPath: 'hostPath' is not supported"):
        LocalRunner(templates=[cwt, wt], state_dir=tmp_path / "runs").run(workflow("locked"))


def test_runner_rejects_non_template_manifests(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="expected a named WorkflowTemplate or ClusterWorkflowTemplate"):
        LocalRunner(templates=[{"kind": "ConfigMap", "metadata": {"name": "x"}}], state_dir=tmp_path)


def test_a_cache_key_argo_would_refuse_fails_the_node(make_runner) -> None:
    wt = workflow_template("memo-bad", [task("sum", "add-memo", {"a": "2.5", "b": "3"})])
    result = make_runner(wt).run(workflow("memo-bad"))
    node = result.node("sum")
    assert node.phase == "Error" and "'add-2.5-3' is not a valid Argo cache key" in node.message
    assert node.attempts == 0  # refused before any step process started
