"""Runs at once on one workspace: two run specs and the same run spec twice, started together as separate
`llmops run` processes. All complete, each under its own name with its own MLflow parent run; the shared
files (run states, memoization cache, customization jobs, entity index) stay readable; a customization job two
runs ask for at once is trained once (the second waits for it, then finds it) and registered once."""

import json
import os
import subprocess
import sys

from steps import registry, tracking
from tests.e2e.conftest import ROOT, workspace_env


def _start(spec, env):
    return subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "run", str(spec), "--auto-approve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_specs_and_the_same_spec_twice_run_at_once(tmp_path, make_spec, monkeypatch):
    workspace = tmp_path / "workspace"
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID")}
    env.update(workspace_env(workspace))
    first = make_spec("together-a")
    second = make_spec("together-b", customization={"learning_rate": 0.002})
    procs = [_start(first, env), _start(second, env), _start(first, env)]
    outputs = [proc.communicate(timeout=1500)[0] for proc in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out[-3000:]
        assert "gate: PASS" in out

    runs = workspace / "runs"
    names = sorted(p.parent.name for p in runs.glob("*/state.json"))
    assert len(names) == 3 and len({n.rsplit("-", 1)[0] if n.endswith("-2") else n for n in names}) == 2, names
    for name in names:
        state = json.loads((runs / name / "state.json").read_text())
        assert state["phase"] == "Succeeded", (name, state["message"])
    for path in [*runs.glob("memo/*.json"), *workspace.glob("customization/jobs/*.json"), workspace / "entities.json"]:
        json.loads(path.read_text())  # no torn or interleaved write

    jobs = [json.loads(p.read_text()) for p in workspace.glob("customization/jobs/*.json")]
    assert len(jobs) == 2 and all(job["status"] == "completed" for job in jobs), jobs
    assert len(list(workspace.glob("customization/adapters/*"))) == 2  # one adapter per distinct job

    monkeypatch.setenv("LLMOPS_WORKSPACE", str(workspace))  # read the runs' own tracking database
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    client = tracking.client()
    experiment = client.get_experiment_by_name("llmops").experiment_id
    for spec_name, count in (("together-a", 2), ("together-b", 1)):
        parents = client.search_runs([experiment], filter_string=f"tags.`llmops.run_spec` = '{spec_name}'")
        assert len(parents) == count and all(p.info.status == "FINISHED" for p in parents), spec_name
        assert len({p.data.tags["argo.workflow.name"] for p in parents}) == count
        for parent in parents:
            children = [run.info.run_name for run in tracking.children(parent.info.run_id)]
            twice = {name: children.count(name) for name in children if children.count(name) > 1}
            assert twice == {"deploy-base": 2}, twice  # the base-model branch and the candidate each deploy it
    for model in client.search_registered_models():
        adapters = [v.tags[registry.ADAPTER_TAG] for v in client.search_model_versions(f"name = '{model.name}'")]
        assert adapters and len(adapters) == len(set(adapters)), (model.name, adapters)
