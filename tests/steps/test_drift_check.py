"""Step drift-check on the local platform: no champion, not enough data, drifted and stable verdicts, each logged
as an MLflow run tagged with the verdict. The metric reads only the labels (a string-check on `item.reference`),
so the verdicts do not depend on what the tiny model answers; the model still answers every scored record."""

import json
import os

import pytest

from steps import tracking
from steps.errors import InvalidInputError
from tests.steps.test_steps import ROOT
from tests.unit.curation_logs import lines, log

MODEL = "drift-test-model"
METRIC = "label.string-check"
METRICS = [{"name": "label", "type": "string-check", "check": ["{{item.reference}}", "contains", "good"]}]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("drift-ws")
    saved = dict(os.environ)
    os.environ.update({"LLMOPS_WORKSPACE": str(path), "LLMOPS_PROJECT_DIR": str(ROOT), "LLMOPS_PLATFORM": "local"})
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield path
    os.environ.clear()
    os.environ.update(saved)


def _records(path, good: int, bad: int):
    records = [
        log(f"question {index}?", "the logged answer", id=f"r{index}", feedback={"corrected": "a good answer"})
        for index in range(good)
    ]
    records += [
        log(f"other question {index}?", "the logged answer", id=f"b{index}", reference="a bad answer")
        for index in range(bad)
    ]
    records.append(log("unlabelled?", "the logged answer", id="u0"))  # no label: not scored
    path.write_text("\n".join(lines(*records)) + "\n")
    return path


def _inputs(source, uid: str, **policy):
    from steps.drift_check import DriftCheckInput

    return DriftCheckInput(
        flywheel="demo",
        run_spec_name="demo-spec",
        experiment="drift-tests",
        workflow_name=f"demo-drift-{uid}",
        workflow_uid=uid,
        platform="",
        registered_model_name=MODEL,
        business_metrics=json.dumps(METRICS),
        business_headline="",
        business_max_tokens=4,
        drift_policy=json.dumps({"source": str(source), "max_drop": 0.1, "min_records": 4, **policy}),
    )


def _tags(run_id: str) -> dict[str, str]:
    return tracking.client().get_run(run_id).data.tags


def test_without_a_champion_nothing_has_drifted(ws, tmp_path):
    from steps.drift_check import drift_check

    out = drift_check(_inputs(_records(tmp_path / "logs.jsonl", 2, 4), "uid-none"))
    assert (out.drifted, out.status) == ("false", "no-champion")
    assert "nothing released yet" in out.reason and "6 labelled records" in out.reason
    tags = _tags(out.mlflow_run_id)
    assert tags["llmops.drift.verdict"] == "no-champion" and tags["llmops.drift.drifted"] == "false"


@pytest.fixture(scope="module")
def champion(ws):
    """A released version whose gate row recorded 0.9 on the watched score (base model only: no adapter)."""
    client = tracking.client()
    client.create_registered_model(MODEL)
    row = json.dumps({"kind": "business", "base": 0.2, "candidate": 0.9})
    tags = {"adapter_id": "", "base_model": "llmops/tiny-llama", f"gate.{METRIC}": row}
    version = client.create_model_version(MODEL, source="file:///tmp/drift-test-adapter", tags=tags)
    client.set_registered_model_alias(MODEL, "champion", version.version)
    return str(version.version)


def test_too_few_labelled_records_decide_nothing(champion, tmp_path):
    from steps.drift_check import drift_check

    out = drift_check(_inputs(_records(tmp_path / "few.jsonl", 1, 1), "uid-few"))
    assert (out.drifted, out.status) == ("false", "insufficient-data")
    assert "2 labelled records, fewer than min_records 4" in out.reason


def test_labels_that_score_below_the_release_score_minus_max_drop_have_drifted(champion, tmp_path):
    from steps.drift_check import drift_check

    out = drift_check(_inputs(_records(tmp_path / "drifted.jsonl", 2, 4), "uid-drifted", floor=0.2))
    assert (out.drifted, out.status) == ("true", "drifted")
    assert out.reason.startswith(f"drifted: {METRIC} = 0.3333")
    assert f"is below 0.8000 ({MODEL} v{champion}'s release score 0.9000 - max_drop 0.1000; floor 0.2000)" in out.reason
    run = tracking.client().get_run(out.mlflow_run_id)
    assert run.data.tags["llmops.drift.verdict"] == "drifted" and run.data.tags["llmops.flywheel"] == "demo"
    assert run.data.tags["llmops.champion_version"] == champion
    metrics = run.data.metrics
    assert metrics["drift_records"] == 6 and metrics["drift_reference"] == pytest.approx(0.9)
    assert metrics["drift_threshold"] == pytest.approx(0.8) and metrics["drift_score"] == pytest.approx(1 / 3)
    assert run.data.params["source"].endswith("drifted.jsonl") and run.info.status == "FINISHED"


def test_labels_that_keep_the_score_are_stable(champion, tmp_path):
    from steps.drift_check import drift_check

    out = drift_check(_inputs(_records(tmp_path / "stable.jsonl", 5, 0), "uid-stable"))
    assert (out.drifted, out.status) == ("false", "stable")
    assert "= 1.0000" in out.reason and "at or above 0.8000" in out.reason


def test_a_bad_policy_is_refused_naming_the_field(ws, tmp_path):
    from steps.drift_check import drift_check

    with pytest.raises(InvalidInputError) as info:
        drift_check(_inputs(tmp_path / "x.jsonl", "uid-bad", min_records=0))
    assert "drift_policy: min_records:" in str(info.value)


def test_the_cli_checks_a_flywheels_drift_and_exits_0(ws, capsys):
    from workflows import cli

    example = ROOT / "workflows" / "flywheels" / "bill-explainer.yaml"
    assert cli.main(["flywheel", "check-drift", str(example), "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "no champion: 'bill-explainer'" in out and "tag llmops.drift.verdict=no-champion" in out


def test_the_cli_refuses_a_flywheel_without_a_drift_section(ws, tmp_path, capsys):
    from workflows import cli

    spec = tmp_path / "plain.yaml"
    spec.write_text("name: plain\nrun_spec: workflows/runs/bill-explainer.yaml\nschedule: {cron: '@daily'}\n")
    assert cli.main(["flywheel", "check-drift", str(spec), "--workspace", str(ws)]) == 2
    assert "has no drift section" in capsys.readouterr().err
