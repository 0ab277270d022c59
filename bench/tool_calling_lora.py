"""Tool-calling LoRA variants on the local base model, measured without the pipeline (docs/tool-calling.md).

Trains an adapter with the project's trainer (`steps.local.lora_training.train_lora`) on the synthetic xLAM
training file (the `xlam` format, split 90/10 like `workflows/runs/tool-calling.yaml`), optionally with replay
rows, then scores the adapter on the HELD-OUT file with the project's `tool-calling` metric through the local
inference (tools listed, calls parsed back) and, with --benchmarks, on the smoke GSM8K and TriviaQA sets
through lm-evaluation-harness, as the pipeline does. Nothing is hand-scored. Prints one JSON line per model.

Replay rows (--replay N) are chat turns of the base model's other skills, no tools offered: word problems
answered in the GSM8K layout and closed-book questions about the invented world, never a question of the
smoke benchmark sets (`Decontamination`).

Usage: python -m bench.tool_calling_lora [--rank 16] [--alpha 32] [--lr 3e-3] [--epochs 5] [--batch 2]
       [--targets q_proj,...] [--replay N] [--benchmarks] [--limit 30] [--base]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from steps.logic import chat_records, dataset_formats, splits
from steps.logic.metrics import engine, registry

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "examples/tool-calling/synthetic-tool-calls-train.jsonl"
HELDOUT = ROOT / "examples/tool-calling/synthetic-tool-calls-heldout.jsonl"
BASE = ROOT / "steps/local/weights/llmops-tiny-llama"
SPECS = registry.parse_metric_specs([{"name": "tools", "type": "tool-calling"}])
SUITES = ("gsm8k", "triviaqa")
SYSTEM_PROMPTS = ("You are a helpful assistant.", "Answer briefly.", "Follow the instructions exactly.")


def _records(path: Path) -> list[chat_records.ChatRecord]:
    rows = [(n, json.loads(line)) for n, line in enumerate(path.read_text().splitlines(), start=1) if line.strip()]
    return [item.record for item in dataset_formats.convert_rows(rows, "xlam", str(path))]


def replay_rows(n: int, seed: int = 7) -> list[dict]:
    """`n` chat rows of word problems and closed-book questions (half of them after a short system prompt), none of
    them a smoke benchmark question."""
    from steps.basemodel.decontamination import Decontamination
    from steps.data import smoke_benchmarks as smoke

    rng, clean, world = random.Random(f"replay-{seed}"), Decontamination.from_smoke_sets(), smoke.synthetic_world()
    rows: list[dict] = []
    while len(rows) < n:
        if rng.choice("gt") == "g":
            question, answer, _ = smoke.gsm8k_problem(rng)
        else:
            question, aliases = smoke.trivia_question(rng, rng.choice(world))
            answer = aliases[0]
        if question in clean.questions:
            continue
        system = [{"role": "system", "content": rng.choice(SYSTEM_PROMPTS)}] if rng.random() < 0.5 else []
        rows.append(
            {"messages": [*system, {"role": "user", "content": question}, {"role": "assistant", "content": answer}]}
        )
    return rows


def tool_scores(adapter: Path | None, rows: list[dict], max_tokens: int = 128) -> dict[str, float]:
    from steps.local.chat_model import LocalChatModel
    from steps.logic.evaluation_rows import sample_of

    replies = LocalChatModel(BASE, adapter).create_batch(
        [r["messages"] for r in rows], max_tokens=max_tokens, tools=[r["tools"] for r in rows]
    )
    samples = [engine.Sample.model_validate(sample_of(reply)) for reply in replies]
    return {name: round(value, 3) for name, value in engine.evaluate(SPECS, rows, samples).values().items()}


def benchmark_scores(adapter: Path | None, limit: int, out: Path) -> dict[str, float]:
    from steps.data.smoke_benchmarks import ensure_smoke_sets
    from steps.local import harness

    return {
        suite: round(harness.run_benchmark(suite, ensure_smoke_sets(), BASE, adapter, limit, out / suite).score, 3)
        for suite in SUITES
    }


def scores(adapter: Path | None, test: list[dict], args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    return tool_scores(adapter, test) | (benchmark_scores(adapter, args.limit, tmp) if args.benchmarks else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--alpha", type=float, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--targets", default="", help="comma-separated LoRA target modules; default: the trainer's")
    parser.add_argument("--replay", type=int, default=0, help="replay rows added to the training rows")
    parser.add_argument("--benchmarks", action="store_true", help="also score the smoke GSM8K and TriviaQA sets")
    parser.add_argument("--limit", type=int, default=30, help="benchmark items per suite")
    parser.add_argument("--base", action="store_true", help="also score the base model")
    args = parser.parse_args()

    from steps.local.lora_training import LoraTrainingConfig, train_lora

    parts = splits.split_records(_records(TRAIN), chat_records.record_id, 0.1, 0.0, 0, external_test=True)
    train = [chat_records.training_row(r) for r in parts["training"]] + replay_rows(args.replay)
    random.Random(0).shuffle(train)
    val = [chat_records.training_row(r) for r in parts["validation"]]
    test = [chat_records.evaluation_row(r) for r in _records(HELDOUT)]
    with tempfile.TemporaryDirectory() as tmp:
        if args.base:
            print(json.dumps({"model": "base", **scores(None, test, args, Path(tmp))}), flush=True)
        hp = LoraTrainingConfig(
            rank=args.rank,
            alpha=args.alpha,
            dropout=0.0,
            learning_rate=args.lr,
            epochs=args.epochs,
            batch_size=args.batch,
            seed=0,
            **({"target_modules": args.targets.split(",")} if args.targets else {}),
        )
        adapter = Path(tmp) / "adapter"
        result = train_lora(BASE, train, val, hp, adapter)
        trained = {"rows": len(train), "steps": result.steps, "train_seconds": round(result.seconds)}
        losses = {"train_loss": result.final_train_loss, "val_loss": result.final_val_loss}
        measured = scores(adapter, test, args, Path(tmp))
        print(json.dumps({"model": "candidate", **vars(args), **trained, **losses, **measured}), flush=True)


if __name__ == "__main__":
    main()
