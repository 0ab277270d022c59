"""`llmops runs`, `llmops status <run>` and `llmops report <run>`: what the local runs did, from their state."""

from __future__ import annotations

import argparse
from pathlib import Path

from steps import progress
from steps.errors import NotFoundError
from workflows.command_help import subcommand
from workflows.local_runner.results import NodeResult
from workflows.local_runner.state import RunStore
from workflows.run_command import workspace
from workflows.run_records import RunRecord, all_runs, clock, find


def cmd_runs(args: argparse.Namespace) -> int:
    records = all_runs(workspace(args))[: max(0, args.limit)]
    if not records:
        print(f"no runs in {workspace(args) / 'runs'}; start one with `llmops run <run spec>`")
        return 0
    rows: list[tuple[str, ...]] = [("RUN", "RUN SPEC", "PHASE", "VERDICT", "STARTED (UTC)", "DURATION")]
    for r in records:
        started = r.started.strftime("%Y-%m-%d %H:%M")
        rows.append((r.workflow_name, r.run_spec, r.phase, r.verdict, started, clock(r.duration_s)))
    _table(rows)
    return 0


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _depth(node: NodeResult, nodes: dict[str, NodeResult]) -> int:
    depth, parent = 0, node.parent
    while parent is not None and parent in nodes:
        depth, parent = depth + 1, nodes[parent].parent
    return depth


def node_rows(record: RunRecord) -> list[tuple[str, ...]]:
    """The Argo UI's node list as rows: step (indented under its DAG), phase, duration, message."""
    nodes = record.state.nodes
    store = RunStore(record.directory.parent, record.workflow_name)
    rows: list[tuple[str, ...]] = []
    for node in sorted(nodes.values(), key=lambda n: (n.started is None, n.started or record.started, n.name)):
        if node.name == record.workflow_name:
            continue
        shown = node.display_name.removeprefix(record.workflow_name + ".")
        name = "  " * (_depth(node, nodes) - 1) + shown
        detail = node.message
        if node.phase == "Running" and (path := store.progress_path(node.name)) is not None:
            state = progress.read(path)
            if state is not None:
                detail = f"{state.done}/{state.total} {state.unit} {state.note}".strip()
        duration = clock(node.duration_s) if node.complete else "-"
        rows.append((name, node.phase, duration, detail))
    return rows


def cmd_status(args: argparse.Namespace) -> int:
    record = find(workspace(args), args.run)
    state = record.state
    print(
        f"{record.workflow_name}: {record.phase}, verdict {record.verdict} (run spec {record.run_spec}, "
        f"started {record.started:%Y-%m-%d %H:%M} UTC, ran {clock(record.duration_s)})"
    )
    if state.message:
        print(f"  {state.message}")
    print()
    _table([("STEP", "PHASE", "DURATION", "MESSAGE"), *node_rows(record)])
    if record.waiting_at:
        print(f"\nwaiting for approval at {', '.join(record.waiting_at)}:")
        print(f"  llmops approve {record.workflow_name}\n  llmops reject {record.workflow_name}")
    if record.phase in ("Failed", "Error", "Stopped"):
        print(f"\nto run again what did not succeed: llmops retry {record.workflow_name}")
    print(f"\nlogs: {record.directory / 'logs'}")
    return 0


def report_path(ws: Path, name: str) -> Path:
    """The Markdown report finalize writes (`steps.run_report.folder`: `<workspace>/reports/<run>/report.md`)."""
    return ws / "reports" / name / "report.md"


def cmd_report(args: argparse.Namespace) -> int:
    ws = workspace(args)
    record = find(ws, args.run)
    path = report_path(ws, record.workflow_name)
    if not path.is_file():
        raise NotFoundError(
            f"run {record.workflow_name} has no report yet ({path}): the report is written when the run ends "
            f"(it is {record.state.phase}); `llmops status {record.workflow_name}` shows where it is"
        )
    print(path.read_text().rstrip("\n"))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    runs = subcommand(
        sub,
        "runs",
        "list recent runs, newest first: run spec, phase, verdict, start and duration",
        ["llmops runs", "llmops runs --limit 5"],
    )
    runs.add_argument("--limit", type=int, default=20, help="how many runs to list (default 20)")
    runs.set_defaults(func=cmd_runs)
    status = subcommand(
        sub,
        "status",
        "show a run's steps (the Argo UI's node list) and where it waits",
        ["llmops status bill-explainer-56ff741b"],
    )
    status.add_argument("run", help="the run's workflow name (`llmops runs` lists them)")
    status.set_defaults(func=cmd_status)
    report = subcommand(
        sub, "report", "print a finished run's report (Markdown)", ["llmops report bill-explainer-56ff741b"]
    )
    report.add_argument("run", help="the run's workflow name (`llmops runs` lists them)")
    report.set_defaults(func=cmd_report)
