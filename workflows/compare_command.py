"""`llmops compare <run> <run>`: two runs' gate rows side by side.

The rows come from the gate's own record, `gate/decision.json` on the gate step's MLflow run (a child of
the run's parent MLflow run, whose id is the open-run step's output in the runner state). That record
is structured (base, candidate, delta, interval, threshold and pass/fail per row), is written the same way
on every platform, and for local runs lives in the workspace's MLflow store, so it needs no server. The
workflow's own gate output is a text table for people (and the runner state holds only the gate's
inputs), so comparing from it would mean parsing text or deciding again.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from steps.errors import NotFoundError
from steps.logic.gate_policy import GateDecision, GateRow
from workflows.command_help import subcommand
from workflows.run_command import workspace
from workflows.run_records import RunRecord, find

DECISION_ARTIFACT = "gate/decision.json"


def gate_decision(record: RunRecord) -> GateDecision:
    """The gate's decision of a run, read from its gate step's MLflow run."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one small file: no download bar
    from steps import tracking

    name = record.workflow_name
    if not record.mlflow_run_id:
        raise NotFoundError(f"run {name} has no MLflow run (its open-run step did not finish: {record.state.phase})")
    gates = [r for r in tracking.children(record.mlflow_run_id) if r.data.tags.get(tracking.STEP_TAG) == "gate"]
    if not gates:
        raise NotFoundError(
            f"run {name} has no gate decision: its gate step did not run ({record.state.phase}); "
            f"`llmops status {name}` shows where it stopped"
        )
    latest = max(gates, key=lambda r: r.info.start_time or 0)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = tracking.client().download_artifacts(latest.info.run_id, DECISION_ARTIFACT, tmp)
        except Exception as exc:  # mlflow raises its own types (MlflowException, OSError) for a missing artifact
            raise NotFoundError(f"run {name}: no {DECISION_ARTIFACT} on its gate's MLflow run ({exc})") from None
        return GateDecision.model_validate_json(Path(path).read_text())


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def comparison_rows(a: GateDecision, b: GateDecision) -> list[tuple[str, ...]]:
    """One row per metric of either run: base, candidate, delta, pass/fail of each, then candidate B - A."""
    rows_a, rows_b = {r.name: r for r in a.rows}, {r.name: r for r in b.rows}
    names = list(rows_a) + [n for n in rows_b if n not in rows_a]
    out = []
    for name in names:
        cells: list[str] = [name]
        for row in (rows_a.get(name), rows_b.get(name)):
            cells += _cells(row)
        ca, cb = (r.candidate if r is not None else None for r in (rows_a.get(name), rows_b.get(name)))
        cells.append(_num(cb - ca if ca is not None and cb is not None else None, signed=True))
        out.append(tuple(cells))
    return out


def _cells(row: GateRow | None) -> list[str]:
    if row is None:
        return ["-", "-", "-", "-"]
    verdict = "info" if row.rule == "info" else ("pass" if row.passed else "FAIL")
    return [_num(row.base), _num(row.candidate), _num(row.delta, signed=True), verdict]


def cmd_compare(args: argparse.Namespace) -> int:
    ws = workspace(args)
    records = [find(ws, args.run_a), find(ws, args.run_b)]
    decisions = [gate_decision(r) for r in records]
    for label, record, decision in zip("AB", records, decisions, strict=True):
        verdict = "PASS" if decision.passed else "BLOCK"
        print(f"{label}: {record.workflow_name} (run spec {record.run_spec}) gate {verdict}")
        for reason in decision.reasons:
            print(f"   {reason}")
    header = ("metric", "A base", "A cand", "A delta", "A", "B base", "B cand", "B delta", "B", "cand B-A")
    rows = [header, *comparison_rows(*decisions)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print()
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    compare = subcommand(
        sub,
        "compare",
        "two runs' gate rows side by side (base, candidate, delta, pass/fail), from their gate records in MLflow",
        ["llmops compare bill-explainer-0c6d31cc bill-explainer-aggressive-ebe45df7"],
    )
    compare.add_argument("run_a", metavar="RUN_A", help="the first run's workflow name (column A)")
    compare.add_argument("run_b", metavar="RUN_B", help="the second run's workflow name (column B)")
    compare.set_defaults(func=cmd_compare)
