"""Benchmark names in a run spec: any lm-evaluation-harness task, checked against the harness's task
registry when the spec is loaded (file:line:field, before anything runs); the smoke sets only have the
three built-in benchmarks; per-benchmark gate overrides name a listed suite.

The registry is a stand-in here (the real one takes seconds to build; tests/local checks it)."""

from types import SimpleNamespace

import pytest

from steps import benchmark_names
from steps.errors import InvalidInputError
from workflows import parameters, runspec

SPEC = """\
name: demo
base_model: llmops/tiny-llama
dataset:
  source: examples/bill-explainer/bills.jsonl
  name: telecom-bills
benchmarks:
  suites:
{suites}  data: {data}
{gate}"""


@pytest.fixture(autouse=True)
def registry(monkeypatch):
    fake = SimpleNamespace(
        all_subtasks=["arc_easy", "gsm8k", "gsm8k_cot", "hellaswag", "triviaqa"],
        all_groups=["mmlu"],
        all_tags=["ai2_arc"],
    )
    monkeypatch.setattr(benchmark_names, "task_manager", lambda: fake)
    return fake


def _write(tmp_path, suites, data="smoke", gate=""):
    path = tmp_path / "demo.yaml"
    path.write_text(SPEC.format(suites="".join(f"  - {s}\n" for s in suites), data=data, gate=gate))
    return path


def _problems(path) -> list[str]:
    with pytest.raises(InvalidInputError) as info:
        runspec.load(path)
    return str(info.value).splitlines()[1:]


def test_any_lm_eval_task_is_a_suite_and_stays_a_json_list_parameter(tmp_path):
    spec = runspec.load(_write(tmp_path, ["gsm8k", "hellaswag", "mmlu"], data="mirror"))
    assert spec.benchmarks.suites == ["gsm8k", "hellaswag", "mmlu"]
    assert parameters.arguments(spec)["benchmarks"] == '["gsm8k", "hellaswag", "mmlu"]'
    benchmark_parameter = next(p for p in parameters.PARAMETERS if p.name == "benchmarks")
    assert benchmark_parameter.enum is None and benchmark_parameter.default == '["gsm8k", "squad", "triviaqa"]'


def test_an_unknown_task_names_file_line_field_and_the_nearest_name(tmp_path):
    path = _write(tmp_path, ["squad", "gsmk8"])
    assert _problems(path) == [
        f"  {path}:9: benchmarks.suites.1: unknown lm-evaluation-harness task 'gsmk8'; did you mean 'gsm8k'?"
    ]


def test_smoke_data_has_only_the_built_in_benchmarks_and_tags_are_refused(tmp_path):
    path = _write(tmp_path, ["hellaswag", "ai2_arc", "zzzz"])
    first, second, third = _problems(path)
    assert first.startswith(f"  {path}:8: benchmarks.suites.0: lm-evaluation-harness task 'hellaswag' has no smoke set")
    assert "data 'smoke' only has gsm8k, squad, triviaqa; set benchmarks.data" in first
    assert second.startswith(f"  {path}:9: benchmarks.suites.1: 'ai2_arc' is an lm-evaluation-harness tag")
    assert third.endswith("unknown lm-evaluation-harness task 'zzzz'; see `lm-eval ls tasks` for the task names")


def test_built_in_suites_never_build_the_registry(tmp_path, monkeypatch):
    def unused():
        raise AssertionError("the registry is not needed for the built-in benchmarks")

    monkeypatch.setattr(benchmark_names, "task_manager", unused)
    assert runspec.load(_write(tmp_path, ["gsm8k", "squad", "triviaqa"])).benchmarks.data == "smoke"


def test_repeats_bad_names_and_gate_overrides_of_unlisted_suites(tmp_path):
    gate = "gate:\n  max_regression_per_benchmark:\n    gsm8k: 0.1\n    squad: 0.2\n"
    path = _write(tmp_path, ["gsm8k", "gsm8k"], gate=gate)
    assert _problems(path) == [
        f"  {path}:9: benchmarks.suites.1: 'gsm8k' is listed twice; benchmark suites must not repeat",
        f"  {path}:14: gate.max_regression_per_benchmark.squad: 'squad' is not one of benchmarks.suites: gsm8k, gsm8k",
    ]
    bad_name = _problems(_write(tmp_path, ["gsm8k (cot)"]))
    assert bad_name[0].startswith(f"  {path}:8: benchmarks.suites.0: String should match pattern")


def test_preflight_refuses_an_unknown_task_before_anything_is_written(tmp_path, monkeypatch, capsys):
    from workflows import cli

    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    monkeypatch.setenv("LLMOPS_PROJECT_DIR", str(tmp_path))
    workspace = tmp_path / "ws"
    path = _write(tmp_path, ["gsm8k", "hellaswg"], data="mirror")
    assert cli.main(["--workspace", str(workspace), "run", str(path)]) == cli.EXIT_USAGE
    message = capsys.readouterr().err
    assert f"{path}:9: benchmarks.suites.1: unknown lm-evaluation-harness task 'hellaswg'" in message
    assert "did you mean 'hellaswag'?" in message
    assert not workspace.exists()  # no run, upload or registration
