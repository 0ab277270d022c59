"""Several candidates in one run on the local platform: one base evaluation, each candidate trained and
evaluated once, a failed one leaving the others be, exactly one released, and the champion as comparator."""

import json
from pathlib import Path

from steps import tracking
from steps.registry import CHAMPION
from tests.e2e.conftest import parent_run, step_runs
from workflows import cli

MODEL = "e2e-trio"
# A learning rate this small leaves every adapter answering as the base does: the candidates tie exactly,
# so the rules must pick the cheapest. The fourth candidate names a base model that does not exist.
TRIO = {
    "variants": [
        {"name": "big", "lora": {"rank": 8, "alpha": 16}},
        {"name": "small", "lora": {"rank": 4, "alpha": 8}},
        {"name": "wide", "lora": {"rank": 16, "alpha": 32}},
        {"name": "missing", "base_model": "llmops/not-built"},
    ]
}


def _steps(parent_id: str) -> list[str]:
    """The step runs of a workflow: its children and the runs of the evaluations it reused (memoized)."""
    return sorted(step_runs(parent_id))


def _selection(parent_id: str) -> dict:
    [gate] = [run for run in tracking.children(parent_id) if run.info.run_name == "gate"]
    path = tracking.client().download_artifacts(gate.info.run_id, "gate/selection.json")
    return json.loads(Path(path).read_text(encoding="utf-8"))


def test_three_candidates_the_cheapest_of_a_tie_is_the_one_released(llmops_env, make_spec, capsys, workspace):
    spec = make_spec(
        "e2e-trio",
        customization={"learning_rate": 1e-7},
        candidates=TRIO,
        release={"registered_model_name": MODEL},
    )
    assert cli.main(["run", str(spec), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "gate: PASS" in out and "released as version 1" in out
    assert "missing" in out and "failed: no result" in out

    parent = parent_run("e2e-trio")
    steps = _steps(parent.info.run_id)
    # each candidate trained and evaluated once; the base model evaluated once for all of them
    for name in ("big", "small", "wide"):
        assert steps.count(f"customize-{name}") == 1 and steps.count(f"business-eval-candidate-{name}") == 1
        assert steps.count(f"benchmark-squad-candidate-{name}") == 1 and f"candidate-{name}" in steps
    # the base model is evaluated once for all of them (its benchmarks at most once: an earlier run of the
    # e2e workspace may have memoized them)
    assert steps.count("business-eval-base") == 1 and steps.count("benchmark-squad-base") <= 1
    assert "business-eval-champion" not in steps  # no champion yet

    # the candidates share no MLflow run and no adapter folder
    runs = {run.info.run_name: run for run in tracking.children(parent.info.run_id)}
    trained = {name: runs[f"customize-{name}"] for name in ("big", "small", "wide")}
    assert {name: run.data.tags["llmops.candidate"] for name, run in trained.items()} == {n: n for n in trained}
    adapters = {name: run.data.tags["adapter_id"] for name, run in trained.items()}
    assert len(set(adapters.values())) == 3 and all(name in adapters[name] for name in adapters)
    folders = {workspace / "customization" / "adapters" / adapter for adapter in adapters.values()}
    assert len(folders) == 3 and all(folder.is_dir() for folder in folders)

    selection = _selection(parent.info.run_id)
    assert selection["winner"] == "small" and selection["failed"] == ["missing"]
    assert [v["name"] for v in selection["verdicts"]] == ["small", "big", "wide"]
    assert "costs least" in selection["reasons"][0]
    client = tracking.client()
    champion = client.get_model_version_by_alias(MODEL, CHAMPION)
    assert champion.tags["adapter_id"] == next(v["adapter_id"] for v in selection["verdicts"] if v["name"] == "small")
    assert len(client.search_model_versions(f"name = '{MODEL}'")) == 1  # only the released one is registered
    tags = parent.data.tags
    assert tags["llmops.gate.candidate"] == "small"
    planned = json.loads(parent.data.params["candidates"])["variants"]
    assert [v["name"] for v in planned] == ["big", "small", "wide", "missing"]
    report = client.download_artifacts(parent.info.run_id, "report.md")
    text = Path(report).read_text(encoding="utf-8")
    assert text.startswith("PASS") and "## Candidates" in text and "| 1 | small |" in text


def test_a_candidate_must_beat_the_champion_not_only_its_base(llmops_env, make_spec, capsys):
    """The next run meets the released champion: a candidate no better than it is not released."""
    spec = make_spec(
        "e2e-trio-again",
        customization={"learning_rate": 1e-7, "seed": 1},
        release={"registered_model_name": MODEL},
        gate={"min_gain_over_champion": 0.01},
    )
    assert cli.main(["run", str(spec), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "gate: BLOCKED" in out and "vs champion" in out
    parent = parent_run("e2e-trio-again")
    steps = _steps(parent.info.run_id)
    # the champion's scores are those it got as candidate `small` of the first run, on the same testing rows and
    # benchmark items (memoized: no new step; the gate and the report read the first run's)
    assert "business-eval-champion" not in steps and "business-eval-candidate-small" in steps
    assert "benchmark-squad-champion" not in steps and "benchmark-squad-candidate-small" in steps
    selection = _selection(parent.info.run_id)
    assert selection["winner"] is None
    reasons = selection["verdicts"][0]["decision"]["reasons"]
    assert any(r.startswith("vs champion: answer.change_reason_balanced: business gain +0.0000") for r in reasons)
    assert str(tracking.client().get_model_version_by_alias(MODEL, CHAMPION).version) == "1"  # unchanged
