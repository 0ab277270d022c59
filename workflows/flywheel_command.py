"""`llmops flywheel check-drift|simulate <flywheel spec>`: a flywheel's drift trigger, and its whole loop, here.

`check-drift` runs the drift check (`workflows.flywheel_drift`), prints the verdict line and exits 0 whatever
the verdict. When the champion drifted, `--start` runs the run spec with the local runner and trigger `drift`
(what the cluster's submit-run step creates); without it, the command says how. `simulate` runs rounds of
drifting synthetic traffic through the champion, the check and the triggered runs (`workflows.flywheel_simulation`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from workflows import flywheel_simulation, run_command
from workflows.command_help import subcommand
from workflows.flywheel_drift import check_drift, load


def cmd_check_drift(args: argparse.Namespace) -> int:
    from workflows import summary

    workspace = run_command.workspace(args)
    flywheel, spec = load(Path(args.flywheel))
    out = check_drift(flywheel, spec)
    print(f"drift check logged as MLflow run {out.mlflow_run_id} (tag llmops.drift.verdict={out.status})")
    if out.drifted != "true":
        return 0
    if not args.start:
        print(f"to start the run (trigger drift): llmops flywheel check-drift {args.flywheel} --start")
        return 0
    result = run_command.run_spec(Path(flywheel.run_spec), args.auto_approve, args.parallelism, trigger="drift")
    return summary.report(result, workspace)


def cmd_simulate(args: argparse.Namespace) -> int:
    from steps.logic.flywheel_rounds import outcome, table
    from workflows import simulation_report

    workspace = run_command.workspace(args)
    os.environ.setdefault("LLMOPS_WARM_START", "keep")  # a later triggered run forks from the first one's libraries
    flywheel, spec = load(Path(args.flywheel))
    settings = flywheel_simulation.Settings(
        rounds=args.rounds,
        requests=args.requests,
        drift_from=args.drift_from,
        new_charge_share=args.new_charge_share,
        reference_share=args.reference_share,
        seed=args.seed,
    )
    done = flywheel_simulation.simulate(flywheel, spec, settings, workspace, args.auto_approve, args.parallelism)
    run_id = simulation_report.log(flywheel, spec, settings, done.rounds, done.metric, done.traffic)
    print()
    print(table(done.rounds, done.metric))
    print()
    print(outcome(done.rounds))
    print(f"simulation logged as MLflow run {run_id} (chart: simulation/champion-over-rounds.png)")
    print(f"traffic: {done.traffic}")
    return 0


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
    simulate = subcommand(
        commands,
        "simulate",
        "rounds of synthetic traffic that drifts: the champion answers, the drift check fires, a run retrains on "
        "the logged traffic and the gate decides (the closed loop on this machine)",
        [
            "llmops flywheel simulate workflows/flywheels/bill-explainer-loop.yaml --rounds 4 --auto-approve",
            "llmops flywheel simulate workflows/flywheels/bill-explainer-loop.yaml --rounds 5 --drift-from 3",
        ],
    )
    simulate.add_argument(
        "flywheel", help="flywheel spec YAML with a drift section, whose run spec reads production-logs"
    )
    simulate.add_argument("--rounds", type=int, required=True, help="rounds of traffic, each followed by a drift check")
    defaults = flywheel_simulation.Settings(rounds=1)
    for option, text in (
        ("requests", "customer questions per round"),
        ("drift_from", "first round with the new kind of charge"),
        ("new_charge_share", "share of bills with the new charge from then on"),
        ("reference_share", "share of requests a reference model labels"),
        ("seed", "seed of the traffic and of people's feedback"),
    ):
        default = getattr(defaults, option)
        flag = "--" + option.replace("_", "-")
        simulate.add_argument(flag, type=type(default), default=default, help=f"{text} (default {default})")
    run_command.add_run_options(simulate, "the triggered runs: ")
    simulate.add_argument("--workspace", help="local platform workspace (default: LLMOPS_WORKSPACE or .llmops)")
    simulate.set_defaults(func=cmd_simulate)
