"""`make bench`: every speed figure of the project, measured side by side in this one run, in one table.

Usage: python -m bench.suite [--json FILE] [--only AREA ...]
Areas: startup, eval-client, training, generation, end-to-end (in this order; about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from bench.table import Figure, render, write_json

AREAS = ("startup", "eval-client", "training", "generation", "end-to-end")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--only", nargs="+", choices=AREAS, default=list(AREAS))
    args = parser.parse_args(argv)
    for key, value in {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
        os.environ.setdefault(key, value)
    warnings.filterwarnings("ignore", category=FutureWarning)
    figures: list[Figure] = []
    noop_start_s = 0.05
    if "startup" in args.only or "end-to-end" in args.only:
        from bench import step_startup

        startup, noop_start_s = step_startup.measure()
        figures += startup if "startup" in args.only else []
    if "eval-client" in args.only:
        from bench import eval_client

        figures += eval_client.figures()
    if "training" in args.only:
        from bench import lora_speed

        figures += lora_speed.measure()
    if "generation" in args.only:
        from bench import generation

        figures += generation.measure()
    if "end-to-end" in args.only:
        from bench import end_to_end

        figures += end_to_end.measure(noop_start_s)
    print(render(figures))
    if args.json:
        write_json(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
