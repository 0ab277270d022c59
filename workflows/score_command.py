"""`llmops score`: score a prediction file against a benchmark's data file, as the official scorers do.

`--task gsm8k|squad|triviaqa` names the benchmark whose metrics apply (see `steps.logic.task_scoring`).
Plain output: one line per metric with its value, n and standard error; `--json`: exactly one JSON
object `{"task", "n", "metrics": {name: {"value", "stderr"}}}`. A note on stderr says how many data
rows had no prediction (they score 0).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from steps.logic.task_scoring import TASKS, score_files


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `score` subcommand; what is scored is chosen by one of a group of exclusive modes."""
    score = sub.add_parser("score", help="score a prediction file against a benchmark data file")
    mode = score.add_mutually_exclusive_group(required=True)
    mode.add_argument("--task", choices=sorted(TASKS), help="the benchmark whose metrics apply")
    score.add_argument("--data", required=True, help="data JSONL in the Hugging Face layout, one row per item")
    score.add_argument(
        "--predictions", required=True, help='predictions JSONL, one {"id": ..., "prediction": "..."} per line'
    )
    score.add_argument("--json", action="store_true", help="print one JSON object instead of one line per metric")
    score.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    scores = score_files(args.task, Path(args.data), Path(args.predictions))
    summary = scores.summary()
    if scores.unanswered:
        print(
            f"note: {scores.unanswered} of {scores.n} data row(s) have no prediction; they score 0",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(summary))
        return 0
    for name, metric in summary["metrics"].items():
        print(f"{name:<22} {metric['value']:.4f}  n={scores.n}  stderr={metric['stderr']:.4f}")
    return 0
