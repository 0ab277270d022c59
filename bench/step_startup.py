"""Step start-up: process start to the step function's first line, per step module, fresh and warm.

Fresh is the container contract (`python -m hera.workflows.runner`, a new interpreter); warm is the local
runner's warm start (`workflows/local_runner/warm_start.py`: forked from a server that has the steps'
libraries loaded). Both start `bench/first_line.py`, which stops where the step function would begin; its
clock reading (CLOCK_MONOTONIC, shared by all processes) minus the time the start was asked for is the
start-up. Steps that neither train nor generate have the target; the others are reported.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.table import Figure, at_most, reported

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.5
COMPUTE_STEPS = {"steps.customize", "steps.benchmark", "steps.business_eval"}  # train or generate


def step_modules() -> list[str]:
    from workflows import render

    modules = {
        tpl["script"]["args"][3].split(":")[0]
        for manifest in render.templates()
        for tpl in manifest["spec"].get("templates", [])
        if tpl.get("script")
    }
    return sorted(modules)


def _one(start, module: str, env: dict[str, str]) -> float:
    asked = time.monotonic()
    proc = start([sys.executable, "-m", "bench.first_line", module], ROOT, env)
    out = proc.stdout.read().decode()
    proc.stderr.read()
    if proc.wait() != 0 or not out.strip():
        raise RuntimeError(f"start-up probe for {module} failed")
    return float(out.split()[-1]) - asked


def _wait_preloaded(log: Path, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.is_file() and "\npreloaded\n" in log.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(f"the warm-start server did not finish preloading: {log}")


def measure(repeats: int = 3) -> tuple[list[Figure], float]:
    """Figures per step module, and the warm start-up of a step that does nothing (for orchestration)."""
    from steps.libraries import STEP_LIBRARIES
    from workflows.local_runner.warm_start import WarmStarter, start_fresh

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    figures: list[Figure] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        WarmStarter(sys.executable, Path(tmp) / "server.log", STEP_LIBRARIES) as warm,
    ):
        _one(warm.start, "json", env)  # starts the server
        _wait_preloaded(Path(tmp) / "server.log")
        noop = statistics.median(_one(warm.start, "json", env) for _ in range(repeats))
        for module in step_modules():
            fresh = statistics.median(_one(start_fresh, module, env) for _ in range(repeats))
            forked = statistics.median(_one(warm.start, module, env) for _ in range(repeats))
            how = f"fresh interpreter (container) {fresh:.2f} s; warm start {forked:.2f} s"
            name = f"{module} start-up (warm)"
            if module in COMPUTE_STEPS:
                figures.append(reported("step start-up", name, forked, "s", how + "; trains or generates: no target"))
            else:
                figures.append(at_most("step start-up", name, forked, "s", TARGET_S, how))
    return figures, noop
