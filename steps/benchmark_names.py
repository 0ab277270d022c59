"""Which benchmarks a run may name: the three built-in ones, or any lm-evaluation-harness task.

- `gsm8k`, `squad`, `triviaqa` (`steps.contracts.BENCHMARKS`) are built in: the project's task configs
  over JSONL files, its offline smoke sets with data 'smoke' (`squad` is the project's name, lm-eval
  has `squadv2` and `squad_completion`).
- Any other name is an lm-evaluation-harness task or group, run with the harness's own prompts,
  metrics and data. A tag (several tasks under one name, e.g. `ai2_arc`) is refused: list its tasks.

The names are checked against lm-eval's task registry (`lm_eval.tasks.TaskManager`), built once per
process and only when a name is not built in: building it indexes about 14,700 task configs, measured
at 8 s (idle) to 19 s (busy) on two CPU cores.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any

from steps.contracts import BENCHMARKS

SMOKE = "smoke"  # the benchmark data of the built-in smoke sets


def built_in() -> list[str]:
    """The built-in benchmarks (the run spec's default suites)."""
    return list(BENCHMARKS)


@functools.cache
def task_manager() -> Any:
    """lm-eval's task registry with its built-in tasks (one per process; lm_eval imported here)."""
    from lm_eval.tasks import TaskManager

    return TaskManager()


def _did_you_mean(name: str, known: list[str]) -> str:
    matches = difflib.get_close_matches(name, known, n=3, cutoff=0.75)
    if not matches:
        return "; see `lm-eval ls tasks` for the task names"
    quoted = [repr(m) for m in matches]
    return "; did you mean " + (quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}") + "?"


def problem(name: str, data: str) -> str | None:
    """Why a run with benchmark data `data` cannot score benchmark `name`; None when it can."""
    if name in BENCHMARKS:
        return None
    manager = task_manager()
    if name in manager.all_tags:
        return (
            f"{name!r} is an lm-evaluation-harness tag of several tasks, scored one by one: list the tasks "
            "you want instead (see `lm-eval ls tags`)"
        )
    if name not in manager.all_subtasks and name not in manager.all_groups:
        known = list(dict.fromkeys([*BENCHMARKS, *manager.all_subtasks, *manager.all_groups]))
        return f"unknown lm-evaluation-harness task {name!r}" + _did_you_mean(name, known)
    return no_smoke_set(name) if data == SMOKE else None


def no_smoke_set(name: str) -> str | None:
    """Why data 'smoke' cannot score benchmark `name`; None when it can (a built-in benchmark)."""
    if name in BENCHMARKS:
        return None
    return (
        f"lm-evaluation-harness task {name!r} has no smoke set: data 'smoke' only has {', '.join(BENCHMARKS)}; "
        "set benchmarks.data to the benchmark data set that holds it (local platform: a folder under "
        "<workspace>/benchmarks holding its Hugging Face datasets cache; nemo: 'standard')"
    )
