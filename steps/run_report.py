"""The run report from MLflow: read what the step runs logged, draw the charts, write and log the report.

Reads the workflow's child runs, and the earlier runs whose memoized evaluations it reused (named by the
parent run's `llmops.reused.*` tags, `steps.reused_runs`): the gate's `gate/decision.json`, the customize
run's `train_loss` / `val_loss` history and the business evaluations' per-item tables
(`eval/<target>_items.json`). Writes `report.md`, `report.html` and `charts/*.png` into a folder and logs
them on the parent run. The rendering itself is pure (`steps.logic.run_report`, `steps.logic.run_report_html`).

`short(parent_run_id)` gives the report in a few lines for a terminal (`llmops run`, `llmops report`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from steps import report_charts, settings, tracking
from steps.contracts import Tracker
from steps.logic import regression_examples
from steps.logic.candidates import step_name
from steps.logic.gate_policy import GateDecision
from steps.logic.run_report import Chart, RunReport, StepStatus, markdown, short_text
from steps.logic.run_report_html import html
from steps.logic.selection import Selection

DECISION_FILE = "gate/decision.json"
SELECTION_FILE = "gate/selection.json"
LOSS_METRICS = ("train_loss", "val_loss")
METRICS_CHART, LOSS_CHART = "charts/metrics.png", "charts/loss.png"
DETAIL_TAGS = (
    ("run spec", "llmops.run_spec"),
    ("trigger", "llmops.trigger"),
    ("base model", "llmops.base_model"),
    ("dataset revision", "llmops.dataset_revision"),
    ("gate decision", "llmops.gate.decision"),
    ("released version", "llmops.released_version"),
    ("git commit", "mlflow.source.git.commit"),
)


def _latest(children: list[Any], step: str) -> Any | None:
    """The newest child run of a step, preferring the finished ones (a retried step leaves a failed run)."""
    runs = [c for c in children if c.data.tags.get(tracking.STEP_TAG, c.info.run_name) == step]
    finished = [c for c in runs if c.info.status == "FINISHED"] or runs
    return max(finished, key=lambda c: c.info.start_time or 0) if finished else None


def _step_label(run: Any, reused: bool) -> str:
    name = run.info.run_name or run.info.run_id
    return f"{name} (reused from run {run.info.run_id})" if reused else name


def _artifact(client: Any, run: Any | None, path: str, into: Path) -> Any | None:
    """A JSON artifact of a run, or None when the run or the artifact does not exist."""
    if run is None:
        return None
    from mlflow.exceptions import MlflowException

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no progress bars in logs or the CLI

    try:
        local = client.download_artifacts(run.info.run_id, path, str(into))
    except (MlflowException, OSError):  # the artifact was never logged
        return None
    return json.loads(Path(local).read_text(encoding="utf-8"))


def _curves(client: Any, run: Any | None) -> dict[str, list[tuple[int, float]]]:
    if run is None:
        return {}
    return {
        name: [(int(m.step), float(m.value)) for m in client.get_metric_history(run.info.run_id, name)]
        for name in LOSS_METRICS
    }


def _regressions(decision: GateDecision, base: Any, candidate: Any, notes: list[str]) -> list:
    if base is None or candidate is None:
        notes.append("No per-item tables of the business evaluation (eval/base_items.json, eval/candidate_items.json).")
        return []
    found = []
    for row in decision.rows:
        if row.kind != "business" or row.base is None or row.candidate is None:
            continue
        regressions = regression_examples.regressions(row.name, base, candidate)
        if regressions is not None and regressions.total:
            found.append(regressions)
    return found


def collect(tracker: Tracker, parent_run_id: str, workflow_status: str, folder: Path | None) -> RunReport:
    """Read the run from MLflow and draw its charts into `folder` (None: no charts); the report's data."""
    client = tracker.client()
    parent = client.get_run(parent_run_id)
    children = tracker.children(parent_run_id)
    reused = tracker.reused(parent_run_id)  # memoized evaluations: the earlier runs that computed them
    reused_ids = {run.info.run_id for run in reused}
    children = children + reused
    tags = parent.data.tags
    notes: list[str] = []
    charts: list[Chart] = []
    with tempfile.TemporaryDirectory() as scratch:
        gate_run = _latest(children, "gate")
        raw = _artifact(client, gate_run, DECISION_FILE, Path(scratch))
        decision = GateDecision.model_validate(raw) if raw is not None else None
        raw = _artifact(client, gate_run, SELECTION_FILE, Path(scratch))
        selection = Selection.model_validate(raw) if raw is not None else None
        shown = selection.shown().name if selection is not None and selection.verdicts else ""
        headline = (gate_run.data.params.get("policy") if gate_run else None) or "{}"
        headline_name = json.loads(headline).get("headline_metric")
        regressions = []
        if decision is not None:
            base = _artifact(client, _latest(children, "business-eval-base"), "eval/base_items.json", Path(scratch))
            cand = _artifact(
                client,
                _latest(children, step_name("business-eval-candidate", shown)),
                "eval/candidate_items.json",
                Path(scratch),
            )
            regressions = _regressions(decision, base, cand, notes)
            if folder is not None and report_charts.metric_bars(decision.rows, folder / METRICS_CHART):
                charts.append(
                    Chart(
                        title="Base vs candidate per metric",
                        path=METRICS_CHART,
                        caption="Bars: the scores. Error bars: the interval of the delta placed on the candidate "
                        "(base + interval). Red tick: the least the candidate needed (base + threshold).",
                    )
                )
    curves = _curves(client, _latest(children, step_name("customize", shown)))
    if folder is not None and report_charts.loss_curves(curves, folder / LOSS_CHART):
        charts.append(
            Chart(
                title="Training and validation loss",
                path=LOSS_CHART,
                caption="Loss per step as the customize step logged it (train_loss, val_loss).",
            )
        )
    elif not any(curves.values()):
        notes.append("No loss curve: the customize step logged no train_loss or val_loss history.")
    return RunReport(
        workflow=tags.get(tracking.WORKFLOW_NAME_TAG, parent.info.run_name or parent_run_id),
        run_id=parent_run_id,
        workflow_status=workflow_status or tags.get("argo.workflow.status", parent.info.status),
        details=[(label, tags[key]) for label, key in DETAIL_TAGS if key in tags],
        steps=[
            StepStatus(name=_step_label(c, c.info.run_id in reused_ids), status=c.info.status)
            for c in sorted(children, key=lambda c: c.info.start_time or 0)
        ],
        decision=decision,
        headline=headline_name,
        regressions=regressions,
        charts=charts,
        notes=notes,
        selection=selection,
    )


