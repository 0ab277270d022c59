"""The local runs of a workspace, read from the runner's state (`<workspace>/runs/<workflow>/state.json`).

`find` resolves a run name a person typed: an unknown name is a NotFoundError that lists the close names.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from steps.errors import NotFoundError
from workflows.local_runner.errors import StateError
from workflows.local_runner.results import NodeResult
from workflows.local_runner.state import RunState, RunStore

SPEC_LABEL = "llmops/run-spec"


@dataclass(frozen=True)
class RunRecord:
    state: RunState
    directory: Path

    @property
    def workflow_name(self) -> str:
        return self.state.workflow_name

    @property
    def phase(self) -> str:
        """The run's phase; "Stopped" for a run left Running by a runner that was killed (`llmops retry`)."""
        if self.state.phase == "Running" and not RunStore(self.directory.parent, self.workflow_name).driven():
            return "Stopped"
        return self.state.phase

    @property
    def run_spec(self) -> str:
        return self.state.labels.get(SPEC_LABEL) or self.state.parameters.get("run_spec_name", "")

    @property
    def started(self) -> datetime:
        return self.state.created

    @property
    def duration_s(self) -> float:
        """Running time (time spent waiting for approval does not count)."""
        return self.state.active_elapsed_s

    def task(self, name: str) -> NodeResult | None:
        """The node of a top-level DAG task (its display name is the task name)."""
        return next((n for n in self.state.nodes.values() if n.display_name == name), None)

    @property
    def verdict(self) -> str:
        """The gate's decision (pass/block), or "-" while the gate has not decided."""
        gate = self.task("gate")
        return gate.outputs.get("decision", "-") if gate is not None and gate.phase == "Succeeded" else "-"

    @property
    def mlflow_run_id(self) -> str:
        open_run = self.task("open-run")
        return open_run.outputs.get("mlflow_run_id", "") if open_run is not None else ""

    @property
    def waiting_at(self) -> list[str]:
        return [n.display_name for n in self.state.nodes.values() if n.phase == "Suspended"]


def _names(runs_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in runs_dir.glob("*/state.json"))


def all_runs(workspace: Path) -> list[RunRecord]:
    """Every readable run, newest first (an unreadable state file is skipped, not fatal)."""
    records = []
    for name in _names(workspace / "runs"):
        store = RunStore(workspace / "runs", name)
        try:
            records.append(RunRecord(store.load(), store.directory))
        except StateError:
            continue
    return sorted(records, key=lambda r: (r.started, r.workflow_name), reverse=True)


def find(workspace: Path, name: str) -> RunRecord:
    """The run named `name`; unknown: NotFoundError naming the close names (or how to list runs)."""
    runs_dir = workspace / "runs"
    store = RunStore(runs_dir, name)
    if store.exists():
        return RunRecord(store.load(), store.directory)
    names = _names(runs_dir)
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    if not close:
        close = [n for n in names if n.startswith(name) or name in n][:5]
    if close:
        hint = f"did you mean {', '.join(close)}?"
    elif names:
        hint = "`llmops runs` lists the runs"
    else:
        hint = f"there are no runs in {runs_dir} (is --workspace or LLMOPS_WORKSPACE right?)"
    raise NotFoundError(f"no run named {name!r} in {runs_dir}; {hint}")


def clock(seconds: float) -> str:
    """A duration as 1h02m, 3m05s or 12s."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
