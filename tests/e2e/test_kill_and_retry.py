"""Kill and retry with the real pipeline on the local platform.

The runner is killed (SIGKILL) while the candidate trains; `llmops retry` is stopped (SIGTERM, as `kill` or a
closing terminal sends it) while the candidate is evaluated; a second `llmops retry` completes the run.
Completed steps do not run again, the customization job is trained to completion once, what the killed run
left running is stopped before its node runs again, every node keeps one MLflow child run, and the parent
run ends FINISHED with the workflow's status."""

import json
import os
import signal

from steps import tracking
from tests.e2e.cli_process import Cli
from tests.e2e.conftest import duplicated_child_runs, workspace_env
from workflows.local_runner.leftovers import PID_FILE, leftover_process
from workflows.local_runner.state import RunStore

LEARNING_RATE = 0.0007  # a customization job no other test trains


def test_a_run_killed_while_training_and_stopped_while_evaluating_is_retried_to_the_end(
    workspace, make_spec, monkeypatch
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(workspace_env(workspace))
    spec = make_spec("e2e-killed", customization={"learning_rate": LEARNING_RATE})

    first = Cli(env, "run", str(spec), "--auto-approve")
    name = first.run_name()
    store = RunStore(workspace / "runs", name)
    run_dir = store.directory
    trainer = first.started(store, "*.candidate(*).customize", after_s=1.0)
    first.proc.send_signal(signal.SIGKILL)
    first.wait()
    assert store.load().phase == "Running"  # as the killed runner left it

    second = Cli(env, "retry", name, "--auto-approve")
    second.started(store, "*.candidate(*).evaluate.business-eval", after_s=2.0)
    second.proc.send_signal(signal.SIGTERM)
    code, out = second.wait()
    assert code == 130 and f"llmops retry {name}" in out, out[-3000:]
    state = store.load()
    assert (state.phase, state.message) == ("Error", "interrupted")
    assert not trainer.is_running()  # stopped by the retry (or ended on its own), never training beside it
    kept = {k: n.started for k, n in state.nodes.items() if n.phase == "Succeeded" and ".onExit" not in k}
    assert any(k.endswith(".customize") for k in kept)

    code, out = Cli(env, "retry", name, "--auto-approve").wait()
    assert code == 0 and "gate: PASS" in out, out[-3000:]
    final = store.load()
    assert final.phase == "Succeeded"
    assert {k: final.nodes[k].started for k in kept} == kept  # what succeeded was not run again
    assert all(leftover_process(f) is None for f in run_dir.glob(f"work/*/attempt-*/{PID_FILE}"))

    jobs = [json.loads(p.read_text()) for p in workspace.glob("customization/jobs/*.json")]
    mine = [j for j in jobs if j["hyperparameters"]["learning_rate"] == LEARNING_RATE]
    assert [j["status"] for j in mine] == ["completed"]

    monkeypatch.setenv("LLMOPS_WORKSPACE", env["LLMOPS_WORKSPACE"])  # read the run's own tracking database
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    client = tracking.client()
    [parent] = client.search_runs(
        [client.get_experiment_by_name("llmops").experiment_id], filter_string="tags.`llmops.run_spec` = 'e2e-killed'"
    )
    children = tracking.children(parent.info.run_id)
    assert parent.info.status == "FINISHED" and parent.data.tags["argo.workflow.status"] == "Succeeded"
    assert duplicated_child_runs(children) == {}  # one child run per node (a name repeats: deploy-base per branch)
    assert {"customize", "business-eval-candidate", "gate"} <= {run.info.run_name for run in children}
    assert {run.info.status for run in children} == {"FINISHED"}
