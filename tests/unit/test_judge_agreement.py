"""Judge calibration: the labelled file, and agreement (kappa, accuracy, confusion) checked by hand and by sklearn."""

from __future__ import annotations

import json
import random

import pytest

from steps.errors import InvalidInputError
from steps.logic.judge_agreement import compute_agreement, read_calibration, rows_for
from steps.logic.judge_rubrics import BINARY, LIKERT_5, Scale


def _pairs(cells: dict[tuple[int, int], int]) -> list[tuple[str, int, int | None]]:
    out: list[tuple[str, int, int | None]] = []
    for (human, judge), count in cells.items():
        out += [(f"i{len(out) + k}", human, judge) for k in range(count)]
    return out


def test_binary_kappa_by_hand():
    # human\judge: (1,1)=4 (1,0)=1 (0,1)=2 (0,0)=3; po = 0.7, pe = (5*4 + 5*6)/100 = 0.5, kappa = 0.2/0.5
    agreement = compute_agreement(_pairs({(1, 1): 4, (1, 0): 1, (0, 1): 2, (0, 0): 3}), BINARY)
    assert agreement.n == 10 and agreement.failed_ids == []
    assert agreement.confusion == [[3, 2], [1, 4]]
    assert agreement.accuracy == pytest.approx(0.7)
    assert agreement.kappa == pytest.approx(0.4)
    assert agreement.weighted_kappa == pytest.approx(0.4)  # two categories: the weights change nothing


def test_ordinal_kappas_by_hand():
    # (1,1) (2,2) (3,3) (1,2) (3,1): po = 0.6, pe = 8/25, kappa = 0.28/0.68;
    # quadratic: observed disagreement 1.25/5, expected 8.75/25, weighted kappa = 1 - 0.25/0.35 = 2/7
    pairs = [("a", 1, 1), ("b", 2, 2), ("c", 3, 3), ("d", 1, 2), ("e", 3, 1)]
    agreement = compute_agreement(pairs, Scale(min=1, max=3))
    assert agreement.labels == [1, 2, 3]
    assert agreement.confusion == [[1, 1, 0], [0, 1, 0], [1, 0, 1]]
    assert agreement.kappa == pytest.approx(0.28 / 0.68)
    assert agreement.weighted_kappa == pytest.approx(2 / 7)


