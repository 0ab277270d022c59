"""How much of a warm `make run` is orchestration (runner + process start) versus step compute.

Runs the example run spec twice in one workspace (the first run warms the caches: base model,
smoke sets, memoized base benchmarks, the finished customization job), then times:
- the second run (warm end to end), with the runner's own accounting of step-process time;
- the start-up cost of one step process: `python -m hera.workflows.runner` on a step that does nothing.
Orchestration = runner time with no step running + (step processes x start-up cost).
Everything is measured side by side in this one run; nothing is compared with stored numbers.

Usage: python bench/run_overhead.py [--spec workflows/runs/bill-explainer.yaml] [--workspace DIR] [--cold]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_up_cost(repeats: int = 5) -> float:
    """Median wall time of a no-op step process, exactly as the runner starts one."""
    with tempfile.TemporaryDirectory() as tmp:
        args = Path(tmp) / "inputs.json"
        args.write_text(json.dumps([{"name": "value", "value": "x"}]))
        env = os.environ | {"hera__outputs_directory": tmp, "PYTHONPATH": str(ROOT)}
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "hera.workflows.runner", "-e", "bench.noop_step:noop", str(args)],
                check=True,
                env=env,
                cwd=ROOT,
                capture_output=True,
            )
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def run_once(spec: Path, workspace: Path):
    from workflows import run_command

    t = time.perf_counter()
    result = run_command.run_spec(spec, auto_approve=True, parallelism=2, interactive=False)
    return result, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(ROOT / "workflows/runs/bill-explainer.yaml"))
    parser.add_argument("--workspace", default=None, help="default: a fresh temporary folder")
    args = parser.parse_args()
    workspace = Path(args.workspace or tempfile.mkdtemp(prefix="llmops-bench-"))
    os.environ.update(
        {
            "LLMOPS_WORKSPACE": str(workspace),
            "LLMOPS_PROJECT_DIR": str(ROOT),
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    os.chdir(ROOT)
    spec = Path(args.spec)

    cold, cold_s = run_once(spec, workspace)
    warm, warm_s = run_once(spec, workspace)
    start = start_up_cost()

    for label, result, wall in (("cold", cold, cold_s), ("warm", warm, warm_s)):
        t = result.timings
        procs = sum(n.attempts for n in result.nodes.values() if n.type == "Pod" and not n.memoized)
        orchestration = t.overhead_s + procs * start
        print(
            f"{label}: {result.phase}, wall {wall:.1f} s (runner {t.total_s:.1f} s); "
            f"{procs} step processes, summed step time {t.subprocess_s:.1f} s, busy {t.busy_s:.1f} s, "
            f"runner-only {t.overhead_s:.1f} s"
        )
        print(
            f"{label}: orchestration = {t.overhead_s:.1f} s runner-only + {procs} x {start:.2f} s start-up "
            f"= {orchestration:.1f} s = {orchestration / wall:.1%} of wall; "
            f"start-up share of summed step time {procs * start / max(t.subprocess_s, 1e-9):.1%}"
        )
        slowest = sorted(t.nodes.items(), key=lambda kv: -kv[1].subprocess_s)[:5]
        print(
            f"{label}: slowest steps: " + ", ".join(f"{k.split('.', 1)[-1]} {v.subprocess_s:.1f} s" for k, v in slowest)
        )
    print(f"step process start-up (no-op step, median of 5): {start:.2f} s")
    print(f"warm/cold wall ratio: {warm_s / cold_s:.2f}; warm target <= 180 s: {'met' if warm_s <= 180 else 'missed'}")


if __name__ == "__main__":
    main()
