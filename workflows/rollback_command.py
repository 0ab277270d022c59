"""`llmops rollback <registered-model>`: make the previous release the champion again and re-point serving.

The logic is `steps.rollback.rollback` (idempotent: a second call changes nothing and says so); who rolled
back (LLMOPS_USER, else the login name), when and `--reason` are recorded as tags on the versions.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from workflows.command_help import subcommand


def add_parser(sub: argparse._SubParsersAction) -> None:
    rollback = subcommand(
        sub,
        "rollback",
        "make the previous release of a registered model the champion again (re-points serving)",
        ['llmops rollback bill-explainer --reason "answers regressed for roaming questions"'],
    )
    rollback.add_argument("registered_model", help="MLflow registered model name (the run spec's release name)")
    rollback.add_argument("--reason", required=True, help="why the release is rolled back (recorded on the version)")
    rollback.add_argument("--workspace", help="local platform workspace (default: LLMOPS_WORKSPACE or .llmops)")
    rollback.set_defaults(func=cmd_rollback)


def cmd_rollback(args: argparse.Namespace) -> int:
    if args.workspace:
        os.environ["LLMOPS_WORKSPACE"] = str(Path(args.workspace).resolve())
    from steps.rollback import rollback

    print(rollback(args.registered_model, args.reason).message)
    return 0
