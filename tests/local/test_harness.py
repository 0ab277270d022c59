import json
import math

import pytest

from steps.errors import InvalidInputError, NotFoundError
from steps.local import harness, lm_eval_tasks
from steps.logic.item_scores import aggregate


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
    # per-item values of the headline (its filter's records), keyed by the documents' ids, average to the score
    assert score.items is not None and sorted(i.id for i in score.items) == sorted({r["doc"]["id"] for r in records})
    assert math.isclose(aggregate(score.items), score.score, abs_tol=1e-12)
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
    with pytest.raises(InvalidInputError, match="unknown lm-evaluation-harness task 'gsmk8'"):
        harness.run_benchmark("gsmk8", smoke_dir, base_dir, None, 1, tmp_path)
    with pytest.raises(NotFoundError, match=str(tmp_path / "squad.jsonl")):
        harness.run_benchmark("squad", tmp_path, base_dir, None, 1, tmp_path)
    with pytest.raises(NotFoundError, match="adapter"):
        harness.run_benchmark("squad", smoke_dir, base_dir, tmp_path, 1, tmp_path)


def test_an_lm_eval_task_runs_by_name_from_its_datasets_cache(base_dir, arc_easy_cache, tmp_path):
    score = harness.run_benchmark("arc_easy", arc_easy_cache, base_dir, None, limit=4, output_dir=tmp_path)
    assert score.benchmark == "arc_easy" and score.metric == "acc,none"  # the first metric lm-eval reports
    assert score.n == 4 and score.metrics["acc_norm,none"] >= 0 and score.stderr is not None
    assert [i.id for i in score.items] == ["Q0", "Q1", "Q2", "Q3"]  # the documents' own `id` field
    assert math.isclose(aggregate(score.items), score.score, abs_tol=1e-12)
    assert score.metrics["num_fewshot"] == 0  # the task's default


def test_an_lm_eval_task_without_cached_data_says_how_to_provide_it(base_dir, tmp_path):
    with pytest.raises(NotFoundError) as info:
        harness.run_benchmark("arc_challenge", tmp_path, base_dir, None, limit=2, output_dir=tmp_path / "out")
    message = str(info.value)
    assert f"task 'arc_challenge' is not in the Hugging Face datasets cache {tmp_path}" in message
    assert f"HF_DATASETS_CACHE={tmp_path} python -c" in message and "get_task_dict(['arc_challenge']" in message


def test_the_registry_names_unknown_tasks_and_smoke_only_tasks():
    from steps.benchmark_names import problem

    assert problem("gsmk8", "smoke") == "unknown lm-evaluation-harness task 'gsmk8'; did you mean 'gsm8k'?"
    assert "no smoke set: data 'smoke' only has gsm8k, squad, triviaqa" in problem("hellaswag", "smoke")
    assert problem("hellaswag", "standard") is None and problem("mmlu", "mirror") is None  # a task, a group
    assert "tag of several tasks" in problem("ai2_arc", "standard")
    assert problem("squad", "smoke") is None  # built in (lm-eval itself has squadv2)


def test_squad_yaml_points_at_the_project_scorer(smoke_dir, tmp_path):
    config = lm_eval_tasks.task_config("squad", smoke_dir, 32, 0, tmp_path)
    text = lm_eval_tasks.write_task_yaml(config, tmp_path).read_text()
    assert "process_results: !function steps.logic.benchmark_scoring.squad_process_results" in text
    assert str(smoke_dir.resolve() / "squad.jsonl") in text
