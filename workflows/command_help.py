"""Every `llmops` subcommand is made here, so that each `--help` shows a one-line description and examples."""

from __future__ import annotations

import argparse


def subcommand(
    sub: argparse._SubParsersAction, name: str, summary: str, examples: list[str]
) -> argparse.ArgumentParser:
    """`summary` is the one-line help (lower case, no full stop); `examples` are full command lines."""
    return sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
