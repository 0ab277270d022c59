"""The gate on per-item results: the paired interval, the point and interval rules, min_samples on the pairs."""

import json

import pytest

from steps.errors import InvalidInputError
from steps.logic.gate_policy import GatePolicy, Score, decide
from steps.logic.item_scores import ItemValue, aggregate, stderr
from steps.logic.report import MAX_IDS, markdown_table, summary_table


def scored(name, kind, values, prefix="q", start=0):
    items = [ItemValue(id=f"{prefix}{i}", value=v) for i, v in enumerate(values, start)]
    return Score(name=name, kind=kind, value=aggregate(items), stderr=stderr(items), n=len(items), items=items)


def flips(n, base_right, lost, won):
    """0/1 values of n items: the base gets the first `base_right` right; the candidate loses `lost` of those
    and wins `won` of the others."""
    base = [1.0] * base_right + [0.0] * (n - base_right)
    cand = [0.0] * lost + [1.0] * (base_right - lost) + [1.0] * won + [0.0] * (n - base_right - won)
    return base, cand


HEADLINE = "resolved"


def gate(policy, base, cand):
    return decide(GatePolicy(**({"headline_metric": HEADLINE, "min_samples": 10} | policy)), base, cand)


def test_gain_point_rule_passes_where_the_interval_rule_blocks():
    b, c = flips(20, 10, 0, 3)  # +0.15 on 20 items: real, but not surely above +0.10
    base, cand = [scored(HEADLINE, "business", b)], [scored(HEADLINE, "business", c)]
    point = gate({"min_business_gain": 0.1}, base, cand)
    assert point.passed and point.rows[0].rule == "point" and point.rows[0].interval_kind == "paired"
    interval = gate({"min_business_gain": 0.1, "gain_rule": "interval"}, base, cand)
    assert not interval.passed
    row = interval.rows[0]
    assert row.rule == "interval" and row.interval[0] < 0.1 <= row.delta
    assert interval.reasons == [
        f"{HEADLINE}: business gain +0.1500 (base 0.5000 -> candidate 0.6500), its paired interval's lower bound "
        f"{row.interval[0]:+.4f} is below the required +0.1000"
    ]
    assert row.paired.wrong_to_right == ["q10", "q11", "q12"] and row.paired.mcnemar_p == pytest.approx(0.25)


def test_regression_point_rule_passes_where_the_interval_rule_blocks():
    b, c = flips(30, 18, 3, 0)  # -0.10 on 30 items: within 0.15, but a drop beyond it is not excluded
    base = [scored(HEADLINE, "business", [1.0] * 10), scored("gsm8k", "benchmark", b)]
    cand = [scored(HEADLINE, "business", [1.0] * 10), scored("gsm8k", "benchmark", c)]
    assert gate({"default_max_regression": 0.15}, base, cand).passed
    blocked = gate({"default_max_regression": 0.15, "regression_rule": "interval"}, base, cand)
    assert not blocked.passed
    (reason,) = blocked.reasons
    assert reason.startswith("gsm8k: regression 0.1000 (base 0.6000 -> candidate 0.5000), its paired interval's")
    assert reason.endswith("is below -0.1500: a drop beyond the allowed 0.1500 is not excluded")
    row = blocked.rows[1]
    assert row.paired.right_to_wrong == ["q0", "q1", "q2"] and row.paired.mcnemar_p == pytest.approx(0.25)


def test_the_interval_rule_passes_a_clear_gain_on_enough_items():
    b, c = flips(1000, 400, 20, 200)  # +0.18 on 1000 items
    decision = gate(
        {"min_business_gain": 0.1, "gain_rule": "interval"},
        [scored(HEADLINE, "business", b)],
        [scored(HEADLINE, "business", c)],
    )
    assert decision.passed and decision.rows[0].interval[0] > 0.1


def test_reverse_the_interval_rule_judges_the_paired_items_where_the_point_rule_judges_the_reported_scores():
    """With the same items on both sides, the interval's lower bound never exceeds the point delta, so the
    interval rule cannot pass a row the point rule blocks. It can where the reported scores cover items only
    one side answered: the candidate's score counts 20 items the base never saw (all wrong), the paired
    comparison leaves them out and finds no change on the 80 shared ones."""
    shared = [1.0, 0.0] * 40
    base = [scored(HEADLINE, "business", [1.0] * 10), scored("squad", "benchmark", shared)]
    cand_items = scored("squad", "benchmark", shared).items + [ItemValue(id=f"new{i}", value=0.0) for i in range(20)]
    cand = [
        scored(HEADLINE, "business", [1.0] * 10),
        Score(name="squad", kind="benchmark", value=aggregate(cand_items), n=100, items=cand_items),
    ]
    point = gate({"default_max_regression": 0.05}, base, cand)
    assert not point.passed and point.reasons[0].startswith(
        "squad: regression 0.1000 (base 0.5000 -> candidate 0.4000)"
    )
    interval = gate({"default_max_regression": 0.05, "regression_rule": "interval"}, base, cand)
    assert interval.passed
    row = interval.rows[1]
    assert row.interval == (0.0, 0.0) and (row.paired.n, row.paired.only_base, row.paired.only_candidate) == (80, 0, 20)


