"""NemoEvaluator against the fake Evaluator: contract, reuse by content key, failures, result parsing."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from steps.errors import PlatformNotAvailableError, StepFailedError
from steps.nemo.client import nemo_client
from steps.nemo.evaluator import NemoEvaluator, flatten_scores, headline
from steps.nemo.settings import Timing
from tests.nemo.conftest import HF_SECRET, NGC_SECRET, assert_no_secrets, assert_sdk_body, fault

BASE = "meta/llama-3.2-1b-instruct"
FAST = Timing(poll=2, stall=60000, cap=600000)


def evaluator(**kw):
    return NemoEvaluator(timing=FAST, **kw)


def test_a_benchmark_is_one_sdk_valid_job_whose_results_become_a_score(make_fake, tmp_path, caplog):
    from nemo_microservices.types.evaluation.job_create_params import JobCreateParams

    fake = make_fake(nim_base_models=[BASE])
    with caplog.at_level(logging.DEBUG):
        score = evaluator().run_benchmark("gsm8k", "standard", BASE, "", 50, tmp_path, num_fewshot=5)
    [created] = fake.creations("evaluation_job")
    body = created.body
    assert_sdk_body(JobCreateParams, body)
    assert body["config"]["type"] == "gsm8k"
    assert body["config"]["params"]["limit_samples"] == 50 and body["config"]["params"]["extra"]["num_fewshot"] == 5
    endpoint = body["target"]["model"]["api_endpoint"]
    assert endpoint["model_id"] == BASE and endpoint["url"] == f"{fake.nim_url}/v1/completions"
    assert endpoint["api_key"] == NGC_SECRET and body["config"]["params"]["extra"]["hf_token"] == HF_SECRET
    assert score.benchmark == "gsm8k" and score.metric == "exact_match__strict-match"
    assert score.n == 50 and score.stderr is not None and 0 <= score.score <= 1
    assert set(score.metrics) == {"exact_match__strict-match", "exact_match__flexible-extract"}
    raw = json.loads(Path(score.samples_file).read_text())
    assert raw["job_id"] == created.key and "tasks" in raw["results"]
    assert_no_secrets(caplog.text, Path(score.samples_file).read_text(), score.model_dump_json())

    again = evaluator().run_benchmark("gsm8k", "standard", BASE, "", 50, tmp_path, num_fewshot=5)
    assert again.score == score.score and len(fake.creations("evaluation_job")) == 1
    other = evaluator().run_benchmark("gsm8k", "standard", BASE, "", 20, tmp_path, num_fewshot=5)
    assert other.n == 20 and len(fake.creations("evaluation_job")) == 2


@pytest.mark.parametrize(
    "benchmark, config_type, metric",
    [("squad", "squad_completion", "contains"), ("triviaqa", "triviaqa", "exact_match")],
)
def test_each_benchmark_maps_to_its_harness_task(make_fake, tmp_path, benchmark, config_type, metric):
    fake = make_fake(nim_base_models=[BASE])
    score = evaluator().run_benchmark(benchmark, "smoke", BASE, "", 10, tmp_path)
    assert fake.creations("evaluation_job")[0].body["config"]["type"] == config_type
    assert score.metric == metric and score.n == 10


def test_a_failed_job_raises_with_its_message(make_fake, tmp_path):
    make_fake(nim_base_models=[BASE], faults=[fault("job_fails", detail="inference endpoint returned 500")])
    with pytest.raises(StepFailedError, match="failed: inference endpoint returned 500"):
        evaluator().run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path)


def test_a_failed_job_is_replaced_by_a_new_one_on_the_next_run(make_fake, tmp_path):
    fake = make_fake(nim_base_models=[BASE], faults=[fault("job_fails")])
    with pytest.raises(StepFailedError):
        evaluator().run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path)
    assert evaluator().run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path).n == 10
    assert len(fake.creations("evaluation_job")) == 2


def test_a_create_whose_answer_is_lost_is_not_posted_again(make_fake, tmp_path):
    fake = make_fake(
        nim_base_models=[BASE],
        faults=[fault("timeout", "POST", r"^/v1/evaluation/jobs$", seconds=0.3, commit_before_timeout=True)],
    )
    score = evaluator(client=nemo_client(timeout=0.3)).run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path)
    assert score.n == 10
    assert len(fake.creations("evaluation_job")) == 1
    assert len([r for r in fake.requests if r.method == "POST" and r.path == "/v1/evaluation/jobs"]) == 1


def _posts(fake) -> int:
    return len([r for r in fake.requests if r.method == "POST" and r.path == "/v1/evaluation/jobs"])


def test_a_create_that_got_a_5xx_and_made_nothing_is_posted_again_after_looking(make_fake, tmp_path):
    fake = make_fake(nim_base_models=[BASE], faults=[fault("http_5xx", "POST", r"^/v1/evaluation/jobs$")])
    assert evaluator().run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path).n > 0
    assert _posts(fake) == 2 and len(fake.creations("evaluation_job")) == 1


def test_a_create_that_keeps_failing_gives_up_saying_a_rerun_is_safe(make_fake, tmp_path):
    fake = make_fake(nim_base_models=[BASE], faults=[fault("http_5xx", "POST", r"^/v1/evaluation/jobs$", times=5)])
    with pytest.raises(StepFailedError, match="re-running the step is safe"):
        evaluator().run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path)
    assert _posts(fake) == 3 and fake.creations("evaluation_job") == []


def test_a_stalled_job_fails_after_the_stall_timeout(make_fake, tmp_path):
    make_fake(nim_base_models=[BASE], faults=[fault("job_stalls")])
    with pytest.raises(StepFailedError, match="no progress"):
        NemoEvaluator(timing=Timing(poll=2, stall=200, cap=600000)).run_benchmark(
            "gsm8k", "standard", BASE, "", 10, tmp_path
        )


def test_custom_benchmark_data_is_local_only(stub, tmp_path):
    with pytest.raises(PlatformNotAvailableError, match="standard"):
        evaluator().run_benchmark("gsm8k", "my-folder", BASE, "", 10, tmp_path)


class _Score:
    def __init__(self, value):
        self.value, self.stats = value, None


class _Result:
    def __init__(self, tasks):
        from types import SimpleNamespace as NS

        self.groups = {}
        self.tasks = {
            t: NS(metrics={m: NS(scores={s: _Score(v) for s, v in scores.items()}) for m, scores in metrics.items()})
            for t, metrics in tasks.items()
        }


def test_headline_scores_are_found_under_either_naming():
    split = flatten_scores(_Result({"gsm8k": {"exact_match": {"strict-match": 0.4, "flexible-extract": 0.5}}}))
    assert headline("gsm8k", split) == "exact_match.strict-match"
    joined = flatten_scores(
        _Result(
            {
                "gsm8k": {
                    "exact_match__flexible-extract": {"exact_match__flexible-extract": 0.5},
                    "exact_match__strict-match": {"exact_match__strict-match": 0.4},
                }
            }
        )
    )
    assert headline("gsm8k", joined) == "exact_match__strict-match"
    with pytest.raises(StepFailedError, match="no headline score"):
        headline("triviaqa", flatten_scores(_Result({"t": {"a": {"b": 1.0}, "c": {"d": 2.0}}})))


def test_any_lm_eval_task_is_passed_through_by_name(make_fake, tmp_path):
    fake = make_fake(nim_base_models=[BASE])
    score = evaluator().run_benchmark("hellaswag", "standard", BASE, "", 10, tmp_path)
    config = fake.creations("evaluation_job")[0].body["config"]
    assert config["type"] == "hellaswag" and config["name"].startswith("llmops-hellaswag-")
    assert "max_tokens" not in config["params"]  # the task's own generation settings apply
    assert score.benchmark == "hellaswag" and score.metric == "accuracy" and score.n == 10  # the first score
    assert score.items is None  # v1 results carry no per-sample scores


def test_the_built_in_benchmarks_keep_their_content_keys():
    import hashlib

    from steps.nemo.evaluator import eval_key

    url = "http://nim/v1/completions"
    payload = json.dumps(["gsm8k", "gsm8k", BASE, 50, 5, url, 256], sort_keys=True)
    assert eval_key("gsm8k", BASE, 50, 5, url) == hashlib.sha256(payload.encode()).hexdigest()[:12]
