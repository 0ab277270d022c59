"""`llmops run`, `approve`, `reject` and `retry`: drive a run with the local runner, showing its progress.

While steps run, a terminal shows progress bars and other outputs plain lines (`workflows/progress_view.py`);
each finished step prints one line; the run ends with the summary (`workflows/summary.py`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from steps.errors import InvalidInputError
from workflows import cluster_command
from workflows.command_help import subcommand
from workflows.progress_view import ProgressView


def workspace(args: argparse.Namespace) -> Path:
    """The local platform's workspace; the steps of this process's runs read the same one."""
    path = Path(args.workspace or os.environ.get("LLMOPS_WORKSPACE", ".llmops")).resolve()
    os.environ["LLMOPS_WORKSPACE"] = str(path)
    os.environ.setdefault("LLMOPS_PROJECT_DIR", str(Path.cwd()))
    return path


def make_runner(workspace: Path, parallelism: int = 2, auto_approve: bool = False, on_event: Any = None):
    from steps.libraries import STEP_LIBRARIES
    from workflows import render
    from workflows.local_runner import LocalRunner

    return LocalRunner(
        templates=render.templates(),
        state_dir=workspace / "runs",
        parallelism=parallelism,
        auto_approve=auto_approve,
        env={k: os.environ[k] for k in ("LLMOPS_WORKSPACE", "LLMOPS_PROJECT_DIR")},
        python=sys.executable,
        cwd=Path.cwd(),
        on_event=on_event,
        warm_preload=STEP_LIBRARIES,
    )


def _git_commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def run_spec(
    path: Path,
    auto_approve: bool = False,
    parallelism: int = 2,
    interactive: bool | None = None,
    trigger: str = "git",
    dataset_source: str = "",
):
    """Validate a run spec, its platform and its dataset, then run its Workflow with the local runner.

    `interactive`: progress bars (True) or plain lines (False); default: whether stdout is a terminal.
    `trigger`: why the run starts (the workflow parameter; `llmops flywheel check-drift --start` says drift).
    `dataset_source`: replaces the spec's `dataset.source`, as a new-data event does (a new spec hash, a new run).
    """
    from steps import platforms, settings, tracking
    from workflows import preflight, render, runspec, summary

    spec = runspec.load(path)
    if dataset_source:
        spec = spec.model_copy(update={"dataset": spec.dataset.model_copy(update={"source": dataset_source})})
    preflight.check(path, spec)  # a bad dataset or evaluation fails here, before any run, upload or registration
    tracking.prepare_store()  # a new local tracking database is created once, before any step opens it
    workspace = settings.workspace()
    workflow = render.run_workflow(spec, git_commit=_git_commit())
    for parameter in workflow["spec"]["arguments"]["parameters"]:
        if parameter["name"] == "trigger":
            parameter["value"] = trigger
    name = workflow["metadata"]["name"] = summary.claim_name(workspace / "runs", workflow["metadata"]["name"])
    print(
        f"running {name} (run spec {path}) on the {platforms.configured()} platform with the local runner", flush=True
    )
    return _drive(workspace, name, interactive, lambda runner: runner.run(workflow), parallelism, auto_approve)


def _drive(
    workspace: Path, name: str, interactive: bool | None, call: Any, parallelism: int, auto_approve: bool = False
) -> Any:
    """Drive run `name` with `call(runner)`, showing its progress; an interrupted run says how to go on."""
    view = ProgressView(workspace / "runs", name, sys.stdout.isatty() if interactive is None else interactive)
    with view:
        try:
            return call(make_runner(workspace, parallelism, auto_approve, view.on_event))
        except KeyboardInterrupt:
            print(f"\n{name} interrupted; `llmops retry {name}` runs again what did not succeed", file=sys.stderr)
            raise


def cmd_run(args: argparse.Namespace) -> int:
    from workflows import summary

    ws = workspace(args)
    return summary.report(run_spec(Path(args.spec), args.auto_approve, args.parallelism), ws)


def cmd_decide(args: argparse.Namespace) -> int:
    """Resume a run waiting at approval: release it (`approve`) or stop the release (`reject`).

    With `--server` or ARGO_SERVER (and no `--local`) the run is on a cluster (`cluster_command`)."""
    from workflows import run_records, summary

    if cluster_command.cluster_mode(args):
        return cluster_command.cmd_cluster_decide(args)
    if args.reason or args.by:
        raise InvalidInputError(
            "--reason and --by are recorded on a cluster run's approval node (with --server or ARGO_SERVER); "
            "the local runner has no place for them: leave them out"
        )
    ws = workspace(args)
    name = run_records.find(ws, args.run).workflow_name
    approve = args.command == "approve"
    parameters = {"approve": "YES" if approve else "NO"}
    result = _drive(ws, name, None, lambda runner: runner.resume(name, approve, parameters), args.parallelism)
    return summary.report(result, ws)


def cmd_retry(args: argparse.Namespace) -> int:
    """Run again what did not succeed in a failed, errored or interrupted local run (like `argo retry`).

    With `--server` or ARGO_SERVER (and no `--local`) the run is on a cluster: Argo retries it."""
    from workflows import run_records, summary

    if cluster_command.cluster_mode(args):
        return cluster_command.cmd_cluster_retry(args)
    ws = workspace(args)
    name = run_records.find(ws, args.run).workflow_name
    print(f"retrying {name}: what succeeded is kept, the rest runs again", flush=True)
    result = _drive(ws, name, None, lambda runner: runner.retry(name), args.parallelism, args.auto_approve)
    return summary.report(result, ws)


def add_run_options(parser: argparse.ArgumentParser, prefix: str = "", approve: bool = True) -> None:
    """The options of a command that drives a local run: `prefix` says when they apply."""
    if approve:
        parser.add_argument("--auto-approve", action="store_true", help=f"{prefix}approve the release without waiting")
    parser.add_argument("--parallelism", type=int, default=2, help=f"{prefix}steps running at once (default 2)")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    run = subcommand(
        sub,
        "run",
        "run a run spec with the local runner: progress while it runs, the verdict at the end",
        [
            "llmops run workflows/runs/bill-explainer.yaml",
            "llmops run workflows/runs/bill-explainer.yaml --auto-approve",
        ],
    )
    run.add_argument("spec", help="run spec YAML, e.g. workflows/runs/bill-explainer.yaml")
    add_run_options(run)
    run.set_defaults(func=cmd_run)
    retry = subcommand(
        sub,
        "retry",
        "run again what did not succeed in a failed or interrupted local run (succeeded steps are kept)",
        [
            "llmops retry bill-explainer-56ff741b",
            "llmops retry bill-explainer-56ff741b --auto-approve",
            "llmops retry bill-explainer-56ff741b --server https://localhost:2746  # a run on a cluster",
        ],
    )
    retry.add_argument("run", help="the run's workflow name (`llmops runs` lists local ones)")
    add_run_options(retry, "local: ")
    cluster_command.add_cluster_arguments(retry)
    retry.set_defaults(func=cmd_retry)
    for verb, summary in (
        ("approve", "release the candidate of a run waiting for approval"),
        ("reject", "stop the release of a run waiting for approval (the candidate is not rolled out)"),
    ):
        examples = [
            f"llmops {verb} bill-explainer-56ff741b",
            f'llmops {verb} bill-explainer-56ff741b --server https://localhost:2746 --reason "checked the report"',
        ]
        decide = subcommand(sub, verb, summary, examples)
        decide.add_argument("run", help="the run's workflow name (`llmops runs` lists local ones)")
        add_run_options(decide, "local: ", approve=False)
        cluster_command.add_decide_arguments(decide)
        decide.set_defaults(func=cmd_decide)
