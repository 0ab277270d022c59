"""Benchmark results are memoized on a digest of everything they depend on, valid as an Argo cache key whatever
characters a model key, adapter id or data name holds; the benchmark step refuses a key of other inputs."""

from __future__ import annotations

import pytest

from steps.benchmark import BenchmarkInput, benchmark
from steps.benchmark_keys import BenchmarkKeysInput, BenchmarkSettings, benchmark_keys, key_of
from steps.errors import InvalidInputError
from steps.logic.memo_key import is_argo_cache_key

SETTINGS = {
    "target": "candidate",
    "base_model": "meta/llama-3.2-1b-instruct",
    "model_key": "meta/llama-3.2-1b-instruct@v1.0",  # dots, slashes and @: not allowed in an Argo cache key
    "adapter_id": "default/bill-explainer@cust-abc",
    "candidate": "lr_low",
    "benchmark_limit": 20,
    "benchmark_data": "telecom_smoke",
    "benchmark_fewshot": -1,
}


def _keys(**changes) -> dict[str, str]:
    given = BenchmarkSettings(**{**SETTINGS, **changes})
    return {name: key_of(given, name) for name in ("squad", "triviaqa")}


def test_each_benchmark_gets_a_valid_argo_key_of_its_own():
    keys = _keys()
    assert list(keys) == ["squad", "triviaqa"] and keys["squad"] != keys["triviaqa"]
    assert all(is_argo_cache_key(f"benchmark-{key}") for key in keys.values())
    assert _keys() == keys  # deterministic


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_model", "other"),
        ("model_key", "other-weights"),
        ("adapter_id", "default/other@cust-def"),
        ("benchmark_limit", 21),
        ("benchmark_data", "smoke"),
        ("benchmark_fewshot", 0),
    ],
)
def test_every_input_changes_the_key(field, value):
    assert _keys(**{field: value})["squad"] != _keys()["squad"]


def test_the_benchmark_step_refuses_a_key_of_other_inputs():
    wrong = _keys(benchmark_limit=5)["squad"]
    given = BenchmarkInput(**SETTINGS, benchmark="squad", memo_key=wrong, mlflow_run_id="0" * 32)
    with pytest.raises(InvalidInputError, match="is not the key of this step's inputs"):
        benchmark(given)


def test_benchmarks_that_are_not_a_list_of_names_are_refused():
    with pytest.raises(InvalidInputError, match="JSON list of names"):
        benchmark_keys(BenchmarkKeysInput(**SETTINGS, benchmarks='{"squad": 1}', mlflow_run_id="0" * 32))


def test_the_models_role_is_not_in_the_key():
    """A champion that was a candidate of an earlier run reuses the benchmark scores it got then."""
    assert _keys(target="champion", candidate="") == _keys()
