"""llm-judge metrics end to end: grades per criterion through `evaluate`, failures never scored, calibration, gate."""

from __future__ import annotations

import json

import pytest

from steps import judging
from steps.judge_client import API_KEY_ENV
from steps.logic.gate_policy import GatePolicy, Score, decide
from steps.logic.item_scores import ItemValue
from steps.logic.judge_rubrics import PROMPT_VERSION
from steps.logic.metrics import Sample, evaluate, parse_metric_specs
from tests.fakes.judge_server import FakeJudge, expected_score

ITEMS = [
    {"id": "a", "messages": [{"role": "user", "content": "Why higher?"}], "reference": "Roaming charges were added."},
    {"id": "b", "messages": [{"role": "user", "content": "When due?"}], "reference": "It is due on 5 April."},
    {"id": "c", "messages": [{"role": "user", "content": "Who sent it?"}], "reference": "Acme Telecom sent it."},
]
ANSWERS = ["Roaming charges were added.", "Payment is due on 5 April.", "No idea."]


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv(API_KEY_ENV, raising=False)


def _spec(url: str, **extra):
    return parse_metric_specs(
        [{"name": "judge", "type": "llm-judge", "judge": {"url": url, "model": "judge/llama"}, **extra}]
    )


def _samples(answers=ANSWERS):
    return [Sample(output_text=answer) for answer in answers]


def test_every_criterion_is_a_score_and_a_garbage_answer_is_a_failure_not_a_zero():
    with FakeJudge(reply_for={"No idea.": "I would rather not say."}) as fake:
        specs = _spec(fake.base_url, criteria=["correctness", "fluency"])
        graded = judging.judge(specs, ITEMS, _samples())
        result = evaluate(specs, ITEMS, _samples(), scorers=graded.scorers())
    correctness = result.scores["judge.correctness"]
    assert correctness.failures == ["c"] and correctness.n == 2
    expected = [(expected_score(i["reference"], a) - 1) / 4 for i, a in zip(ITEMS[:2], ANSWERS[:2], strict=True)]
    assert [item.value for item in correctness.items] == expected
    assert correctness.value == sum(expected) / 2
    rows = {row["id"]: row for row in result.rows}
    assert rows["c"]["judge.correctness"] is None and rows["c"]["judge.correctness.detail"].startswith("judge failure")
    assert rows["a"]["judge.correctness.detail"]  # the judge's rationale travels with the item
    assert graded.params == {
        "judge.judge_model": "judge/llama",
        "judge.judge_prompt_version": PROMPT_VERSION,
        "judge.judge_scale": "1-5",
    }
    assert len(fake.requests) == 6  # 3 items x 2 criteria, each graded once


def test_without_a_scorer_the_judge_type_is_refused_clearly():
    specs = _spec("http://127.0.0.1:9/v1")
    with pytest.raises(Exception, match="no scorer for type 'llm-judge'"):
        evaluate(specs, ITEMS, _samples())


def _labels(tmp_path, labels: list[int]):
    path = tmp_path / "labels.jsonl"
    rows = [
        {"id": item["id"], "criterion": "correctness", "messages": item["messages"], "reference": item["reference"],
         "prediction": answer, "label": label}
        for item, answer, label in zip(ITEMS, ANSWERS, labels, strict=True)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_calibration_measures_agreement_and_says_whether_the_gate_may_use_the_judge(tmp_path):
    with FakeJudge() as fake:
        judge_raw = [expected_score(i["reference"], a) for i, a in zip(ITEMS, ANSWERS, strict=True)]
        agreeing = _labels(tmp_path, judge_raw)
        calibrated = {"criteria": ["correctness"], "calibration": {"labels": str(agreeing), "min_kappa": 0.6}}
        specs = _spec(fake.base_url, **calibrated)
        good = judging.judge(specs, ITEMS, _samples()).agreement["judge.correctness"]
        disagreeing = _labels(tmp_path, [judge_raw[2], judge_raw[0], judge_raw[1]])
        calibrated["calibration"] = {"labels": str(disagreeing), "min_kappa": 0.6}
        specs = _spec(fake.base_url, **calibrated)
        bad = judging.judge(specs, ITEMS, _samples()).agreement["judge.correctness"]
        uncalibrated = judging.judge(_spec(fake.base_url, criteria=["correctness"]), ITEMS, _samples()).agreement
    assert good["meets"] and good["kappa"] == 1.0 and good["accuracy"] == 1.0 and good["n"] == 3.0
    assert not bad["meets"] and bad["kappa"] < 0.6 and "is below the minimum 0.600" in bad["reason"]
    assert not uncalibrated["judge.correctness"]["meets"]
    assert "no calibration set" in uncalibrated["judge.correctness"]["reason"]


def test_the_gate_refuses_a_judge_headline_below_the_minimum_agreement():
    items = [ItemValue(id=str(i), value=1.0) for i in range(30)]
    zeros = [ItemValue(id=str(i), value=0.0) for i in range(30)]
    base = [Score(name="judge.correctness", kind="business", value=0.0, stderr=0.0, n=30, items=zeros)]
    candidate = [Score(name="judge.correctness", kind="business", value=1.0, stderr=0.0, n=30, items=items)]
    trusted = GatePolicy(headline_metric="judge.correctness", min_business_gain=0.1)
    assert decide(trusted, base, candidate).passed
    refused = trusted.model_copy(update={"unusable": {"judge.correctness": "kappa 0.2 is below the minimum 0.6"}})
    decision = decide(refused, base, candidate)
    assert not decision.passed
    assert decision.reasons == ["the gate refuses to decide on judge.correctness: kappa 0.2 is below the minimum 0.6"]
