"""A flywheel simulation's record: one MLflow run with the rounds as metrics over steps, the table, the chart and
the traffic drops, and links both ways to the drift checks and the runs it triggered."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import asdict
from pathlib import Path

from steps.logic.flywheel_rounds import Round, table

RUN_PREFIX = "flywheel-simulation"
SIMULATION_TAG = "llmops.simulation_run"  # on each drift check and triggered run: the simulation's MLflow run


def log(flywheel, spec, settings, rounds: list[Round], metric: str, traffic: Path) -> str:
    """Log the simulation to the run spec's experiment; returns the MLflow run id."""
    from steps import report_charts, tracking
    from workflows import parameters

    experiment = next(p.value(spec) for p in parameters.PARAMETERS if p.name == "experiment")
    tags = {
        "llmops.flywheel": flywheel.name,
        "llmops.run_spec": spec.name,
        "llmops.simulation.rounds": str(len(rounds)),
        "llmops.simulation.releases": str(sum(bool(r.released_version) for r in rounds)),
    }
    run_id = tracking.open_parent(experiment, f"{RUN_PREFIX}-{flywheel.name}", str(uuid.uuid4()), tags)
    client = tracking.client()
    for key, value in {**asdict(settings), "metric": metric, "flywheel": flywheel.name}.items():
        client.log_param(run_id, key, value)
    for r in rounds:
        values = {
            "new_charge_share": r.new_charge_share,
            "answered_right": r.answered_right,
            "drift_score": r.score,
            "drift_threshold": r.threshold,
            "drifted": float(r.verdict == "drifted"),
            "released": float(bool(r.released_version)),
        }
        for key, value in values.items():
            if value is not None:
                client.log_metric(run_id, key, float(value), step=r.round)
        for linked in (r.check_run_id, r.run_id):
            if linked:
                client.set_tag(linked, SIMULATION_TAG, run_id)
    client.log_dict(run_id, {"rounds": [r.model_dump() for r in rounds]}, "simulation/rounds.json")
    client.log_text(run_id, table(rounds, metric) + "\n", "simulation/rounds.txt")
    with tempfile.TemporaryDirectory() as folder:
        chart = Path(folder) / "champion-over-rounds.png"
        if report_charts.flywheel_rounds(rounds, metric, chart):
            client.log_artifact(run_id, str(chart), "simulation")
    client.log_artifacts(run_id, str(traffic), "simulation/traffic")
    tracking.close_parent(run_id, "Succeeded")
    return run_id
