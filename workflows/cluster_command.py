"""`llmops submit` and the cluster mode of `llmops approve|reject|retry`: runs on an Argo Server.

`submit` sends the Workflow `make render` writes for a run spec (same name, same content), so submitting a
spec twice, or submitting one that Argo CD synced already, reports the existing run. `approve`, `reject`
and `retry` (Argo's retry of a failed run) act on a cluster when `--server` or ARGO_SERVER is given
(`--local` keeps the local runner).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from workflows.argo_server import connection
from workflows.command_help import subcommand


def cmd_submit(args: argparse.Namespace) -> int:
    from workflows import render, runspec
    from workflows.argo_server.submit import submit

    spec = runspec.load(Path(args.spec))  # a bad spec fails here, before any request
    conn = connection.from_args(args)
    result = submit(conn, render.run_workflow(spec), args.namespace)
    if result.created:
        print(f"submitted {result.name} (run spec {args.spec}) to {conn.host} in namespace {result.namespace}")
    else:
        print(
            f"{result.name} was submitted before ({result.phase}); the spec is unchanged, so nothing was "
            "submitted (change the spec for a new run)"
        )
    print(f"Argo UI: {result.url}")
    return 0


def cmd_cluster_decide(args: argparse.Namespace) -> int:
    """`approve`/`reject` against the Argo Server: answer the run's waiting approval node."""
    from steps.rollback import user
    from workflows.argo_server.approval import decide
    from workflows.pipeline import NAMESPACE

    conn = connection.from_args(args)
    approve = args.command == "approve"
    who = args.by or user()
    decision = decide(conn, args.run, args.namespace or NAMESPACE, approve, who, args.reason or "")
    outcome = "the rollout runs next" if approve else "the candidate is not rolled out"
    print(f"{decision.name}: {decision.message} ({decision.value}); {outcome}")
    print(f"Argo UI: {decision.url}")
    return 0


def cmd_cluster_retry(args: argparse.Namespace) -> int:
    """`retry` against the Argo Server: Argo's retry of a failed run (the steps that succeeded are kept)."""
    from workflows.argo_server.retry import retry
    from workflows.pipeline import NAMESPACE

    conn = connection.from_args(args)
    retried = retry(conn, args.run, args.namespace or NAMESPACE)
    again = ", ".join(retried.failed) or "its failed nodes"
    print(f"{retried.name} was {retried.was}; retried on {conn.host}: {again} run again, what succeeded is kept")
    print(f"Argo UI: {retried.url}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    submit = subcommand(
        sub,
        "submit",
        "submit a run spec's Workflow to an Argo Server (once: an unchanged spec reports its existing run)",
        [
            "ARGO_SERVER=https://localhost:2746 llmops submit workflows/runs/bill-explainer.yaml",
            "llmops submit workflows/runs/bill-explainer.yaml --server https://argo.example.com --ca-bundle ca.pem",
            "llmops submit workflows/runs/bill-explainer.yaml --server http://localhost:2746  # kind, port-forward",
        ],
    )
    submit.add_argument("spec", help="run spec YAML, e.g. workflows/runs/bill-explainer.yaml")
    connection.add_arguments(submit)
    submit.epilog = (submit.epilog or "") + (
        "\n\ntoken: ARGO_TOKEN, else the kubeconfig's current user token (KUBECONFIG or ~/.kube/config)"
    )
    submit.set_defaults(func=cmd_submit)


def add_decide_arguments(decide: argparse.ArgumentParser) -> None:
    """The cluster-mode options of `approve` and `reject`."""
    add_cluster_arguments(decide)
    decide.add_argument("--reason", help="cluster mode: why (recorded with who as the approval node's message)")
    decide.add_argument("--by", help="cluster mode: who decides (default: LLMOPS_USER, else the login name)")


def add_cluster_arguments(command: argparse.ArgumentParser) -> None:
    """The Argo Server options of a command that acts on a local run unless a server is given."""
    connection.add_arguments(command, cluster_only=False)
    command.add_argument("--local", action="store_true", help="use the local runner even when ARGO_SERVER is set")


def cluster_mode(args: argparse.Namespace) -> bool:
    return not args.local and connection.selected_server(args) is not None