def folder(workflow_name: str) -> Path:
    """Where finalize writes a workflow's report: `<workspace>/reports/<workflow name>/`."""
    return settings.workspace() / "reports" / workflow_name


def write(tracker: Tracker, parent_run_id: str, workflow_status: str, folder: Path) -> RunReport:
    """Write report.md, report.html and the charts into `folder` and log them on the parent run."""
    folder.mkdir(parents=True, exist_ok=True)
    report = collect(tracker, parent_run_id, workflow_status, folder)
    images = {chart.path: (folder / chart.path).read_bytes() for chart in report.charts}
    (folder / "report.md").write_text(markdown(report), encoding="utf-8")
    (folder / "report.html").write_text(html(report, images), encoding="utf-8")
    client = tracker.client()
    for name in ("report.md", "report.html"):
        client.log_artifact(parent_run_id, str(folder / name))
    if report.charts:
        client.log_artifacts(parent_run_id, str(folder / "charts"), "charts")
    return report


def short(parent_run_id: str, workflow_status: str = "", tracker: Tracker = tracking) -> str:
    """The run's report in a few lines for a terminal: the verdict first, the table, the worst items.

    Reads MLflow only (no files written); `workflow_status` defaults to what finalize recorded."""
    return short_text(collect(tracker, parent_run_id, workflow_status, None))
