"""`llmops`: run a run spec on this machine, follow and compare runs, approve or reject a release, render.

Each command group lives in its own module (`run_command`, `runs_command`, `compare_command`,
`score_command`); this module builds the parser and maps errors to exit codes. Errors a person can fix
(bad run spec, bad dataset line, missing file, unknown run) print one clear message and exit with
status 2; a workflow that ran and failed exits with 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from steps.errors import LlmopsError
from workflows import (
    cluster_command,
    compare_command,
    flywheel_command,
    rollback_command,
    run_command,
    runs_command,
    score_command,
    serve_command,
)
from workflows.command_help import subcommand
from workflows.local_runner.errors import RunnerError

EXIT_FAILED, EXIT_USAGE = 1, 2


def cmd_render(args: argparse.Namespace) -> int:
    from workflows import render

    if args.runs_dir and not args.stdout:
        raise LlmopsError("--runs-dir needs --stdout: `llmops render` writes only the project's own run specs")
    if not args.stdout:
        if args.runs_only:
            raise LlmopsError("--runs-only needs --stdout: `llmops render` writes every manifest, or none")
        for rel in render.write():
            print(rel)
        return 0
    runs_dir = Path(args.runs_dir) if args.runs_dir else render.RUNS_DIR
    if not runs_dir.is_dir():
        raise LlmopsError(f"{runs_dir}: no such folder of run specs")
    docs = render.run_documents(runs_dir) if args.runs_only else render.documents(runs_dir)
    sys.stdout.write(render.stream(docs.values()))
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from workflows.lint import lint

    schemas = Path(args.schemas) if args.schemas else None
    problems = lint(schemas)
    for problem in problems:
        print(problem)
    checked = (
        "references, freshness, secret literals, Strict template referencing, cron schedules and event bindings, "
        "Argo CD apps and projects"
    ) + (f", CRD schemas from {schemas}" if schemas else " (no --schemas: CRD schemas skipped)")
    print(f"{len(problems)} problem(s); checked {checked}")
    return EXIT_FAILED if problems else 0


def cmd_model_build(args: argparse.Namespace) -> int:
    from steps.basemodel.build import build_base_model, default_output

    run_command.workspace(args)
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
    run_command.add_parsers(sub)
    runs_command.add_parsers(sub)
    compare_command.add_parser(sub)
    render = subcommand(
        sub,
        "render",
        "write the rendered manifests into the repository, or print them as one YAML stream",
        ["llmops render", "llmops render --runs-only --stdout", "llmops render --runs-only --stdout --runs-dir ."],
    )
    render.add_argument("--stdout", action="store_true", help="print a YAML stream instead of writing files")
    render.add_argument("--runs-only", action="store_true", help="only the run Workflows (with --stdout)")
    render.add_argument("--runs-dir", help="folder of run specs (with --stdout; default: the project's workflows/runs)")
    render.set_defaults(func=cmd_render)
    lint = subcommand(
        sub,
        "lint",
        "check the rendered manifests and the Argo CD setup offline (freshness, references, projects, CRD schemas)",
        ["llmops lint", "llmops lint --schemas crd-schemas/"],
    )
    lint.add_argument("--schemas", help="folder of CRD openAPIV3Schema JSON files with index.json")
    lint.set_defaults(func=cmd_lint)
    model = subcommand(sub, "model", "the local platform's own base models", ["llmops model build"])
    model_sub = model.add_subparsers(dest="model_command", required=True)
    build = subcommand(
        model_sub,
        "build",
        "build a base model from its recipe (tokenizer, pre-training, smoke benchmarks)",
        ["llmops model build", "llmops model build --seed 1 --out /tmp/tiny-llama-seed1"],
    )
    build.add_argument("--name", default="llmops/tiny-llama", help="recipe name (default llmops/tiny-llama)")
    build.add_argument("--seed", type=int, default=0, help="initialisation seed (default 0)")
    build.add_argument("--out", help="output folder (default: the committed weights folder of the recipe)")
    build.add_argument("--no-eval", action="store_true", help="skip the smoke benchmarks after the build")
    build.set_defaults(func=cmd_model_build)
    score_command.add_parser(sub)
    serve_command.add_parser(sub)
    rollback_command.add_parser(sub)
    cluster_command.add_parser(sub)
    flywheel_command.add_parser(sub)
    return p


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops a run as Ctrl-C does: steps stopped, state saved


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    try:
        return args.func(args)
    except (LlmopsError, RunnerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
