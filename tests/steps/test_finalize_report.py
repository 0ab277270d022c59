"""finalize writes the run report from what the step runs logged: a parent run with gate, customize and
business-eval children in a temporary MLflow (SQLite), read back as MLflow and the workspace hold it."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from steps import tracking
from steps.logic.gate_policy import GatePolicy, Score, decide
from steps.logic.item_scores import ItemValue
from steps.open_run import TRIGGER_TAG

HEADLINE = "answer.all_fields_exact"
BASE = [1, 1, 0, 0, 1, 0, 1, 0, 1, 1]
CANDIDATE = [1, 0, 1, 1, 1, 1, 1, 0, 0, 1]  # q1 and q8 right -> wrong


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    return tmp_path


def _items(values):
    return [ItemValue(id=f"q{i}", value=float(v)) for i, v in enumerate(values)]


def _table(values, side):
    ids = range(len(values))
    return {
        "id": [f"q{i}" for i in ids],
        "input": [json.dumps([{"role": "user", "content": f"question {i} <b>"}]) for i in ids],
        "prediction": [json.dumps({"output_text": f"{side} answer {i}", "tool_calls": None}) for i in ids],
        "reference": [json.dumps({"bill_id": f"B{i}"}) for i in ids],
        HEADLINE: [float(v) for v in values],
    }


def _parent(uid: str) -> str:
    tags = {tracking.WORKFLOW_NAME_TAG: f"wf-{uid}", TRIGGER_TAG: "schedule"}  # as open-run tags a scheduled run
    return tracking.open_parent("report-test", f"wf-{uid}", uid, tags)


def _customize(parent: str) -> None:
    with tracking.step_run(parent, "customize") as mlflow:
        for step in range(1, 21):
            mlflow.log_metrics({"train_loss": 3.0 / step + 0.5}, step=step)
            if step % 5 == 0:
                mlflow.log_metrics({"val_loss": 2.5 / step + 0.8}, step=step)


def _evaluations_and_gate(parent: str, min_gain: float) -> None:
    for target, values in (("base", BASE), ("candidate", CANDIDATE)):
        with tracking.step_run(parent, f"business-eval-{target}") as mlflow:
            mlflow.log_table(_table(values, target), artifact_file=f"eval/{target}_items.json")
    policy = GatePolicy(headline_metric=HEADLINE, min_business_gain=min_gain, min_samples=5)
    base = [
        Score(name=HEADLINE, kind="business", value=0.6, n=10, items=_items(BASE)),
        Score(name="gsm8k", kind="benchmark", value=0.40, stderr=0.04, n=150),
    ]
    cand = [
        Score(name=HEADLINE, kind="business", value=0.7, n=10, items=_items(CANDIDATE)),
        Score(name="gsm8k", kind="benchmark", value=0.38, stderr=0.04, n=150),
    ]
    decision = decide(policy, base, cand)
    with tracking.step_run(parent, "gate") as mlflow:
        mlflow.log_params({"policy": policy.model_dump_json()})
        mlflow.log_dict(decision.model_dump(), "gate/decision.json")


def _png(data: bytes):
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _sane(data: bytes) -> None:
    image = _png(data)
    assert 600 <= image.width <= 1600 and 300 <= image.height <= 1000
    colors = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colors is None or len(colors) > 20  # drawn, not a blank canvas


def _finalize(uid: str, status: str = "Succeeded"):
    from steps.finalize import FinalizeInput, finalize

    return finalize(FinalizeInput(workflow_uid=uid, workflow_name=f"wf-{uid}", workflow_status=status))


def _artifact(run_id: str, path: str, into: Path) -> bytes:
    return Path(tracking.client().download_artifacts(run_id, path, str(into))).read_bytes()


def test_finalize_writes_a_verdict_first_report_with_charts_and_regressions(ws, tmp_path):
    parent = _parent("pass")
    _customize(parent)
    _evaluations_and_gate(parent, min_gain=0.0)
    out = _finalize("pass")
    assert out.mlflow_status == "FINISHED"
    assert out.verdict.startswith("PASS on answer.all_fields_exact (point rule): the delta +0.1000")
    logged = {a.path for a in tracking.client().list_artifacts(parent)}
    assert {"report.md", "report.html", "charts"} <= logged
    charts = {a.path for a in tracking.client().list_artifacts(parent, "charts")}
    assert charts == {"charts/metrics.png", "charts/loss.png"}
    for chart in charts:
        _sane(_artifact(parent, chart, tmp_path / "dl"))
    text = _artifact(parent, "report.md", tmp_path / "dl").decode()
    assert text.splitlines()[0] == out.verdict
    assert "- trigger: schedule" in text.splitlines()  # why the run started
    assert "| answer.all_fields_exact | business | 0.6000 | 0.7000 | +0.1000 |" in text
    assert "### answer.all_fields_exact: 2 of 10 items right → wrong" in text
    assert "  - base answer: base answer 1" in text and "  - candidate answer: candidate answer 1" in text
    assert "  - reference: B1" in text and "  - input: question 1 &lt;b>" in text
    page = _artifact(parent, "report.html", tmp_path / "dl").decode()
    assert page.count("data:image/png;base64,") == 2 and "question 1 &lt;b&gt;" in page
    folder = ws / "reports" / "wf-pass"
    assert (folder / "report.md").read_text() == text and (folder / "report.html").read_text() == page
    assert (folder / "charts" / "metrics.png").read_bytes() == _artifact(parent, "charts/metrics.png", tmp_path / "x")


def test_a_blocked_run_says_blocked_first_and_the_charts_are_deterministic(ws, tmp_path):
    parent = _parent("block")
    _customize(parent)
    _evaluations_and_gate(parent, min_gain=0.3)
    out = _finalize("block")
    assert out.verdict.startswith("BLOCKED on answer.all_fields_exact (point rule): business gain +0.1000")
    assert (ws / "reports" / "wf-block" / "report.md").read_text().splitlines()[0] == out.verdict
    first = (ws / "reports" / "wf-block" / "charts" / "metrics.png").read_bytes()
    from steps import run_report

    assert run_report.short(parent).splitlines()[0] == out.verdict
    again = run_report.write(tracking, parent, "Succeeded", tmp_path / "again")
    assert again.decision is not None and (tmp_path / "again" / "charts" / "metrics.png").read_bytes() == first


def test_a_run_that_failed_before_the_gate_says_so_first(ws):
    parent = _parent("early")
    _customize(parent)
    with pytest.raises(RuntimeError), tracking.step_run(parent, "wait-for-adapter"):
        raise RuntimeError("adapter never became ready")
    out = _finalize("early", status="Failed")
    assert out.mlflow_status == "FAILED"
    assert out.verdict == "NO VERDICT: the gate never ran (step wait-for-adapter failed before it)"
    folder = ws / "reports" / "wf-early"
    assert (folder / "report.md").read_text().splitlines()[0] == out.verdict
    assert not (folder / "charts" / "metrics.png").exists()
    _sane((folder / "charts" / "loss.png").read_bytes())  # the loss curve is still drawn


def test_finalize_without_a_parent_run_has_nothing_to_report(ws):
    out = _finalize("never-opened", status="Error")
    assert out.mlflow_status == "NONE" and out.verdict.startswith("NO VERDICT")
    assert not (ws / "reports").exists() or not any((ws / "reports").iterdir())


def test_the_verdict_is_a_workflow_output():
    from steps.finalize import FinalizeOutput

    field = FinalizeOutput.model_fields["verdict"]
    assert any(getattr(meta, "global_name", None) == "verdict" for meta in field.metadata)
    assert os.environ.get("MLFLOW_RUN_ID") is None
