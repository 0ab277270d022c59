"""End-to-end runs share one workspace per test process: the base model, base benchmarks (memoized) and the
customization job are built once and reused, as on a developer's machine. `make test` runs test files in
parallel with `--dist loadfile`, so the tests of one file always share a workspace and run in order."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from steps import tracking
from steps.reused_runs import REUSED_TAG_PREFIX

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "workflows" / "runs" / "bill-explainer.yaml"
AGGRESSIVE = ROOT / "workflows" / "runs" / "bill-explainer-aggressive.yaml"


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("llmops-e2e")


def workspace_env(workspace: Path) -> dict[str, str]:
    """What `llmops run` needs to run in `workspace` offline."""
    return {
        "LLMOPS_WORKSPACE": str(workspace),
        "LLMOPS_PROJECT_DIR": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }


def duplicated_child_runs(children) -> dict:
    """Child runs that share a workflow node and a name (a retried step must continue its own run)."""
    from collections import Counter

    from steps.tracking import NODE_TAG

    runs = Counter((run.data.tags.get(NODE_TAG), run.info.run_name) for run in children)
    return {key: count for key, count in runs.items() if count > 1}


@pytest.fixture
def llmops_env(workspace, monkeypatch) -> dict[str, str]:
    env = workspace_env(workspace)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    # the runs of a test share one warm-start server: each later run forks its steps from libraries already loaded
    monkeypatch.setenv("LLMOPS_WARM_START", "keep")
    monkeypatch.chdir(ROOT)
    return env


def fast_spec(tmp_path: Path, name: str, **overrides) -> Path:
    """The example run spec made smaller (same steps, same fan-out, fewer items) to test mechanics.

    Six training steps teach nothing and 5 benchmark items move in steps of 0.2, so this gate asks
    for no gain (over the base, or over the champion an earlier test released) and tolerates any
    regression; `test_flywheel.py` checks the verdicts on real numbers.
    """
    spec = yaml.safe_load(EXAMPLE.read_text())
    spec["name"] = name
    spec["customization"].update({"epochs": 1, "max_steps": 6})
    spec["benchmarks"].update({"suites": ["squad", "triviaqa"], "limit": 5})
    spec["business_eval"].update({"limit": 12, "max_tokens": 24})
    spec["gate"].update(
        {"min_samples": 5, "min_business_gain": 0.0, "max_regression": 1.0, "min_gain_over_champion": 0.0}
    )
    for section, values in overrides.items():
        spec.setdefault(section, {}).update(values)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


@pytest.fixture
def make_spec(tmp_path):
    return lambda name, **overrides: fast_spec(tmp_path, name, **overrides)


def parent_run(spec_name: str) -> Any:
    """The workflow's parent run of the one run of `spec_name` in the experiment `llmops`."""
    client = tracking.client()
    [parent] = client.search_runs(
        [client.get_experiment_by_name("llmops").experiment_id],
        filter_string=f"tags.`llmops.run_spec` = '{spec_name}'",
    )
    return parent


def step_runs(parent_id: str) -> dict[str, Any]:
    """A workflow's step runs by name: its child runs, and the earlier runs whose memoized evaluations it reused.

    A memoized evaluation has no child run in this workflow; the parent run names the run that computed it
    (`llmops.reused.<step>`): a finished run of that step under another parent. A child of the same name wins
    (a champion's benchmark reused from its run as a candidate may share the name of this run's candidate's)."""
    children = {run.info.run_name: run for run in tracking.children(parent_id)}
    assert all(run.data.tags["mlflow.parentRunId"] == parent_id for run in children.values())
    tags = tracking.client().get_run(parent_id).data.tags
    named = {key.removeprefix(REUSED_TAG_PREFIX): run for key, run in tags.items() if key.startswith(REUSED_TAG_PREFIX)}
    reused = {run.info.run_name: run for run in tracking.reused(parent_id)}
    assert {name: run.info.run_id for name, run in reused.items()} == named, "a reuse tag names a missing run"
    assert all(run.data.tags["mlflow.parentRunId"] != parent_id for run in reused.values())
    assert all(run.info.status == "FINISHED" for run in reused.values())
    return reused | children
