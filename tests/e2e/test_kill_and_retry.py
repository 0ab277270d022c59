"""Kill and retry with the real pipeline on the local platform.

The runner is killed (SIGKILL) while the candidate trains; `llmops retry` is stopped (SIGTERM, as `kill` or a
closing terminal sends it) while the candidate is evaluated; a second `llmops retry` completes the run.
Completed steps do not run again, the customization job is trained to completion once, what the killed run
left running is stopped before its node runs again, every node keeps one MLflow child run, and the parent
run ends FINISHED with the workflow's status."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from fnmatch import fnmatch

from steps import tracking
from tests.e2e.conftest import ROOT, workspace_env
from workflows.local_runner.leftovers import PID_FILE, _leftover
from workflows.local_runner.state import RunStore

LEARNING_RATE = 0.0007  # a customization job no other test trains


class Cli:
    """`llmops ARGS` in its own process, its output collected as it comes."""

    def __init__(self, env, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()

    def wait(self) -> tuple[int, str]:
        code = self.proc.wait(timeout=900)
        self.reader.join(timeout=10)
        return code, "".join(self.lines)

    def started(self, store, pattern, after_s=0.0):
        """Wait until the step process of the node named like `pattern` runs (and `after_s` more)."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and self.proc.poll() is None:
            nodes = store.load().nodes if store.exists() else {}
            for name in (n for n, node in nodes.items() if fnmatch(n, pattern) and node.phase == "Running"):
                pid_file = store.work_dir(name, 1) / PID_FILE
                if pid_file.exists() and (process := _leftover(pid_file)) is not None:
                    time.sleep(after_s)
                    return process
            time.sleep(0.05)
        raise AssertionError(f"{pattern} never started:\n{''.join(self.lines)[-3000:]}")


def test_a_run_killed_while_training_and_stopped_while_evaluating_is_retried_to_the_end(
    workspace, make_spec, monkeypatch
):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(workspace_env(workspace))
    spec = make_spec("e2e-killed", customization={"learning_rate": LEARNING_RATE})

    first = Cli(env, "run", str(spec), "--auto-approve")
    while not (running := [line for line in first.lines if line.startswith("running ")]):
        assert first.proc.poll() is None, "".join(first.lines)
        time.sleep(0.05)
    name = running[0].split()[1]  # "running <name> (run spec ...)"
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
    assert all(_leftover(f) is None for f in run_dir.glob(f"work/*/attempt-*/{PID_FILE}"))

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
    names = Counter(run.info.run_name for run in children)
    assert {n: c for n, c in names.items() if c > 1} == {"deploy-base": 2}, names  # two nodes deploy the base
    nodes = Counter((run.data.tags.get(tracking.NODE_TAG), run.info.run_name) for run in children)
    assert all(count == 1 for count in nodes.values()), nodes
    assert {run.info.status for run in children} == {"FINISHED"}
