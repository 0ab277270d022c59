import json

import pytest

from steps.errors import InvalidInputError, NotFoundError
from steps.local import harness, lm_eval_tasks


@pytest.mark.parametrize("benchmark", harness.BENCHMARKS)
def test_each_benchmark_runs_offline_on_the_smoke_sets(benchmark, base_dir, smoke_dir, tmp_path):
    score = harness.run_benchmark(
        benchmark, smoke_dir, base_dir, None, limit=3, output_dir=tmp_path, max_gen_toks=16, batch_size=4
    )
    assert score.benchmark == benchmark and score.metric == harness.HEADLINE[benchmark]
    assert score.n == 3 and 0.0 <= score.score <= 1.0
    assert score.metrics[score.metric] == score.score
    assert score.stderr is None or score.stderr >= 0
    assert score.metrics["max_gen_toks"] == 16
    lines = (tmp_path / f"samples_{benchmark}.jsonl").read_text().splitlines()
    assert score.samples_file == str(tmp_path / f"samples_{benchmark}.jsonl")
    records = [json.loads(line) for line in lines]
    assert len({r["doc_id"] for r in records}) == 3
    assert all(r["doc"]["id"].startswith(f"synthetic-{benchmark}-") for r in records)
    results = json.loads((tmp_path / f"results_{benchmark}.json").read_text())
    assert results["results"][f"llmops_{benchmark}"][score.metric] == score.score
    if benchmark == "gsm8k":
        assert "exact_match,flexible-extract" in score.metrics
        assert score.metrics["num_fewshot"] == 5  # the five longest shots fit into 2,048 positions
        assert records[0]["arguments"][0][0].count("Question:") == 6
    if benchmark == "squad":
        assert {"exact,none", "f1,none"} <= score.metrics.keys()
        assert records[0]["arguments"][0][0].startswith("Title: Synthetic_")


def test_adapter_is_evaluated_through_peft(base_dir, smoke_dir, trained_adapter, tmp_path):
    adapter_dir = trained_adapter[0]
    score = harness.run_benchmark(
        "triviaqa", smoke_dir, base_dir, adapter_dir, limit=2, output_dir=tmp_path, max_gen_toks=8
    )
    assert score.n == 2
    results = json.loads((tmp_path / "results_triviaqa.json").read_text())
    assert results["config"]["model_args"]["peft"] == str(adapter_dir.resolve())


def test_gsm8k_shots_shrink_to_fit_a_short_context(base_dir, smoke_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    assert lm_eval_tasks.gsm8k_fewshot_that_fits(tokenizer, 2048, 64, smoke_dir, 3) == 5
    assert lm_eval_tasks.gsm8k_fewshot_that_fits(tokenizer, 260, 64, smoke_dir, 3) in (1, 2, 3)
    assert lm_eval_tasks.gsm8k_fewshot_that_fits(tokenizer, 100, 64, smoke_dir, 3) == 0


def test_unknown_benchmark_and_missing_files(base_dir, smoke_dir, tmp_path):
    with pytest.raises(InvalidInputError, match="gsm8k, squad, triviaqa"):
        harness.run_benchmark("mmlu", smoke_dir, base_dir, None, 1, tmp_path)
    with pytest.raises(NotFoundError, match=str(tmp_path / "squad.jsonl")):
        harness.run_benchmark("squad", tmp_path, base_dir, None, 1, tmp_path)
    with pytest.raises(NotFoundError, match="adapter"):
        harness.run_benchmark("squad", smoke_dir, base_dir, tmp_path, 1, tmp_path)


def test_squad_yaml_points_at_the_project_scorer(smoke_dir, tmp_path):
    config = lm_eval_tasks.task_config("squad", smoke_dir, 32, 0, tmp_path)
    text = lm_eval_tasks.write_task_yaml(config, tmp_path).read_text()
    assert "process_results: !function steps.logic.benchmark_scoring.squad_process_results" in text
    assert str(smoke_dir.resolve() / "squad.jsonl") in text
