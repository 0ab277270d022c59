"""A run spec with its own dataset layout and metric list runs end to end: no code knows the use case.

`workflows/runs/support-tickets.yaml` unchanged: prompt/completion tickets, a number-check headline,
a string-check and a regex string-check, scored per item for base and candidate, compared pairwise by
the gate.
"""

import json

from steps import tracking
from tests.e2e.conftest import ROOT, parent_run, step_runs
from workflows import cli, runspec

SPEC = ROOT / "workflows" / "runs" / "support-tickets.yaml"
SCORES = ("team.string-check", "priority.number-check", "reply_format.string-check")


def test_a_run_spec_with_its_own_metrics_runs_end_to_end(llmops_env, capsys):
    spec = runspec.load(SPEC)
    assert cli.main(["run", str(SPEC), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "workflow support-tickets-" in out and ": Succeeded" in out
    client, parent = tracking.client(), parent_run("support-tickets")
    children = step_runs(parent.info.run_id)  # an evaluation memoized by an earlier run is that run's
    for target in ("base", "candidate"):
        run = children[f"business-eval-{target}"]
        assert all(name in run.data.metrics and f"{name}_stderr" in run.data.metrics for name in SCORES)
        with open(client.download_artifacts(run.info.run_id, f"eval/{target}_items.json"), encoding="utf-8") as f:
            table = json.load(f)
        assert len(table["data"]) == 80 and set(SCORES) <= set(table["columns"])
    base, candidate = children["business-eval-base"].data.metrics, children["business-eval-candidate"].data.metrics
    assert base["reply_format.string-check"] == 0.0 and candidate["reply_format.string-check"] >= 0.9
    gate = children["gate"]
    with open(client.download_artifacts(gate.info.run_id, "gate/decision.json"), encoding="utf-8") as handle:
        rows = {row["name"]: row for row in json.load(handle)["rows"]}
    headline = rows[spec.business_eval.headline]
    assert headline["interval_kind"] == "paired" and headline["base"] == base[spec.business_eval.headline]
    assert {"gsm8k", "triviaqa"} <= set(rows)
