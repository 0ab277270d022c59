"""Step prepare-data on format production-logs: curated splits stored through the datastore port, the curation
report, rules and time window in MLflow, nothing stored when a malformed line fails the batch, and synthetic
rows never in the testing split."""

import json
import os

import pytest

from steps import platforms, tracking
from steps.contracts import TESTING_FILE, TRAINING_FILE, VALIDATION_FILE
from steps.errors import InvalidInputError
from tests.steps.test_steps import ROOT, _open_run_inputs, step_inputs
from tests.unit.curation_logs import lines, log, many


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("curated-ws")
    saved = dict(os.environ)
    os.environ.update({"LLMOPS_WORKSPACE": str(path), "LLMOPS_PROJECT_DIR": str(ROOT), "LLMOPS_PLATFORM": "local"})
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield path
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def run_id(ws):
    from steps.open_run import open_run

    return open_run(_open_run_inputs("uid-curated")).mlflow_run_id


def _records() -> list[dict]:
    """Three intents of production records, synthetic rows, a duplicate, PII and answers rated down."""
    records = [*many(12, "billing"), *many(12, "roaming"), *many(12, "plans")]
    records += [
        log(f"synthetic billing question {index}?", "a synthetic answer", intent="billing", synthetic=True)
        for index in range(10)
    ]
    records.append(log("billing question number 0?", "billing answer 0", intent="billing"))  # a duplicate
    records.append(log("Write to ana@example.com about my bill", "Done.", intent="billing", timestamp=1735700000))
    records += [log(f"rated down {index}?", "wrong", intent="plans", feedback={"rating": "down"}) for index in range(3)]
    return records


def _inputs(run_id: str, source, name: str, **curation):
    from steps.prepare_data import PrepareDataInput

    return step_inputs(
        PrepareDataInput,
        mlflow_run_id=run_id,
        dataset_source=str(source),
        dataset_format="production-logs",
        dataset_group_by="",
        dataset_test_source="",
        test_fraction=0.2,
        dataset_name=name,
        dataset_curation=json.dumps(curation) if curation else "",
    )


def _child(run_id: str, source):
    """The latest prepare-data run of a source (each call of the step is a run of its own)."""
    client = tracking.client()
    found = client.search_runs([client.get_run(run_id).info.experiment_id], filter_string=f"params.source = '{source}'")
    assert found
    return found[0]


def test_production_logs_are_curated_stored_and_logged(ws, run_id, tmp_path):
    from steps.prepare_data import prepare_data

    source = tmp_path / "logs.jsonl"
    source.write_text("\n".join(lines(*_records())) + "\n")
    out = prepare_data(_inputs(run_id, source, "curated-logs"))
    counts = json.loads(out.counts)
    assert counts["testing"] > 0 and counts["validation"] > 0 and sum(counts.values()) == 36 + 10 + 1
    store = platforms.build("local").datastore
    testing = store.read_jsonl(out.dataset_uri, TESTING_FILE)
    validation = store.read_jsonl(out.dataset_uri, VALIDATION_FILE)
    training = store.read_jsonl(out.dataset_uri, TRAINING_FILE)
    assert len(training) == counts["training"] and {"id", "messages", "reference", "intent"} <= set(testing[0])
    for row in testing:  # synthetic rows never reach the test (or the validation) split
        assert not row.get("synthetic") and "synthetic" not in row["messages"][-1]["content"]
    assert not any("synthetic" in json.dumps(row) for row in validation)
    assert sum("synthetic" in json.dumps(row) for row in training) == 10
    assert "ana@example.com" not in json.dumps([training, validation, testing])  # anonymised
    assert prepare_data(_inputs(run_id, source, "curated-logs")).dataset_revision == out.dataset_revision

    child = _child(run_id, source)
    params, metrics = child.data.params, child.data.metrics
    assert params["format"] == "production-logs" and params["on_invalid"] == "fail"
    assert json.loads(params["curation_rules"])["test_fraction"] == 0.2
    assert params["window_start"] == "2025-01-01T00:00:00+00:00" and params["window_end"].startswith("2025-01-01T02:53")
    assert metrics["curation_read"] == len(_records()) and metrics["curation_exact_duplicates"] == 1
    assert metrics["curation_dropped_rated_down"] == 3 and metrics["curation_pii_email"] == 1
    assert metrics["curation_synthetic"] == 10 and metrics["rows_testing"] == counts["testing"]
    client = tracking.client()
    folder = client.download_artifacts(child.info.run_id, "curation", str(tmp_path / "artifacts"))
    report = json.loads((tmp_path / "artifacts" / "curation" / "report.json").read_text())
    assert os.path.isdir(folder) and report["splits"] == counts and report["source"] == str(source)
    markdown = (tmp_path / "artifacts" / "curation" / "report.md").read_text()
    assert markdown.startswith("# Curation report") and "| exact duplicates | 1 |" in markdown


def test_a_malformed_line_fails_and_stores_nothing(ws, run_id, tmp_path):
    from steps.prepare_data import prepare_data

    source = tmp_path / "broken.jsonl"
    source.write_text("\n".join([*lines(*_records()[:20]), '{"request": ', *lines(*_records()[20:])]) + "\n")
    before = sorted((ws / "datastore").rglob("*"))
    runs_before = len(tracking.children(run_id))
    with pytest.raises(InvalidInputError, match=rf"{source}:21: \(record\): not valid JSON") as info:
        prepare_data(_inputs(run_id, source, "broken-logs"))
    assert "nothing was curated" in str(info.value)
    assert sorted((ws / "datastore").rglob("*")) == before  # no revision, not even part of one
    assert len(tracking.children(run_id)) == runs_before  # refused before the step's MLflow run


def test_with_skip_a_malformed_line_is_left_out_and_reported(ws, run_id, tmp_path):
    from steps.prepare_data import prepare_data

    source = tmp_path / "skipped.jsonl"
    source.write_text("\n".join([*lines(*_records()[:20]), '{"request": ', *lines(*_records()[20:])]) + "\n")
    out = prepare_data(_inputs(run_id, source, "skipped-logs", on_invalid="skip"))
    assert sum(json.loads(out.counts).values()) == 47
    child = _child(run_id, source)
    assert child.data.params["on_invalid"] == "skip" and child.data.metrics["curation_invalid"] == 1


def test_bad_curation_parameters_are_refused_before_anything_is_read(ws, run_id, tmp_path):
    from steps.prepare_data import prepare_data

    with pytest.raises(InvalidInputError, match="dataset_curation: max_per_intent: Input should be greater"):
        prepare_data(_inputs(run_id, tmp_path / "missing.jsonl", "x", max_per_intent=0))
    with pytest.raises(InvalidInputError, match=r"group_by is 'customer\.id'.*leave dataset\.group_by out"):
        prepare_data(
            _inputs(run_id, tmp_path / "missing.jsonl", "x").model_copy(update={"dataset_group_by": "customer.id"})
        )
