"""`llmops score`: score a prediction file against a benchmark's data file, as the official scorers do,
or against a run spec's metric list.

`--task gsm8k|squad|triviaqa` names the benchmark whose metrics apply (see `steps.logic.task_scoring`);
`--run-spec FILE` the run spec whose `business_eval.metrics` apply (see `workflows/score_runspec.py`).
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
from workflows.command_help import subcommand


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `score` subcommand; what is scored is chosen by one of a group of exclusive modes."""
    score = subcommand(
        sub,
        "score",
        "score a prediction file against a benchmark data file, or with a run spec's metrics",
        [
            "llmops score --task gsm8k --data gsm8k.jsonl --predictions predictions.jsonl",
            "llmops score --run-spec workflows/runs/support-tickets.yaml --data test.jsonl --predictions pred.jsonl",
        ],
    )
    mode = score.add_mutually_exclusive_group(required=True)
    mode.add_argument("--task", choices=sorted(TASKS), help="the benchmark whose metrics apply")
    mode.add_argument("--run-spec", help="a run spec whose business_eval.metrics apply (data in its dataset layout)")
    score.add_argument(
        "--data", required=True, help="data JSONL, one row per item: the Hugging Face layout, or the run spec's"
    )
    score.add_argument(
        "--predictions", required=True, help='predictions JSONL, one {"id": ..., "prediction": "..."} per line'
    )
    score.add_argument("--json", action="store_true", help="print one JSON object instead of one line per metric")
    score.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    if args.run_spec:
        from workflows.score_runspec import score_run_spec

        summary, unanswered = score_run_spec(Path(args.run_spec), Path(args.data), Path(args.predictions))
        missing = "they are scored as empty answers"
    else:
        scores = score_files(args.task, Path(args.data), Path(args.predictions))
        summary, unanswered, missing = scores.summary(), scores.unanswered, "they score 0"
    if unanswered:
        print(f"note: {unanswered} of {summary['n']} data row(s) have no prediction; {missing}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary))
        return 0
    width = max(22, *(len(name) for name in summary["metrics"]))
    for name, metric in summary["metrics"].items():
        if metric["value"] is None:
            print(f"{name:<{width}} -       no item could be scored")
            continue
        failed = f"  failed={len(metric['failures'])}" if metric.get("failures") else ""
        print(f"{name:<{width}} {metric['value']:.4f}  n={summary['n']}  stderr={metric['stderr']:.4f}{failed}")
        if metric.get("judge_agreement"):
            print(f"{'':<{width}} {metric['judge_agreement']}")
    return 0
