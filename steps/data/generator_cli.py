"""The command line every synthetic data generator shares: `--rows`, `--seed`, `--out FILE.jsonl` (and, for a
generator with separate training and held-out pools, `--split`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from steps.errors import LlmopsError


def write_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> int:
    """Write one JSON object per line (UTF-8); creates parent folders; returns the row count."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count


def run(
    argv: list[str] | None,
    module: str,
    description: str,
    generate: Callable[..., list[dict[str, Any]]],
    rows: int,
    rows_help: str = "number of rows",
    seed_help: str = "random seed",
    notice: str = "SYNTHETIC DATA",
    splits: tuple[str, ...] = (),
) -> int:
    """Parse the arguments, write `generate(rows, seed)` to `--out`; a bad argument prints one line, exit 2.

    With `splits`, `--split` (default: the first) picks one and `generate(rows, seed, split)` is called.
    """
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--rows", type=int, default=rows, help=rows_help)
    parser.add_argument("--seed", type=int, default=0, help=seed_help)
    if splits:
        parser.add_argument(
            "--split", choices=splits, default=splits[0], help="which pool of templates and values to draw from"
        )
    parser.add_argument("--out", type=Path, required=True, help="output .jsonl file")
    args = parser.parse_args(argv)
    try:
        extra = (args.split,) if splits else ()
        count = write_jsonl(args.out, generate(args.rows, args.seed, *extra))
    except LlmopsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {count} rows to {args.out} ({notice})")
    return 0
