"""`retry` runs again what did not succeed, as `argo retry` does: after a failure, and after the runner or a
step was killed at seeded random points. Succeeded steps are kept (never started again), fan-out items that
failed are created again, leftover step processes are stopped before their node runs again, and the exit
handler runs again with the new status."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.runner.manifests import task, workflow_template
from workflows.local_runner.errors import StateError
from workflows.local_runner.leftovers import PID_FILE, leftover_process
from workflows.local_runner.retry import retry_nodes
from workflows.local_runner.state import RunStore

REPO = Path(__file__).resolve().parents[2]
NAME = "fanned"


def _template(tmp_path: Path, seconds: float = 0.0) -> dict:
    log, status = str(tmp_path / "log.txt"), str(tmp_path / "status.txt")

    def work(name: str, text: str, **fields) -> dict:
        args = {"path": log, "text": text, "seconds": str(seconds), "poison": str(tmp_path / f"poison-{text}")}
        return task(name, "work", args, **fields)

    wt = workflow_template(
        "fanned-template",
        [
            work("first", "first"),
            task("list", "make-list", {"count": "3"}, depends="first"),
            {
                **work("each", "item-{{item.n}}", depends="list"),
                "withParam": "{{tasks.list.outputs.parameters.items}}",
            },
            work("last", "last", depends="each"),
        ],
        templates=[
            {
                "name": "notify",
                "dag": {"tasks": [task("tell", "record", {"path": status, "text": "{{workflow.status}}"})]},
            }
        ],
        onExit="notify",
    )
    return wt


def _workflow() -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": NAME, "namespace": "llmops"},
        "spec": {"workflowTemplateRef": {"name": "fanned-template"}},
    }


def _lines(tmp_path: Path, word: str) -> Counter:
    text = (tmp_path / "log.txt").read_text() if (tmp_path / "log.txt").exists() else ""
    return Counter(line.split()[1] for line in text.splitlines() if line.startswith(word + " "))


def test_retry_after_a_failure_runs_only_what_did_not_succeed(make_runner, tmp_path: Path) -> None:
    (tmp_path / "poison-item-1").touch()
    runner = make_runner(_template(tmp_path))
    failed = runner.run(_workflow())
    assert failed.phase == "Failed" and failed.node("last").phase == "Omitted"
    kept = {k: n.started for k, n in failed.nodes.items() if n.phase == "Succeeded" and ".onExit" not in k}

    (tmp_path / "poison-item-1").unlink()
    retried = make_runner(_template(tmp_path)).retry(NAME)

    assert retried.phase == "Succeeded", retried.message
    assert retried.uid == failed.uid
    assert {name: retried.nodes[name].started for name in kept} == kept  # kept, not run again
    assert _lines(tmp_path, "start") == {"first": 1, "item-0": 1, "item-1": 2, "item-2": 1, "last": 1}
    assert _lines(tmp_path, "done") == {"first": 1, "item-0": 1, "item-1": 1, "item-2": 1, "last": 1}
    assert (tmp_path / "status.txt").read_text() == "Failed\nSucceeded\n"  # the exit handler ran again
    assert len(retried.node("each").children) == 3


def test_retry_refuses_runs_that_succeeded_wait_for_approval_or_are_being_driven(make_runner, tmp_path) -> None:
    runner = make_runner(_template(tmp_path))
    runner.run(_workflow())
    with pytest.raises(StateError, match="Succeeded: there is nothing to retry"):
        runner.retry(NAME)
    store = RunStore(tmp_path / "runs", NAME)
    state = store.load()
    state.phase = "Failed"
    store.save(state)
    with store.hold(), pytest.raises(StateError, match="being driven by another process"):
        runner.retry(NAME)


def test_retry_keeps_what_a_succeeded_dag_holds_and_resets_the_rest() -> None:
    from workflows.local_runner.results import NodeResult

    def node(name, type_, phase, parent=None, children=()):
        return NodeResult(
            name=name, display_name=name, type=type_, template="t", phase=phase, parent=parent, children=list(children)
        )

    nodes = {
        "w": node("w", "DAG", "Failed", children=["w.ok", "w.inner", "w.fan", "w.later"]),
        "w.ok": node("w.ok", "DAG", "Succeeded", "w", ["w.ok.handled"]),
        "w.ok.handled": node("w.ok.handled", "Pod", "Failed", "w.ok"),  # a failure its DAG handled
        "w.inner": node("w.inner", "DAG", "Failed", "w", ["w.inner.a", "w.inner.b"]),
        "w.inner.a": node("w.inner.a", "Pod", "Succeeded", "w.inner"),
        "w.inner.b": node("w.inner.b", "Pod", "Error", "w.inner"),
        "w.fan": node("w.fan", "TaskGroup", "Failed", "w", ["w.fan(0:x)"]),
        "w.fan(0:x)": node("w.fan(0:x)", "Pod", "Failed", "w.fan"),
        "w.later": node("w.later", "Pod", "Omitted", "w"),
        "w.onExit": node("w.onExit", "DAG", "Succeeded", children=["w.onExit.tell"]),
        "w.onExit.tell": node("w.onExit.tell", "Pod", "Succeeded", "w.onExit"),
    }
    removed = retry_nodes(nodes, "w")
    assert sorted(removed) == sorted(["w.onExit", "w.onExit.tell", "w.inner.b", "w.fan(0:x)", "w.fan", "w.later"])
    assert {k: n.phase for k, n in nodes.items()} == {
        "w": "Running",
        "w.ok": "Succeeded",
        "w.ok.handled": "Failed",
        "w.inner": "Running",
        "w.inner.a": "Succeeded",
    }
    assert nodes["w"].children == ["w.ok", "w.inner"] and nodes["w.inner"].children == ["w.inner.a"]


# ------------------------------------------------------------------------------------ kill and retry
def _drive(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.runner.drive_fixture", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _recorded(run_dir: Path) -> list[int]:
    """Step processes of the run that are still alive."""
    return [p.pid for f in run_dir.glob(f"work/*/attempt-*/{PID_FILE}") if (p := leftover_process(f)) is not None]


def _kill(proc: subprocess.Popen, how: str, run_dir: Path) -> None:
    if how != "step-kill":
        proc.send_signal(signal.SIGKILL if how == "runner-kill" else signal.SIGTERM)
        return
    while proc.poll() is None:  # a step process, as the kernel's OOM killer would
        alive = _recorded(run_dir)
        if alive:
            os.kill(alive[0], signal.SIGKILL)
            return
        time.sleep(0.05)


POINTS = [(seed, random.Random(seed).choice(["runner-kill", "runner-term", "step-kill"])) for seed in range(10)]


@pytest.mark.parametrize(("seed", "how"), POINTS, ids=[f"{s}-{h}" for s, h in POINTS])
def test_a_run_killed_at_a_random_point_is_retried_to_the_end(tmp_path: Path, seed: int, how: str) -> None:
    state_dir = tmp_path / "runs"
    state_dir.mkdir()
    (state_dir / "templates.json").write_text(json.dumps([_template(tmp_path, seconds=0.5)]))
    (tmp_path / "workflow.json").write_text(json.dumps(_workflow()))
    run_dir = state_dir / NAME

    proc = _drive("run", str(state_dir), str(tmp_path / "workflow.json"))
    while not (run_dir / "state.json").exists() and proc.poll() is None:  # the run has started
        time.sleep(0.02)
    time.sleep(random.Random(seed).uniform(0.0, 2.0))
    _kill(proc, how, run_dir)
    out = proc.communicate(timeout=60)[0]
    state = RunStore(state_dir, NAME).load()
    if how == "runner-term":
        assert (state.phase, state.message) == ("Error", "interrupted"), out
        assert _recorded(run_dir) == []  # an interrupted runner stops its steps itself
    if state.phase == "Succeeded":
        pytest.skip(f"the run ended before the {how} point (seed {seed}); nothing to retry")
    kept = {k for k, n in state.nodes.items() if n.phase == "Succeeded" and "text" in n.inputs and ".onExit" not in k}
    started = _lines(tmp_path, "start")

    retry = _drive("retry", str(state_dir), NAME)
    out = retry.communicate(timeout=120)[0]
    assert retry.returncode == 0 and out.startswith("Succeeded"), out
    time.sleep(0.6)  # what a leftover step would still write, had it not been stopped
    final = RunStore(state_dir, NAME).load()
    assert final.phase == "Succeeded" and _recorded(run_dir) == []
    texts = {name: final.nodes[name].inputs["text"] for name in kept}
    after = _lines(tmp_path, "start")
    assert {texts[n]: after[texts[n]] for n in kept} == {texts[n]: started[texts[n]] for n in kept}  # not rerun
    done = _lines(tmp_path, "done")
    assert set(done) == {"first", "item-0", "item-1", "item-2", "last"}
    assert all(count == 1 for text, count in done.items() if text in texts.values()), done
    assert (tmp_path / "status.txt").read_text().splitlines()[-1] == "Succeeded"
