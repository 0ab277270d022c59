"""Public result types: one NodeResult per Argo node, a RunResult per run() / resume() call."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

COMPLETE = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})
FAILED = frozenset({"Failed", "Error"})
NODE_TYPES = {"dag": "DAG", "script": "Pod", "suspend": "Suspend"}


class NodeResult(BaseModel):
    """One node of the run, named as Argo names it (`<workflow>.<task>`, `<workflow>.<task>(0:item)`)."""

    name: str
    display_name: str
    type: str  # "DAG" | "TaskGroup" | "Pod" (a script step) | "Suspend"
    template: str
    template_owner: str = ""  # "<Kind>/<name>" of the manifest holding the template
    phase: str = "Pending"  # Pending|Running|Suspended|Succeeded|Failed|Error|Skipped|Omitted
    message: str = ""
    inputs: dict[str, str] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(default_factory=dict)
    result: str | None = None  # stdout of a script step (Argo's outputs.result)
    started: datetime | None = None
    finished: datetime | None = None
    memoized: bool = False
    attempts: int = 0
    duration_s: float = 0.0  # started -> finished (includes retries and back-off)
    subprocess_s: float = 0.0  # summed wall time of this node's step processes
    parent: str | None = None
    children: list[str] = Field(default_factory=list)
    task: str | None = None  # the DAG task that created this node
    index: int | None = None  # position in a withItems/withParam fan-out

    @property
    def complete(self) -> bool:
        return self.phase in COMPLETE


class NodeTiming(BaseModel):
    subprocess_s: float
    total_s: float


class RunTimings(BaseModel):
    """Wall-clock accounting of one run()/resume() call, for benchmarks."""

    total_s: float = 0.0  # wall time of the call
    subprocess_s: float = 0.0  # summed wall time of all step processes (overlapping ones add up)
    busy_s: float = 0.0  # wall time during which at least one step process was running
    overhead_s: float = 0.0  # total_s - busy_s: time the runner spent with no step process running
    nodes: dict[str, NodeTiming] = Field(default_factory=dict)


def run_timings(total: float, intervals: list[tuple[float, float]], nodes: dict[str, NodeResult]) -> RunTimings:
    """The timings of a call that took `total` seconds and ran step processes over `intervals` (start, end)."""
    busy = _union_length(intervals)
    return RunTimings(
        total_s=total,
        subprocess_s=sum(e - s for s, e in intervals),
        busy_s=busy,
        overhead_s=max(0.0, total - busy),
        nodes={n.name: NodeTiming(subprocess_s=n.subprocess_s, total_s=n.duration_s) for n in nodes.values()},
    )


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for s, e in sorted(intervals):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


class RunResult(BaseModel):
    phase: str  # "Succeeded" | "Failed" | "Error" | "Suspended"
    workflow_name: str
    uid: str
    message: str = ""
    nodes: dict[str, NodeResult] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(default_factory=dict)  # {{workflow.outputs.parameters.*}} (globalName)
    exit_handler: NodeResult | None = None
    exit_outputs: dict[str, str] = Field(default_factory=dict)
    timings: RunTimings = Field(default_factory=RunTimings)
    state_dir: Path | None = None  # state_dir/<workflow name>

    def node(self, name: str) -> NodeResult:
        """A node by full name, by name relative to the workflow (`train`, `outer.inner`), or by unique display name."""
        for candidate in (name, f"{self.workflow_name}.{name}"):
            if candidate in self.nodes:
                return self.nodes[candidate]
        matches = [n for n in self.nodes.values() if n.display_name == name]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(sorted(self.nodes))
        raise KeyError(f"no single node named {name!r} in {self.workflow_name} (nodes: {known})")


def workflow_failures(nodes: dict[str, NodeResult]) -> str:
    """`{{workflow.failures}}`: JSON list of the failed step and suspend nodes."""
    items = [
        {
            "displayName": n.display_name,
            "message": n.message,
            "templateName": n.template,
            "phase": n.phase,
            "podName": n.name,
            "finishedAt": n.finished.isoformat() if n.finished else "",
        }
        for n in nodes.values()
        if n.phase in FAILED and n.type in ("Pod", "Suspend")
    ]
    return json.dumps(items)
