from statistics import NormalDist

import pytest
from pydantic import ValidationError

from steps.logic.gate_policy import GatePolicy, Score, decide
from steps.logic.report import markdown_table, summary_table


def bench(name, value, n=100, stderr=0.02):
    return Score(name=name, kind="benchmark", value=value, stderr=stderr, n=n)


def biz(name, value, n=100, stderr=0.03):
    return Score(name=name, kind="business", value=value, stderr=stderr, n=n)


POLICY = GatePolicy(headline_metric="all_fields_exact", min_business_gain=0.05, max_regression={"gsm8k": 0.02})
BASE = [bench("gsm8k", 0.40), bench("squad", 0.50), biz("all_fields_exact", 0.30), biz("bill_id", 0.35)]


def test_pass_case_orders_rows_and_computes_ci():
    candidate = [bench("squad", 0.47), bench("gsm8k", 0.39), biz("bill_id", 0.1), biz("all_fields_exact", 0.60)]
    decision = decide(POLICY, BASE, candidate)
    assert decision.passed and decision.reasons == []
    assert [row.name for row in decision.rows] == ["all_fields_exact", "bill_id", "gsm8k", "squad"]
    head, info, gsm8k, squad = decision.rows
    assert head.delta == pytest.approx(0.30) and head.threshold == 0.05
    half = NormalDist().inv_cdf(0.975) * (2 * 0.03**2) ** 0.5  # no per-item values: the unpaired interval
    assert head.interval == pytest.approx((0.30 - half, 0.30 + half)) and head.interval_kind == "unpaired"
    assert head.paired is None and head.rule == "point" and gsm8k.rule == "point" and info.rule == "info"
    assert info.threshold is None and info.passed  # other business metrics only inform
    assert gsm8k.threshold == -0.02 and squad.threshold == -0.05  # listed limit, then the default


def test_business_gain_too_small():
    candidate = [bench("gsm8k", 0.40), bench("squad", 0.50), biz("all_fields_exact", 0.33), biz("bill_id", 0.35)]
    decision = decide(POLICY, BASE, candidate)
    assert not decision.passed
    assert decision.reasons == [
        "all_fields_exact: business gain +0.0300 (base 0.3000 -> candidate 0.3300) is below the required +0.0500"
    ]


def test_benchmark_regression_beyond_threshold():
    candidate = [bench("gsm8k", 0.37), bench("squad", 0.44), biz("all_fields_exact", 0.60), biz("bill_id", 0.35)]
    decision = decide(POLICY, BASE, candidate)
    assert not decision.passed and len(decision.reasons) == 2
    assert "gsm8k: regression 0.0300 (base 0.4000 -> candidate 0.3700) exceeds the allowed 0.0200" in decision.reasons
    assert any(r.startswith("squad: regression 0.0600") and "allowed 0.0500" in r for r in decision.reasons)
    assert [row.passed for row in decision.rows] == [True, True, False, False]


def test_regression_exactly_at_the_limit_passes():
    candidate = [bench("gsm8k", 0.38), bench("squad", 0.45), biz("all_fields_exact", 0.35), biz("bill_id", 0.35)]
    assert decide(POLICY, BASE, candidate).passed


def test_too_few_samples():
    candidate = [
        bench("gsm8k", 0.40, n=10),
        bench("squad", 0.50),
        biz("all_fields_exact", 0.60, n=19),
        biz("bill_id", 0.35, n=1),
    ]
    decision = decide(POLICY, BASE, candidate)
    assert not decision.passed
    assert decision.reasons == [
        "all_fields_exact: candidate has n=19 samples, fewer than min_samples=20",
        "gsm8k: candidate has n=10 samples, fewer than min_samples=20",
    ]


def test_missing_scores_fail_with_a_reason():
    candidate = [bench("squad", 0.50), biz("all_fields_exact", 0.60), bench("triviaqa", 0.2)]
    decision = decide(POLICY, BASE[1:], candidate)  # base lacks gsm8k too
    assert not decision.passed
    assert "gsm8k: no base score; the base evaluation did not report it" in decision.reasons
    assert "gsm8k: no candidate score; the candidate evaluation did not report it" in decision.reasons
    assert "triviaqa: no base score; the base evaluation did not report it" in decision.reasons
    row = next(r for r in decision.rows if r.name == "triviaqa")
    assert row.base is None and row.delta is None and row.interval is None and not row.passed


def test_a_business_score_held_to_a_tolerance_gates_like_a_benchmark():
    policy = POLICY.model_copy(update={"max_business_regression": {"bill_id": 0.1}})
    worse = [bench("gsm8k", 0.40), bench("squad", 0.50), biz("all_fields_exact", 0.60), biz("bill_id", 0.2)]
    decision = decide(policy, BASE, worse)
    assert decision.reasons == [
        "bill_id: regression 0.1500 (base 0.3500 -> candidate 0.2000) exceeds the allowed 0.1000"
    ]
    row = next(r for r in decision.rows if r.name == "bill_id")
    assert row.kind == "business" and row.threshold == -0.1 and row.rule == "point" and not row.passed
    assert decide(policy, BASE, [*worse[:3], biz("bill_id", 0.25)]).passed  # a drop of 0.10 is allowed
    missing = decide(policy, BASE, worse[:3])
    assert "bill_id: no candidate score; the candidate evaluation did not report it" in missing.reasons


def test_policy_validation():
    with pytest.raises(ValidationError):
        GatePolicy(headline_metric="x", max_regression={"gsm8k": 1.5})
    with pytest.raises(ValidationError, match=r"max_business_regression\['b'\] must be between 0 and 1"):
        GatePolicy(headline_metric="x", max_business_regression={"b": -0.1})
    with pytest.raises(ValidationError):
        GatePolicy(headline_metric="x", unknown=1)
    assert GatePolicy(headline_metric="x").default_max_regression == 0.05


def test_report_tables_contain_every_row_and_the_verdict():
    candidate = [bench("gsm8k", 0.30), bench("squad", 0.50), biz("all_fields_exact", 0.60), biz("bill_id", 0.35)]
    decision = decide(POLICY, BASE, candidate)
    text = summary_table(decision)
    lines = text.splitlines()
    assert lines[0].split() == ["metric", "base", "candidate", "delta", "interval", "limit", "rule", "verdict"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    for row in decision.rows:
        assert sum(line.startswith(row.name) for line in lines) == 2  # the comparison and the per-item counts
    gsm8k_line, gsm8k_items = (line for line in lines if line.startswith("gsm8k"))
    interval = ["[-0.1554,", "-0.0446]*"]  # unpaired (no per-item values): marked
    assert gsm8k_line.split() == ["gsm8k", "0.4000", "0.3000", "-0.1000", *interval, ">=", "-0.0200", "point", "FAIL"]
    assert gsm8k_items.split() == ["gsm8k", "unpaired", "-", "-", "-", "-", "-"]
    assert "gate: BLOCKED" in lines and lines[-1].startswith("  - gsm8k: regression 0.1000")
    markdown = markdown_table(decision)
    assert markdown.count("\n| ") == len(decision.rows) + 1 and "**gate: BLOCKED**" in markdown
    assert "| gsm8k | benchmark | 0.4000 | 0.3000 | -0.1000 | [-0.1554, -0.0446]* | &ge; -0.0200 | point |" in markdown
    passing = decide(
        POLICY, BASE, [bench("gsm8k", 0.4), bench("squad", 0.5), biz("all_fields_exact", 0.6), biz("bill_id", 0.3)]
    )
    assert summary_table(passing).splitlines()[-1] == "gate: PASS"
    assert "**gate: PASS**" in markdown_table(passing)
