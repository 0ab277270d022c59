"""`llmops score --task`: hand-computed scores on tricky rows, the output formats, and clear errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from workflows import cli


def _jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows))
    return path


def _score(tmp_path: Path, task: str, data: list, predictions: list, *extra: str) -> tuple[int, str, str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    args = ["score", "--task", task, "--data", str(_jsonl(tmp_path / "data.jsonl", data))]
    args += ["--predictions", str(_jsonl(tmp_path / "pred.jsonl", predictions)), *extra]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(args)
    return code, out.getvalue(), err.getvalue()


def _metrics(tmp_path: Path, task: str, data: list, predictions: list) -> dict:
    code, out, _ = _score(tmp_path, task, data, predictions, "--json")
    assert code == 0
    return json.loads(out)


def _pred(item_id, text) -> dict:
    return {"id": item_id, "prediction": text}


# --- hand-computed values ------------------------------------------------------------------------

SQUAD = [
    {"id": "q1", "answers": {"text": ["Denver Broncos", "the Broncos"], "answer_start": [0, 0]}},
    {"id": "q2", "answers": {"text": ["Denver"], "answer_start": [0]}},
    {"id": "q3", "answers": {"text": ["Denver Broncos"], "answer_start": [0]}},
    {"id": "q4", "answers": {"text": ["rock and roll"], "answer_start": [0]}},
    {"id": "q5", "answers": {"text": ["Denver"], "answer_start": [0]}},
]


def test_squad_hand_computed(tmp_path):
    predictions = [
        _pred("q1", "The BRONCOS!"),  # "broncos" == normalized "the Broncos": EM 1, F1 1
        _pred("q2", "“Denver”"),  # curly quotes are not ASCII punctuation: EM 0, F1 0
        _pred("q3", "Denver Broncos team"),  # P 2/3, R 1: F1 0.8
        _pred("q4", "rock_and_roll"),  # `_` is deleted: "rockandroll", EM 0, F1 0
    ]  # q5: no prediction, scores 0
    result = _metrics(tmp_path, "squad", SQUAD, predictions)
    assert result["task"] == "squad" and result["n"] == 5
    em, f1 = result["metrics"]["exact_match"], result["metrics"]["f1"]
    assert em["value"] == pytest.approx(1 / 5)
    assert em["stderr"] == pytest.approx(math.sqrt(0.2 * 0.8 / 5))
    assert f1["value"] == pytest.approx(1.8 / 5)
    f1_mean = 0.36
    var = ((1 - f1_mean) ** 2 + (0.8 - f1_mean) ** 2 + 3 * f1_mean**2) / 5
    assert f1["stderr"] == pytest.approx(math.sqrt(var / 5))


def test_triviaqa_hand_computed(tmp_path):
    data = [
        {"id": 1, "answer": {"value": "The Beatles", "aliases": ["Beatles", "Fab Four"]}},
        {"id": 2, "answer": {"value": "Rock’n’roll", "aliases": ["Rock and roll"]}},
        {"id": 3, "answer": {"value": "Paris", "aliases": ["Paris"]}},
        {"id": 4, "answer": {"value": "Pelé", "aliases": ["Pele"]}},
    ]
    predictions = [
        _pred(1, "the fab_four."),  # "fab four": EM 1
        _pred(2, "rock n roll"),  # value normalizes to "rock n roll": EM 1
        _pred(3, "Paris, France"),  # P 1/2, R 1: F1 2/3
        _pred(4, "PELÉ"),  # unicode lower-casing: "pelé" == value: EM 1
    ]
    metrics = _metrics(tmp_path, "triviaqa", data, predictions)["metrics"]
    assert metrics["exact_match"]["value"] == pytest.approx(3 / 4)
    assert metrics["f1"]["value"] == pytest.approx((3 + 2 / 3) / 4)


def test_gsm8k_hand_computed(tmp_path):
    data = [{"id": f"g{i}", "question": "?", "answer": "Steps <<6*2=12>>.\n#### 1234"} for i in range(5)]
    data.append({"id": "g5", "question": "?", "answer": "He has 3 apples and 4 pears.\n#### 4"})
    predictions = [
        _pred("g0", "The answer is $1,234."),  # strict: no `####`; flexible: "$1,234." -> 1234
        _pred("g1", "#### 1,234"),  # both
        _pred("g2", "#### 1234.\n\nQuestion: 7"),  # strict "1234." -> 1234; flexible: last number "7"
        _pred("g3", "#### 12"),  # neither
        _pred("g4", ""),  # neither
        _pred("g5", "3 apples and 4"),  # flexible: last number 4
    ]
    metrics = _metrics(tmp_path, "gsm8k", data, predictions)["metrics"]
    assert metrics["exact_match_strict"]["value"] == pytest.approx(2 / 6)
    assert metrics["exact_match_flexible"]["value"] == pytest.approx(3 / 6)


def test_plain_output_is_one_line_per_metric(tmp_path):
    code, out, err = _score(tmp_path, "squad", SQUAD, [_pred("q1", "Denver Broncos")])
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["exact_match", "f1"]
    assert lines[0].split()[1:] == ["0.2000", "n=5", "stderr=0.1789"]
    assert "4 of 5 data row(s) have no prediction" in err


# --- errors --------------------------------------------------------------------------------------


def _error(tmp_path, task: str, data: list, predictions: list) -> str:
    code, out, err = _score(tmp_path, task, data, predictions)
    assert code == cli.EXIT_USAGE and out == ""
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    "data, predictions, expected",
    [
        (SQUAD, [_pred("q1", "x"), _pred("nope", "y")], "pred.jsonl:2: id: 'nope' is not an id of the data file"),
        (
            SQUAD,
            [_pred("q1", "x"), _pred("q2", "y"), _pred("q1", "z")],
            "pred.jsonl:3: id: 'q1' repeats the id of line 1",
        ),
        (SQUAD, [_pred("q1", "x"), "{not json"], "pred.jsonl:2: not valid JSON"),
        (SQUAD, [_pred("q1", None)], "pred.jsonl:1: prediction: expected a string, got nothing"),
        (SQUAD, [_pred("q1", 3)], "pred.jsonl:1: prediction: expected a string, got int"),
        (SQUAD, [{"prediction": "x"}], "pred.jsonl:1: id: expected a non-empty string or an integer"),
        ([*SQUAD, SQUAD[0]], [], "data.jsonl:6: id: 'q1' repeats the id of line 1"),
        ([{"answers": {"text": ["a"]}}], [], "data.jsonl:1: id: expected a non-empty string or an integer"),
        ([{"id": "q", "answers": {"text": []}}], [], "data.jsonl:1: answers.text: expected a non-empty list"),
        ([SQUAD[0], "[1, 2]"], [], "data.jsonl:2: expected a JSON object, got list"),
        ([], [], "data.jsonl: no data rows"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_line(tmp_path, data, predictions, expected):
    assert expected in _error(tmp_path, "squad", data, predictions)


def test_layout_errors_name_the_field_and_count_the_other_lines(tmp_path):
    data = [{"id": "a", "answer": "no final line"}, {"id": "b"}, {"id": "c", "answer": "ok\n#### 3"}]
    err = _error(tmp_path, "gsm8k", data, [])
    assert "data.jsonl:1: answer: a GSM8K answer ends with its final line `#### N`" in err
    assert "1 more line(s) of the file have problems too" in err
    err = _error(tmp_path, "triviaqa", [{"id": "a", "answer": {"aliases": ["x"]}}], [])
    assert "data.jsonl:1: answer.value: expected a string" in err


def test_missing_file_and_usage(tmp_path, capsys):
    code = cli.main(["score", "--task", "squad", "--data", str(tmp_path / "no.jsonl"), "--predictions", "p"])
    assert code == cli.EXIT_USAGE
    assert "no.jsonl: no such file" in capsys.readouterr().err
    for argv in (["score", "--data", "d", "--predictions", "p"], ["score", "--task", "mmlu", "--data", "d"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
