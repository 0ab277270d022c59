"""End to end on the local platform: a cold run, a warm re-run, a re-run with new LoRA settings.

In one fresh workspace (the venv present, nothing else): the example run spec cold (base model evaluated,
adapter trained), the same spec again (warm: everything memoized or found), then the spec with another
learning rate (a new adapter; what depends only on the base model, the data and the evaluation settings is
memoized). Orchestration is the runner's time with no step running plus each step process's start-up (the
warm start of a step that does nothing, measured beside it), as a share of the warm run.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import yaml

from bench.table import Figure, at_most, reported

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "workflows" / "runs" / "bill-explainer.yaml"
COLD_S, WARM_S, ORCHESTRATION, RERUN = 90.0, 30.0, 0.10, 0.6


def _run(spec: Path):
    from workflows import run_command

    started = time.perf_counter()
    result = run_command.run_spec(spec, auto_approve=True, parallelism=2, interactive=False)
    if result.phase != "Succeeded":
        raise RuntimeError(f"{spec.name}: the run ended {result.phase}: {result.message}")
    return result, time.perf_counter() - started


def _variant(spec: Path, folder: Path) -> Path:
    data = yaml.safe_load(spec.read_text())
    data["name"] = f"{data['name']}-lr"
    data["customization"]["learning_rate"] = data["customization"]["learning_rate"] / 2
    path = folder / "variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _short(node: str) -> str:
    """`<wf>.candidate(0:...long item...).evaluate.business-eval` -> `candidate.business-eval`."""
    parts = node.split(".")
    return f"{parts[1].split('(')[0]}.{parts[-1]}" if len(parts) > 2 else parts[-1]


def measure(noop_start_s: float, spec: Path = SPEC) -> list[Figure]:
    workspace = Path(tempfile.mkdtemp(prefix="llmops-bench-"))
    os.environ.update({"LLMOPS_WORKSPACE": str(workspace), "LLMOPS_PROJECT_DIR": str(ROOT)})
    os.chdir(ROOT)
    _cold, cold_s = _run(spec)
    warm, warm_s = _run(spec)
    _rerun, rerun_s = _run(_variant(spec, workspace))
    t = warm.timings
    procs = sum(n.attempts for n in warm.nodes.values() if n.type == "Pod" and not n.memoized)
    orchestration = t.overhead_s + procs * noop_start_s
    slowest = sorted(t.nodes.items(), key=lambda kv: -kv[1].subprocess_s)[:3]
    return [
        at_most("end to end", "cold run (fresh workspace)", cold_s, "s", COLD_S, f"{spec.name}"),
        at_most(
            "end to end",
            "warm run (same spec again)",
            warm_s,
            "s",
            WARM_S,
            "slowest steps: " + ", ".join(f"{_short(k)} {v.subprocess_s:.1f} s" for k, v in slowest),
        ),
        at_most(
            "end to end",
            "orchestration share of the warm run",
            orchestration / warm_s,
            "share",
            ORCHESTRATION,
            f"runner-only {t.overhead_s:.1f} s + {procs} step processes x {noop_start_s:.2f} s start-up",
        ),
        at_most(
            "end to end",
            "re-run with new LoRA settings / cold run",
            rerun_s / cold_s,
            "x",
            RERUN,
            f"{rerun_s:.1f} s against {cold_s:.1f} s",
        ),
        reported("end to end", "summed step time of the warm run", t.subprocess_s, "s", f"{procs} step processes"),
    ]
