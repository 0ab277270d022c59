"""The run spec's benchmark names, checked once the schema holds (`runspec.load` reports each with
file, line and field, before anything runs or is written): the suites must not repeat, each must be
one a run with its benchmark data can score (built in, or an lm-evaluation-harness task, checked
against lm-eval's task registry: `steps.benchmark_names`), and each per-benchmark gate override must
name a listed suite."""

from __future__ import annotations

from typing import Any

from steps import benchmark_names

built_in = benchmark_names.built_in  # the default suites


def _suite(i: int, name: str, suites: list[str], data: str) -> str | None:
    if name in suites[:i]:
        return f"{name!r} is listed twice; benchmark suites must not repeat"
    return benchmark_names.problem(name, data)


def problems(benchmarks: Any, gate: Any) -> list[tuple[tuple, str]]:
    """(location in the run spec, message) of each benchmark name the run cannot use, given the run
    spec's `benchmarks` and `gate` sections."""
    suites: list[str] = benchmarks.suites
    found: list[tuple[tuple, str]] = [
        (("benchmarks", "suites", i), message)
        for i, name in enumerate(suites)
        if (message := _suite(i, name, suites, benchmarks.data)) is not None
    ]
    return found + [
        (
            ("gate", "max_regression_per_benchmark", name),
            f"{name!r} is not one of benchmarks.suites: {', '.join(suites)}",
        )
        for name in gate.max_regression_per_benchmark
        if name not in suites
    ]