def test_without_per_item_values_the_unpaired_interval_decides_and_the_row_says_so():
    base = [Score(name=HEADLINE, kind="business", value=0.5, stderr=0.05, n=100)]
    cand = [scored(HEADLINE, "business", [1.0] * 80 + [0.0] * 20)]  # one side with items is not enough
    decision = gate({"min_business_gain": 0.1, "gain_rule": "interval"}, base, cand)
    row = decision.rows[0]
    assert row.paired is None and row.interval_kind == "unpaired" and row.interval[0] > 0.1 and decision.passed
    assert "*" in summary_table(decision).splitlines()[2] and "unpaired" in summary_table(decision)
    no_interval = gate(
        {"gain_rule": "interval"},
        [Score(name=HEADLINE, kind="business", value=0.5, n=100)],
        [Score(name=HEADLINE, kind="business", value=0.9, n=100)],
    )
    assert no_interval.reasons == [
        f"{HEADLINE}: the interval rule needs an interval of the delta, but neither per-item values nor both "
        "standard errors were reported"
    ]


def test_min_samples_applies_to_the_paired_items():
    base = [scored(HEADLINE, "business", [0.0] * 30, prefix="a")]  # a0 .. a29
    cand = [scored(HEADLINE, "business", [1.0] * 30, prefix="a", start=22)]  # a22 .. a51: 8 shared
    decision = gate({}, base, cand)
    assert decision.reasons == [
        f"{HEADLINE}: 8 items are answered by both base and candidate (22 only in base, 22 only in candidate), "
        "fewer than min_samples=10"
    ]
    enough = gate({"min_samples": 8}, base, cand)
    assert enough.passed


def test_the_report_names_the_rule_shows_the_pairs_and_lists_the_changed_items():
    name = "change_reason_balanced_accuracy"  # a long metric name: the text tables stay narrow
    b, c = flips(200, 120, 25, 5)
    base = [scored(name, "business", b), scored("gsm8k", "benchmark", b)]
    cand = [scored(name, "business", c), scored("gsm8k", "benchmark", c)]
    decision = decide(GatePolicy(headline_metric=name, regression_rule="interval"), base, cand)
    text = summary_table(decision)
    lines = text.splitlines()
    assert all(len(line) <= 110 for line in lines if not line.startswith("  - "))  # but the reasons
    assert lines[2].split()[-2:] == ["point", "FAIL"] and lines[3].split()[-2:] == ["interval", "FAIL"]
    counts = next(line for line in lines if line.startswith("gsm8k") and "200" in line)
    assert counts.split() == ["gsm8k", "200", "0", "0", "25", "5", "0.0003"]
    markdown = markdown_table(decision)
    regressions = next(line for line in markdown.splitlines() if line.startswith("- **gsm8k** right → wrong"))
    assert regressions.count("`") == 2 * MAX_IDS and regressions.endswith("… and 5 more")
    assert "`q0`" in regressions and "- **gsm8k** wrong → right (improvements), 5:" in markdown
    saved = json.loads(json.dumps(decision.model_dump()))  # gate/decision.json keeps every id
    assert saved["rows"][1]["paired"]["right_to_wrong"] == [f"q{i}" for i in range(25)]
    assert saved["rows"][1]["rule"] == "interval" and saved["confidence"] == 0.95


def test_the_gate_step_parses_per_item_values_and_their_absence():
    from steps.gate_results import scores

    benchmark = {"benchmark": "gsm8k", "metric": "exact_match", "score": 0.5, "stderr": 0.1, "n": 2, "target": "base"}
    with_items = benchmark | {"items": [{"id": "1", "value": 1}, {"id": "2", "value": 0}]}
    business = {"target": "base", "metric": HEADLINE, "score": 1.0, "stderr": 0.0, "n": 1, "metrics": {}}
    parsed = scores([benchmark, with_items], "benchmark", "base_benchmarks")
    assert parsed[0].items is None and [i.id for i in parsed[1].items] == ["1", "2"]
    (biz,) = scores([business | {"items": [{"id": "a", "value": 1.0, "stratum": "x"}]}], "business", "base_business")
    assert biz.name == HEADLINE and biz.items[0].stratum == "x"
    others = {"tools.args": {"score": 0.25, "stderr": 0.1, "n": 4}}
    _, other = scores([business | {"other_scores": others}], "business", "base_business")
    assert (other.name, other.kind, other.value, other.stderr, other.n, other.items) == (
        "tools.args",
        "business",
        0.25,
        0.1,
        4,
        None,
    )
    with pytest.raises(
        InvalidInputError,
        match=r"base_benchmarks result 1 is malformed: items.0.id: String should have at least 1 character",
    ):
        scores([benchmark | {"items": [{"id": "", "value": 1}]}], "benchmark", "base_benchmarks")
    with pytest.raises(InvalidInputError, match="base_business result 1 has no 'score'"):
        scores([{"metric": HEADLINE, "n": 1}], "business", "base_business")
