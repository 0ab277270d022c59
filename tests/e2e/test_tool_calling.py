"""The tool-calling use case runs end to end: `workflows/runs/tool-calling.yaml` unchanged.

SYNTHETIC xLAM-layout queries, the tools listed in the local prompt, calls parsed back into OpenAI
`tool_calls`, the tool-calling metric on held-out queries for base and candidate, and the gate's rows for
the headline, the arguments' tolerance and the benchmarks. What the tiny local base reaches is measured in
docs/tool-calling.md; this test holds the run to it.
"""

import json

from steps import tracking
from tests.e2e.conftest import ROOT, parent_run, step_runs
from workflows import cli, runspec

SPEC = ROOT / "workflows" / "runs" / "tool-calling.yaml"
NAMES, ARGS = "tools.function_name_accuracy", "tools.function_name_and_args_accuracy"


def test_the_tool_calling_run_learns_the_calls_and_the_gate_weighs_them_against_the_benchmarks(llmops_env, capsys):
    spec = runspec.load(SPEC)
    assert spec.business_eval.headline == NAMES and spec.gate.max_business_regression == {ARGS: 0.05}
    assert cli.main(["run", str(SPEC), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "workflow tool-calling-" in out and ": Succeeded" in out
    client, parent = tracking.client(), parent_run("tool-calling")
    children = step_runs(parent.info.run_id)
    base, candidate = children["business-eval-base"].data.metrics, children["business-eval-candidate"].data.metrics
    # Both scores are reported for both models; the base calls no tool right but on the no-call rows.
    assert {NAMES, ARGS} <= set(base) and {NAMES, ARGS} <= set(candidate)
    assert base[NAMES] <= 0.2
    assert candidate[NAMES] - base[NAMES] >= 0.4  # measured +0.46
    with open(client.download_artifacts(children["gate"].info.run_id, "gate/decision.json"), encoding="utf-8") as f:
        decision = json.load(f)
    rows = {row["name"]: row for row in decision["rows"]}
    assert rows[NAMES]["threshold"] == 0.4 and rows[NAMES]["interval_kind"] == "paired" and rows[NAMES]["passed"]
    args = rows[ARGS]  # held to its tolerance, from the scores business-eval reports besides the headline
    assert args["threshold"] == -0.05 and args["base"] == base[ARGS] and args["candidate"] == candidate[ARGS]
    # The adapter that learns the calls forgets the base's arithmetic and recall: the gate blocks it on them.
    assert parent.data.tags["llmops.gate.decision"] == "block"
    assert {r.split(":")[0] for r in decision["reasons"]} == {"gsm8k", "triviaqa"}, decision["reasons"]
    assert all("regression" in r for r in decision["reasons"])
