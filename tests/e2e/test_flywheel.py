"""The local example has a real effect: the candidate learns the business task on customers it never
saw, keeps the base model's general skills, and the gate blocks an adapter trained too hard.

These run the committed run specs unchanged (full benchmark sets of 50 items, all 150 held-out
customers), in the shared e2e workspace, so the base model's benchmarks are computed once.
"""

import json

from steps import tracking
from steps.logic.selection import CHAMPION_PREFIX
from tests.e2e.conftest import AGGRESSIVE, EXAMPLE, step_runs
from workflows import cli, runspec


def _run(path, capsys) -> tuple[object, str, object, dict, dict]:
    """Run a committed run spec: (spec, printed output, MLflow parent run, gate rows by name, headline row)."""
    spec = runspec.load(path)
    assert cli.main(["run", str(path), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    client = tracking.client()
    [parent] = client.search_runs(
        [client.get_experiment_by_name("llmops").experiment_id],
        filter_string=f"tags.`llmops.run_spec` = '{spec.name}'",
    )
    [gate] = [run for run in tracking.children(parent.info.run_id) if run.info.run_name == "gate"]
    with open(client.download_artifacts(gate.info.run_id, "gate/decision.json"), encoding="utf-8") as handle:
        rows = {row["name"]: row for row in json.load(handle)["rows"]}
    return spec, out, parent, rows, rows[spec.business_eval.headline]


def test_example_learns_the_task_on_heldout_customers_and_passes_the_gate(llmops_env, capsys):
    spec, out, parent, rows, headline = _run(EXAMPLE, capsys)
    assert "gate: PASS" in out and "released as version" in out
    assert headline["base"] <= 0.2
    assert headline["candidate"] - headline["base"] >= 0.4, headline
    # against its base (rows against a champion released by an earlier run of the workspace aside)
    benchmarks = {
        name: row for name, row in rows.items() if row["kind"] == "benchmark" and not name.startswith(CHAMPION_PREFIX)
    }
    assert set(benchmarks) == {"gsm8k", "squad", "triviaqa"}
    assert sum(row["base"] >= 0.2 for row in benchmarks.values()) >= 2, benchmarks
    assert all(row["delta"] >= -spec.gate.max_regression for row in benchmarks.values()), benchmarks
    children = step_runs(parent.info.run_id)  # an evaluation memoized by an earlier run is that run's
    assert children["business-eval-candidate"].data.metrics["answer.valid_json"] >= 0.9
    assert children["business-eval-base"].data.metrics["answer.valid_json"] <= 0.2
    history = tracking.client().get_metric_history(children["customize"].info.run_id, "train_loss")
    assert history[-1].value < history[0].value / 4


def test_aggressive_spec_is_blocked_by_a_benchmark_regression(llmops_env, capsys):
    spec, out, parent, rows, headline = _run(AGGRESSIVE, capsys)
    assert "gate: BLOCKED" in out and "rollout: skipped" in out
    assert parent.data.tags["llmops.gate.decision"] == "block"
    assert headline["passed"]  # the business task was learned: the block comes from the benchmarks alone
    failed = [row for row in rows.values() if not row["passed"]]
    assert failed and all(row["kind"] == "benchmark" and row["delta"] < -spec.gate.max_regression for row in failed), (
        failed
    )
    assert "rollout" not in {run.info.run_name for run in tracking.children(parent.info.run_id)}
    assert not tracking.client().search_registered_models(f"name = '{spec.release.registered_model_name}'")
