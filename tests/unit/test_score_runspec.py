"""`llmops score --run-spec`: a prediction file scored with a committed run spec's metric list."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from workflows import cli

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "workflows" / "runs" / "support-tickets.yaml"
DATA = ROOT / "examples" / "support-tickets" / "heldout.jsonl"
BILLING_SPEC = ROOT / "workflows" / "runs" / "bill-explainer.yaml"
BILLS = ROOT / "examples" / "bill-explainer" / "heldout.jsonl"


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["score", *args])
    return code, out.getvalue(), err.getvalue()


def _predictions(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_the_run_specs_metrics_score_a_prediction_file(tmp_path):
    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    predictions = [
        {"id": rows[0]["id"], "prediction": rows[0]["completion"]},  # right on all three
        {"id": rows[1]["id"], "prediction": f"team: {rows[1]['team']}, priority: 9"},  # wrong priority
        {"id": rows[2]["id"], "prediction": f"Priority {rows[2]['priority']}"},  # priority only
    ]
    pred = _predictions(tmp_path / "pred.jsonl", predictions)
    code, out, err = _run("--run-spec", str(SPEC), "--data", str(DATA), "--predictions", str(pred), "--json")
    assert code == 0, err
    summary = json.loads(out)
    n = len(rows)
    assert summary["task"] == "support-tickets" and summary["n"] == n
    values = {name: metric["value"] for name, metric in summary["metrics"].items()}
    assert values == {"priority.number-check": 2 / n, "team.string-check": 2 / n, "reply_format.string-check": 1 / n}
    assert f"{n - 3} of {n} data row(s) have no prediction; they are scored as empty answers" in err
    code, out, _ = _run("--run-spec", str(SPEC), "--data", str(DATA), "--predictions", str(pred))
    assert code == 0 and out.splitlines()[0].startswith("team.string-check") and f"n={n}" in out


def test_billing_predictions_use_the_record_ids_and_the_json_fields_metric(tmp_path):
    first = json.loads(BILLS.read_text().splitlines()[0])
    answer = {"bill_found": "true", "change_reason": "none"}
    pred = _predictions(tmp_path / "pred.jsonl", [{"id": first["record_id"], "prediction": json.dumps(answer)}])
    code, out, err = _run("--run-spec", str(BILLING_SPEC), "--data", str(BILLS), "--predictions", str(pred), "--json")
    assert code == 0, err
    metrics = json.loads(out)["metrics"]
    assert metrics["answer.valid_json"]["value"] == 1 / 150
    assert set(metrics) == {
        f"answer.{name}"
        for name in ("valid_json", "bill_found", "change_reason", "all_fields_exact", "change_reason_balanced")
    }


def test_a_prediction_for_an_unknown_row_is_a_one_line_error(tmp_path):
    pred = _predictions(tmp_path / "pred.jsonl", [{"id": "nope", "prediction": "x"}])
    code, out, err = _run("--run-spec", str(SPEC), "--data", str(DATA), "--predictions", str(pred))
    assert code == 2 and out == ""
    assert f"{pred}:1: id: 'nope' is not an id of the data file" in err and "Traceback" not in err
