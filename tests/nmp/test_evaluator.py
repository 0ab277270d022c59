"""The evaluator port against the real Evaluator: run-spec metrics as offline jobs, results read back and
compared with the project's own metric engine; a re-run finds the job instead of creating another."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps.errors import InvalidInputError
from steps.logic import metrics as engine
from steps.logic.task_scoring import score_task
from steps.nmp.client import ensure_workspace, platform_client
from steps.nmp.eval_jobs import answer_fields, jobs_path, score_with_evaluator
from steps.nmp.evaluator import NmpEvaluator
from steps.nmp.inference import NmpInference
from tests.nmp.conftest import BASE_MODEL

CALL = {"type": "function", "function": {"name": "get_bill", "arguments": {"month": "May"}}}
SPECS = [
    {"name": "exact", "type": "exact-match", "reference": "{{item.expected}}"},
    {"name": "overlap", "type": "f1", "reference": "{{item.expected}}"},
    {"name": "says", "type": "string-check", "check": ["{{sample.output_text}}", "contains", "{{item.keyword}}"]},
    {"name": "amount", "type": "number-check", "left_template": "{{sample.output_text}}",
     "operation": "equals", "right_template": "{{item.amount}}"},
    {"name": "calls", "type": "tool-calling", "reference": "{{item.tool_calls}}"},
]  # fmt: skip
ITEMS = [
    {"id": "a", "expected": "Paris", "keyword": "Paris", "amount": "12", "tool_calls": [CALL]},
    {"id": "b", "expected": "the blue whale", "keyword": "whale", "amount": "7", "tool_calls": [CALL]},
    {"id": "c", "expected": "The answer is 42.", "keyword": "answer", "amount": "42", "tool_calls": [CALL]},
]
OUTPUTS = [
    ("paris! 12", [CALL]),
    ("A whale, blue; 7 metres", [{"type": "function", "function": {"name": "get_bill", "arguments": {"m": 1}}}]),
    ("the answer is 42", []),
]


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch):
    monkeypatch.setenv("LLMOPS_NMP_TIME_SCALE", "0.25")


def _jobs(client) -> list[dict]:
    return client.get(jobs_path(), cast_to=object, options={"params": {"page_size": 100}})["data"]


def test_run_spec_metrics_on_the_evaluator_agree_with_the_local_engine_and_a_rerun_finds_the_job(nmp_env):
    client = platform_client()
    ensure_workspace(client)
    specs = engine.parse_metric_specs(SPECS)
    rows = [{**item, **answer_fields(text, calls)} for item, (text, calls) in zip(ITEMS, OUTPUTS, strict=True)]
    remote = score_with_evaluator(client, specs, rows)
    samples = [{"output_text": text, "tool_calls": calls} for text, calls in OUTPUTS]
    local = engine.evaluate(specs, ITEMS, samples).scores
    assert list(remote) == list(local)
    for name, score in local.items():
        assert remote[name].value == pytest.approx(score.value), name
        assert remote[name].stderr == pytest.approx(score.stderr), name
        assert remote[name].n == score.n == 3
        assert [i.id for i in remote[name].items] == [i.id for i in score.items]
        assert [i.value for i in remote[name].items] == pytest.approx([i.value for i in score.items]), name
    assert len(_jobs(client)) == 1
    assert score_with_evaluator(client, specs, rows) == remote
    assert len(_jobs(client)) == 1


def test_a_metric_the_platform_does_not_have_is_refused_naming_it(nmp_env):
    specs = engine.parse_metric_specs([{"name": "fields", "type": "json-fields", "fields": ["a"]}])
    with pytest.raises(InvalidInputError, match=r"metric 'fields'.*json-fields"):
        score_with_evaluator(platform_client(), specs, [{"id": "1", "output": "{}"}])


def test_a_benchmark_through_the_gateway_scores_as_llmops_score_does(routed_model, tmp_path):
    evaluator = NmpEvaluator(NmpInference())
    score = evaluator.run_benchmark("triviaqa", "smoke", BASE_MODEL, "", 4, tmp_path)
    assert (score.benchmark, score.metric, score.n) == ("triviaqa", "exact_match", 4)
    samples = [json.loads(line) for line in Path(score.samples_file).read_text().splitlines()]
    from steps.data.smoke_benchmarks import ensure_smoke_sets
    from steps.logic.records import read_jsonl

    data = read_jsonl(ensure_smoke_sets() / "triviaqa.jsonl")[:4]
    predictions = [(i, {"id": s["id"], "prediction": s["completion"]}) for i, s in enumerate(samples, start=1)]
    expected = score_task("triviaqa", data, "data", predictions, "predictions")
    assert [(i.id, i.value) for i in score.items] == [(i.id, i.value) for i in expected.items["exact_match"]]
    assert score.metrics["f1"] == pytest.approx(expected.summary()["metrics"]["f1"]["value"])
    jobs = len(_jobs(platform_client()))
    again = evaluator.run_benchmark("triviaqa", "smoke", BASE_MODEL, "", 4, tmp_path / "again")
    assert again.score == score.score and len(_jobs(platform_client())) == jobs