@pytest.mark.parametrize("seed", range(6))
def test_matches_sklearn(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = random.Random(seed)
    scale = LIKERT_5 if seed % 2 else BINARY
    human = [rng.choice(scale.values) for _ in range(40)]
    judge = [h if rng.random() < 0.6 else rng.choice(scale.values) for h in human]
    agreement = compute_agreement([(str(i), h, j) for i, (h, j) in enumerate(zip(human, judge, strict=True))], scale)
    labels = scale.values
    assert agreement.kappa == pytest.approx(metrics.cohen_kappa_score(human, judge, labels=labels), abs=1e-12)
    assert agreement.weighted_kappa == pytest.approx(
        metrics.cohen_kappa_score(human, judge, labels=labels, weights="quadratic"), abs=1e-12
    )
    assert agreement.accuracy == pytest.approx(metrics.accuracy_score(human, judge), abs=1e-12)
    assert agreement.confusion == metrics.confusion_matrix(human, judge, labels=labels).tolist()


def test_items_the_judge_failed_are_counted_and_left_out():
    pairs = [("a", 1, 1), ("b", 0, None), ("c", 0, 0), ("d", 1, None), ("e", 1, 0)]
    agreement = compute_agreement(pairs, BINARY)
    assert agreement.n == 3 and agreement.failed_ids == ["b", "d"]
    assert sum(map(sum, agreement.confusion)) == 3
    assert "2 item(s) the judge could not score were left out" in agreement.explain(0.5)
    assert agreement.as_metrics()["failed"] == 2.0


def test_meets_and_its_explanation():
    agreement = compute_agreement(_pairs({(1, 1): 4, (1, 0): 1, (0, 1): 2, (0, 0): 3}), BINARY)
    assert agreement.meets(0.4) and not agreement.meets(0.41)
    assert "kappa 0.400 meets the minimum 0.400" in agreement.explain(0.4)
    assert "kappa 0.400 is below the minimum 0.600" in agreement.explain(0.6)


def test_undefined_kappa_refuses():
    constant = compute_agreement([("a", 1, 1), ("b", 1, 1)], BINARY)  # one category for everyone
    assert constant.kappa is None and constant.accuracy == 1.0 and not constant.meets(0.0)
    assert "undefined" in constant.explain(0.5)
    nothing = compute_agreement([("a", 1, None)], BINARY)
    assert nothing.n == 0 and not nothing.meets(-1.0)
    assert "no calibration item was scored" in nothing.explain(0.5)
    assert "kappa" not in nothing.as_metrics()


def test_values_outside_the_scale_are_refused():
    with pytest.raises(ValueError, match="item 'a': judge score 7 is outside the scale 1-5"):
        compute_agreement([("a", 3, 7)], LIKERT_5)


def _line(**fields) -> str:
    row = {"id": "q1", "criterion": "correctness", "question": "2+2?", "reference": "4", "prediction": "4", "label": 5}
    row.update(fields)
    return json.dumps({k: v for k, v in row.items() if v is not None})


def test_calibration_file_reads_both_question_forms():
    rows = read_calibration(
        [
            _line(id=7, annotator="kim"),
            "",
            _line(id="q2", question=None, messages=[{"role": "user", "content": "2+3?"}], label=1),
            _line(criterion="fluency"),
        ],
        "labels.jsonl",
    )
    assert [(r.id, r.criterion, r.line) for r in rows] == [
        ("7", "correctness", 1),
        ("q2", "correctness", 3),
        ("q1", "fluency", 4),
    ]
    assert rows[0].conversation() == [{"role": "user", "content": "2+2?"}]
    assert rows[1].conversation() == [{"role": "user", "content": "2+3?"}]
    assert [r.id for r in rows_for(rows, "correctness", LIKERT_5, "labels.jsonl")] == ["7", "q2"]


def test_calibration_file_reports_every_bad_line():
    lines = [
        _line(),
        "{not json",
        "[1, 2]",
        _line(id="q2", label="five"),
        _line(id="q3", criterion="helpfulness"),
        _line(id="q4", messages=[{"role": "user", "content": "x"}]),  # both question forms
        _line(id="q5", question=None),  # neither
        _line(id="q6", reference=None),
        _line(),  # duplicate of line 1
        _line(id="q8", label=True),
    ]
    with pytest.raises(InvalidInputError) as info:
        read_calibration(lines, "labels.jsonl")
    message = str(info.value)
    for expected in (
        "labels.jsonl:2: (line): not valid JSON",
        "labels.jsonl:3: (line): expected a JSON object, got list",
        "labels.jsonl:4: label:",
        "labels.jsonl:5: criterion:",
        "labels.jsonl:6: (row): Value error, give exactly one of 'messages'",
        "labels.jsonl:7: (row): Value error, give exactly one of 'messages'",
        "labels.jsonl:8: reference: Field required",
        "labels.jsonl:9: id: duplicate 'q1' for correctness (first on line 1)",
        "labels.jsonl:10: label:",
    ):
        assert expected in message, (expected, message)
    assert message.count("labels.jsonl:") >= 9


def test_labels_are_checked_against_the_scale_and_a_missing_criterion_is_named():
    rows = read_calibration([_line(label=5), _line(id="q2", label=3)], "labels.jsonl")
    with pytest.raises(InvalidInputError, match=r"labels.jsonl:1: label: 5 is outside the judge scale 0-1"):
        rows_for(rows, "correctness", BINARY, "labels.jsonl")
    with pytest.raises(InvalidInputError, match="no labelled rows for criterion 'relevance'"):
        rows_for(rows, "relevance", LIKERT_5, "labels.jsonl")
    with pytest.raises(InvalidInputError, match="the file is empty"):
        read_calibration(["", "  "], "labels.jsonl")
