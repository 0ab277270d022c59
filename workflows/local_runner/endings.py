"""How one run()/resume()/retry() call ends: its deadline, the run's phase and message, and the result it returns."""

from __future__ import annotations

import time

from workflows.local_runner.engine import Engine
from workflows.local_runner.results import NodeResult, RunResult, run_timings
from workflows.local_runner.state import RunState, RunStore


def conclude(state: RunState, engine: Engine, root: NodeResult, exit_name: str) -> None:
    """The run's phase and message once nothing more can run: Suspended, or the root's ending."""
    if engine.suspended():
        state.phase = "Suspended"
        names = ", ".join(n.display_name for n in engine.suspended())
        state.message = f"waiting for approval at {names}; resume with approve or reject"
        return
    if not root.complete:
        state.phase, state.message = "Error", "the run stalled with no runnable node (this is a runner bug)"
        return
    state.phase = root.phase
    state.message = state.terminated or root.message
    exit_node = state.nodes.get(exit_name)
    if exit_node is not None and exit_node.phase != "Succeeded":
        state.message = f"{state.message}; exit handler {exit_node.phase}: {exit_node.message}".lstrip("; ")


def remaining_s(state: RunState, start: float, exit_name: str) -> float | None:
    """How long the run may go on before its activeDeadlineSeconds (None: no deadline applies now)."""
    if state.active_deadline_s is None or exit_name in state.nodes or state.terminated:
        return None
    return max(0.0, state.active_deadline_s - state.active_elapsed_s - (time.monotonic() - start))


def run_result(state: RunState, store: RunStore, total: float, intervals: list[tuple[float, float]]) -> RunResult:
    exit_node = state.nodes.get(f"{state.workflow_name}.onExit")
    return RunResult(
        phase=state.phase,
        workflow_name=state.workflow_name,
        uid=state.uid,
        message=state.message,
        nodes=dict(state.nodes),
        outputs=dict(state.global_outputs),
        exit_handler=exit_node,
        exit_outputs=dict(exit_node.outputs) if exit_node else {},
        timings=run_timings(total, intervals, state.nodes),
        state_dir=store.directory,
    )
