"""The local example has a real effect: the candidate learns the business task on customers it never
saw, keeps the base model's general skills, and the gate blocks an adapter trained too hard; and the
flywheel closes its loop: drifting traffic, a drift trigger, a release, recovery.

These run the committed run specs unchanged (full benchmark sets of 50 items, all 150 held-out
customers), in the shared e2e workspace, so the base model's benchmarks are computed once.
"""

import json

from steps import tracking
from steps.logic.selection import CHAMPION_PREFIX
from tests.e2e.conftest import AGGRESSIVE, EXAMPLE, ROOT, step_runs
from workflows import cli, runspec
from workflows.simulation_report import RUN_PREFIX, SIMULATION_TAG

LOOP = ROOT / "workflows" / "flywheels" / "bill-explainer-loop.yaml"


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


def test_drifting_traffic_triggers_a_run_whose_release_brings_the_score_back(llmops_env, capsys):
    """The closed loop, as README runs it (`llmops flywheel simulate`, three rounds of 150 requests): the champion
    answers stable traffic, then traffic in which 60 % of bills carry a charge it never saw; the drift check fires,
    the run trained on the logged traffic passes its gate against the champion and is released, and the new
    champion's score comes back. The first champion is the example's adapter (released above in this file)."""
    if not tracking.client().search_registered_models("name = 'bill-explainer'"):
        assert cli.main(["run", str(EXAMPLE), "--auto-approve"]) == 0  # this test alone
    assert cli.main(["flywheel", "simulate", str(LOOP), "--rounds", "3", "--auto-approve"]) == 0
    out = capsys.readouterr().out
    client = tracking.client()
    [simulation] = client.search_runs(
        [client.get_experiment_by_name("llmops").experiment_id],
        filter_string=f"attributes.run_name = '{RUN_PREFIX}-bill-explainer-loop'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    sim_id = simulation.info.run_id
    with open(client.download_artifacts(sim_id, "simulation/rounds.json"), encoding="utf-8") as handle:
        first, drifted, after = json.load(handle)["rounds"]
    assert (first["new_charge_share"], drifted["new_charge_share"]) == (0.0, 0.6)
    # degradation: stable on the traffic it knows, drifted once the new charge arrives
    assert first["verdict"] == "stable" and first["score"] >= first["threshold"], first
    assert drifted["verdict"] == "drifted" and drifted["score"] < drifted["threshold"], drifted
    assert drifted["score"] <= first["score"] - 0.1 and drifted["answered_right"] < first["answered_right"]
    # the trigger: a run with trigger drift, trained on every logged round so far, gated against the champion
    run = client.get_run(drifted["run_id"])
    assert run.data.tags["llmops.trigger"] == "drift" and run.data.tags[SIMULATION_TAG] == sim_id
    assert run.data.params["dataset_source"].endswith("through-round-02.jsonl")
    assert drifted["gate"] == "pass" and drifted["released_version"], drifted
    gate = step_runs(drifted["run_id"])["gate"]
    with open(client.download_artifacts(gate.info.run_id, "gate/decision.json"), encoding="utf-8") as handle:
        rows = {row["name"]: row for row in json.load(handle)["rows"]}
    versus = rows[f"{CHAMPION_PREFIX}answer.change_reason_balanced"]
    assert versus["passed"] and versus["candidate"] > versus["base"], versus  # base: the champion, same items
    # recovery: the released adapter answers the next round, back above the bar the old champion was held to
    assert after["champion_version"] == drifted["released_version"]
    assert after["score"] >= first["threshold"] and after["score"] >= drifted["score"] + 0.15, after
    check = client.get_run(after["check_run_id"])
    assert check.data.tags["llmops.champion_version"] == after["champion_version"]
    # the record: metrics per round, the chart, the table (also printed), the traffic
    history = client.get_metric_history(sim_id, "drift_score")
    assert [(m.step, round(m.value, 6)) for m in history] == [
        (r["round"], round(r["score"], 6)) for r in (first, drifted, after)
    ]
    with open(client.download_artifacts(sim_id, "simulation/champion-over-rounds.png"), "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    traffic = {a.path for a in client.list_artifacts(sim_id, "simulation/traffic")}
    assert {f"simulation/traffic/round-0{n}.jsonl" for n in (1, 2, 3)} <= traffic
    lines = out[out.index("round  new charge") :].splitlines()
    assert lines[2].split()[6:] == ["drifted", run.info.run_name, "PASS", f"v{drifted['released_version']}"]
    assert f"simulation logged as MLflow run {sim_id}" in out
