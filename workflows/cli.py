"""`llmops`: run a run spec on this machine, approve a waiting run, render manifests, score predictions.

Errors a person can fix (bad run spec, bad dataset line, missing file) print one clear message
and exit with status 2; a workflow that ran and failed exits with 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from steps.errors import LlmopsError
from workflows import rollback_command, score_command
from workflows.local_runner.errors import RunnerError

EXIT_FAILED, EXIT_USAGE = 1, 2


def _workspace(args: argparse.Namespace) -> Path:
    path = Path(args.workspace or os.environ.get("LLMOPS_WORKSPACE", ".llmops")).resolve()
    os.environ["LLMOPS_WORKSPACE"] = str(path)  # the steps of this run read the same workspace
    os.environ.setdefault("LLMOPS_PROJECT_DIR", str(Path.cwd()))
    return path


def make_runner(workspace: Path, parallelism: int = 2, auto_approve: bool = False):
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
        on_event=_print_event,
    )


SHOWN_PHASES = {"Succeeded", "Failed", "Error", "Skipped", "Omitted", "Suspended"}


def _print_event(node: str, phase: str, message: str) -> None:
    """One line per step that finished (the Argo UI's node list, as text)."""
    if phase in SHOWN_PHASES:
        step = node.split(".", 1)[1] if "." in node else "(workflow)"
        print(f"  {phase:<10} {step}{'  ' + message if message else ''}", flush=True)


def _git_commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def run_spec(path: Path, auto_approve: bool = False, parallelism: int = 2):
    """Validate a run spec, its platform and its dataset, then run its Workflow with the local runner."""
    from steps import platforms, settings
    from workflows import preflight, render, runspec, summary

    spec = runspec.load(path)
    preflight.check(path, spec)  # a bad dataset or evaluation fails here, before any run, upload or registration
    workspace = settings.workspace()
    workflow = render.run_workflow(spec, git_commit=_git_commit())
    workflow["metadata"]["name"] = summary.unused_name(workspace / "runs", workflow["metadata"]["name"])
    print(
        f"running {workflow['metadata']['name']} (run spec {path}) on the {platforms.configured()} platform "
        "with the local runner",
        flush=True,
    )
    return make_runner(workspace, parallelism, auto_approve).run(workflow)


def cmd_run(args: argparse.Namespace) -> int:
    from workflows import summary

    workspace = _workspace(args)
    return summary.report(run_spec(Path(args.spec), args.auto_approve, args.parallelism), workspace)


def cmd_approve(args: argparse.Namespace) -> int:
    from workflows import summary

    workspace = _workspace(args)
    approve = not args.reject
    result = make_runner(workspace, args.parallelism).resume(
        args.workflow, approve=approve, parameters={"approve": "YES" if approve else "NO"}
    )
    return summary.report(result, workspace)


def cmd_render(args: argparse.Namespace) -> int:
    from workflows import render

    for rel in render.write():
        print(rel)
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from workflows.lint import lint

    schemas = Path(args.schemas) if args.schemas else None
    problems = lint(schemas)
    for problem in problems:
        print(problem)
    checked = "references, freshness" + (
        f", CRD schemas from {schemas}" if schemas else " (no --schemas: CRD schemas skipped)"
    )
    print(f"{len(problems)} problem(s); checked {checked}")
    return EXIT_FAILED if problems else 0


def cmd_model_build(args: argparse.Namespace) -> int:
    from steps.basemodel.build import build_base_model, default_output

    _workspace(args)
    out = Path(args.out) if args.out else default_output(args.name)
    print(f"building {args.name} (seed {args.seed}) into {out}; pre-training takes minutes", flush=True)
    info = build_base_model(args.name, args.seed, out, evaluate=not args.no_eval)
    pretrain = info["pretrain"]
    print(
        f"built {out}: {info['parameters']:,} parameters, recipe {info['recipe_hash'][:12]}, "
        f"{info['build_seconds']:.0f} s ({pretrain.get('tokens', 0):,} pre-training tokens, "
        f"final loss {pretrain.get('final_loss', float('nan')):.3f})"
    )
    for name, score in info.get("benchmarks", {}).items():
        print(f"  {name:<9} {score['metric']} = {score['score']:.3f} (n={score['n']})")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="llmops", description=__doc__.splitlines()[0])
    p.add_argument("--workspace", help="local platform workspace (default: $LLMOPS_WORKSPACE or .llmops)")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a run spec with the local runner")
    run.add_argument("spec", help="run spec YAML, e.g. workflows/runs/bill-explainer.yaml")
    run.add_argument("--auto-approve", action="store_true", help="approve the release without waiting")
    run.add_argument("--parallelism", type=int, default=2, help="steps running at once (default 2)")
    run.set_defaults(func=cmd_run)
    approve = sub.add_parser("approve", help="resume a run waiting for approval")
    approve.add_argument("workflow", help="workflow name printed by `llmops run`")
    approve.add_argument("--reject", action="store_true", help="stop the release instead")
    approve.add_argument("--parallelism", type=int, default=2)
    approve.set_defaults(func=cmd_approve)
    render = sub.add_parser("render", help="write the rendered manifests into the repository")
    render.set_defaults(func=cmd_render)
    lint = sub.add_parser("lint", help="check the rendered manifests offline (freshness, references, CRD schemas)")
    lint.add_argument("--schemas", help="folder of CRD openAPIV3Schema JSON files with index.json")
    lint.set_defaults(func=cmd_lint)
    model = sub.add_parser("model", help="the local platform's own base models")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    build = model_sub.add_parser(
        "build", help="build a base model from its recipe (tokenizer, pre-training, smoke benchmarks)"
    )
    build.add_argument("--name", default="llmops/tiny-llama", help="recipe name (default llmops/tiny-llama)")
    build.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")
    build.add_argument("--out", help="output folder (default: the committed weights folder of the recipe)")
    build.add_argument("--no-eval", action="store_true", help="skip the smoke benchmarks after the build")
    build.set_defaults(func=cmd_model_build)
    score_command.add_parser(sub)
    rollback_command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (LlmopsError, RunnerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
