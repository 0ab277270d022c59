"""`llmops flywheel check-drift <flywheel spec>`: the drift check of a flywheel, run here on the local platform.

It calls the drift-check step itself (`steps.drift_check`, what the `<name>-drift` CronWorkflow runs on a
cluster) with the flywheel's drift policy and its run spec's metrics, prints the verdict line and exits 0
whatever the verdict. When the champion drifted, `--start` runs the run spec with the local runner and
trigger `drift` (what the cluster's submit-run step creates); without it, the command says how.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from pathlib import Path

from steps.errors import InvalidInputError
from workflows import run_command
from workflows.command_help import subcommand


def check_drift(path: Path):
    """The drift-check step's output for the flywheel spec at `path` (its workspace: LLMOPS_WORKSPACE)."""
    from steps import tracking
    from steps.drift_check import DriftCheckInput, drift_check
    from workflows import flywheel_render, flywheel_spec, parameters, render

    flywheel, spec = flywheel_spec.load(path, render.RUNS_DIR, render.ROOT)
    if flywheel.drift is None:
        raise InvalidInputError(f"{path}: the flywheel has no drift section; add one (docs/flywheel.md, Drift)")
    values = {p.name: p.value(spec) for p in parameters.PARAMETERS}
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    tracking.prepare_store()
    return drift_check(
        DriftCheckInput(
            flywheel=flywheel.name,
            workflow_name=f"{flywheel.name}{flywheel_render.DRIFT_SUFFIX}-{stamp}",
            workflow_uid=str(uuid.uuid4()),
            drift_policy=flywheel.drift.policy().model_dump_json(),
            **{name: values[name] for name in flywheel_render.DRIFT_ARGUMENTS},
        )
    ), flywheel


def cmd_check_drift(args: argparse.Namespace) -> int:
    from workflows import summary

    workspace = run_command.workspace(args)
    out, flywheel = check_drift(Path(args.flywheel))
    print(f"drift check logged as MLflow run {out.mlflow_run_id} (tag llmops.drift.verdict={out.status})")
    if out.drifted != "true":
        return 0
    if not args.start:
        print(f"to start the run (trigger drift): llmops flywheel check-drift {args.flywheel} --start")
        return 0
    result = run_command.run_spec(Path(flywheel.run_spec), args.auto_approve, args.parallelism, trigger="drift")
    return summary.report(result, workspace)


def add_parser(sub: argparse._SubParsersAction) -> None:
    flywheel = subcommand(
        sub,
        "flywheel",
        "a flywheel's triggers on this machine (workflows/flywheels, docs/flywheel.md)",
        ["llmops flywheel check-drift workflows/flywheels/bill-explainer.yaml"],
    )
    commands = flywheel.add_subparsers(dest="flywheel_command", required=True)
    check = subcommand(
        commands,
        "check-drift",
        "score the champion on recent labelled production records and say whether it drifted",
        [
            "llmops flywheel check-drift workflows/flywheels/bill-explainer.yaml",
            "llmops flywheel check-drift workflows/flywheels/bill-explainer.yaml --start --auto-approve",
        ],
    )
    check.add_argument("flywheel", help="flywheel spec YAML with a drift section")
    check.add_argument("--start", action="store_true", help="when drifted, run the run spec here (trigger drift)")
    run_command.add_run_options(check, "with --start: ")
    check.add_argument("--workspace", help="local platform workspace (default: LLMOPS_WORKSPACE or .llmops)")
    check.set_defaults(func=cmd_check_drift)
