"""`llmops score --json` equals the official scorers to 1e-9 on the real benchmark samples in ../shared.

Fixed predictions are built from every row's gold answers by a fixed rule per row (no randomness):
articles, punctuation, casing, unicode, other gold answers, partial answers, numbers with commas,
`$`, `#### N` forms, trailing periods, empty predictions and missing predictions.

The oracles are independent of the project's scoring code:
- GSM8K: lm-evaluation-harness's own `RegexFilter` / `TakeFirstFilter` classes and its
  `exact_match_hf_evaluate`, configured from the harness's installed `gsm8k.yaml`.
- SQuAD v1.1 and TriviaQA: no implementation of the official scripts is installed, so `Squad11Oracle`
  and `TriviaqaOracle` below restate the official `evaluate-v1.1.py` and `triviaqa_evaluation.py`
  (their normalization, EM, token F1, max over ground truths, unanswered questions count 0, mean over
  all questions). The TriviaQA oracle reads the `normalized_aliases` field as the official script reads
  `NormalizedAliases`; the project scores `aliases` + `value`.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections import Counter
from pathlib import Path

import pytest

from workflows import cli

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "benchmarks"
MISSING = None  # a row whose prediction is left out of the predictions file


def _rows(name: str) -> list[dict]:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} is not available (the real benchmark samples live in ../shared)")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- fixed predictions ----------------------------------------------------------------------------


def _text_variants(first: str, other: str) -> list[str | None]:
    """Predictions for extractive / closed-book QA from two gold answers (the first and another one)."""
    words = other.split()
    return [
        first,
        f"The {other}.",  # article, trailing period, another gold answer
        first.upper(),
        f"  {first} and some more words\n",  # partial credit, surrounding whitespace
        "",
        MISSING,
        f"“{first}”",  # curly quotes: not ASCII punctuation (SQuAD keeps them, TriviaQA keeps “ ”)
        first.replace(" ", ", "),  # punctuation between words
        words[0] if words else "",
        "zzz qqq",
        f"an {first.lower()}!!!",
        f"Ünïcödé {first}",
        first.replace(" ", "_"),  # TriviaQA turns `_` into a space, SQuAD deletes it
        f"{first}’s",  # TriviaQA's own extra punctuation
        f"a the an {other} the",
    ]


def _gsm8k_variants(row: dict) -> list[str | None]:
    final = row["final_answer"]
    number = int(final) if re.fullmatch(r"-?\d+", final) else None
    commas = f"{number:,}" if number is not None else final
    return [
        row["answer"],  # the gold solution itself
        f"#### {final}",
        f"The answer is ${commas}.",
        f"#### {commas}",
        f"#### {final}.",
        "",
        MISSING,
        f"{final} apples, then 5 more",
        f"#### {number + 1 if number is not None else final + '1'}",
        f"So the total is {final}\n#### {final}\n\nQuestion: 3",
        f"-{final}",
        f"#### ${commas} dollars",
        f"Answer: {final}.00",
        "\uff03" * 4 + f" {final}",  # full-width hashes (FULLWIDTH NUMBER SIGN)
        f"THE ANSWER IS {commas}",
        f"${commas}",
    ]


def _predictions(rows: list[dict], variants) -> dict[str, str]:
    """id -> prediction, the i-th row taking variant i mod the number of variants (MISSING left out)."""
    chosen = {}
    for i, row in enumerate(rows):
        options = variants(row)
        prediction = options[i % len(options)]
        if prediction is not MISSING:
            chosen[row["id"]] = prediction
    return chosen


# --- oracles --------------------------------------------------------------------------------------


class Squad11Oracle:
    """The official SQuAD v1.1 `evaluate-v1.1.py`, restated."""

    @staticmethod
    def normalize(s: str) -> str:
        s = s.lower()
        s = "".join(ch for ch in s if ch not in set(string.punctuation))
        s = re.sub(r"\b(a|an|the)\b", " ", s)
        return " ".join(s.split())

    @classmethod
    def f1(cls, prediction: str, truth: str) -> float:
        p, t = cls.normalize(prediction).split(), cls.normalize(truth).split()
        same = sum((Counter(p) & Counter(t)).values())
        if same == 0:
            return 0
        precision, recall = 1.0 * same / len(p), 1.0 * same / len(t)
        return (2 * precision * recall) / (precision + recall)

    @classmethod
    def em(cls, prediction: str, truth: str) -> float:
        return cls.normalize(prediction) == cls.normalize(truth)

    @classmethod
    def per_item(cls, row: dict, predictions: dict[str, str]) -> dict[str, float]:
        if row["id"] not in predictions:  # "Unanswered question ... will receive score 0."
            return {"exact_match": 0.0, "f1": 0.0}
        truths = list(row["answers"]["text"])
        prediction = predictions[row["id"]]
        return {
            "exact_match": float(max(cls.em(prediction, t) for t in truths)),
            "f1": float(max(cls.f1(prediction, t) for t in truths)),
        }


class TriviaqaOracle(Squad11Oracle):
    """The official `triviaqa_evaluation.py` (normalization with `_` and ‘’´` handled), restated."""

    @staticmethod
    def normalize(s: str) -> str:
        s = s.replace("_", " ").lower()
        exclude = set(string.punctuation + "".join(["‘", "’", "´", "`"]))
        s = "".join(" " if ch in exclude else ch for ch in s)
        s = re.sub(r"\b(a|an|the)\b", " ", s)
        return " ".join(s.split()).strip()

    @classmethod
    def per_item(cls, row: dict, predictions: dict[str, str]) -> dict[str, float]:
        if row["id"] not in predictions:  # "Missed question ... will receive score 0."
            return {"exact_match": 0.0, "f1": 0.0}
        truths = row["answer"]["normalized_aliases"]  # the official script's NormalizedAliases
        prediction = predictions[row["id"]]
        return {
            "exact_match": float(max(cls.em(prediction, t) for t in truths)),
            "f1": float(max(cls.f1(prediction, t) for t in truths)),
        }


class Gsm8kOracle:
    """lm-evaluation-harness itself: the gsm8k task's filters and exact_match, from its gsm8k.yaml."""

    def __init__(self) -> None:
        import lm_eval
        import yaml
        from lm_eval.api.metrics import exact_match_hf_evaluate
        from lm_eval.filters.extraction import RegexFilter
        from lm_eval.filters.selection import TakeFirstFilter

        config = yaml.safe_load((Path(lm_eval.__file__).parent / "tasks" / "gsm8k" / "gsm8k.yaml").read_text())
        classes = {"regex": RegexFilter, "take_first": TakeFirstFilter}
        self.filters = {
            chain["name"]: [
                classes[step["function"]](**{k: v for k, v in step.items() if k != "function"})
                for step in chain["filter"]
            ]
            for chain in config["filter_list"]
        }
        (metric,) = config["metric_list"]
        self.options = {k: metric[k] for k in ("ignore_case", "ignore_punctuation", "regexes_to_ignore")}
        self.exact_match = exact_match_hf_evaluate

    def per_item(self, row: dict, predictions: dict[str, str]) -> dict[str, float]:
        names = {"strict-match": "exact_match_strict", "flexible-extract": "exact_match_flexible"}
        if row["id"] not in predictions:
            return dict.fromkeys(names.values(), 0.0)
        scores = {}
        for chain, steps in self.filters.items():
            responses: object = [[predictions[row["id"]]]]
            for step in steps:
                responses = list(step.apply(responses, [row]))
            (filtered,) = responses  # type: ignore[misc]
            result = self.exact_match(predictions=[filtered], references=[row["answer"]], **self.options)
            scores[names[chain]] = float(result["exact_match"])
        return scores


# --- the test -------------------------------------------------------------------------------------

CASES = {
    "gsm8k": ("gsm8k.jsonl", _gsm8k_variants, Gsm8kOracle),
    "squad": (
        "squad.jsonl",
        lambda r: _text_variants(r["answers"]["text"][0], r["answers"]["text"][-1]),
        Squad11Oracle,
    ),
    "triviaqa": (
        "triviaqa.jsonl",
        lambda r: _text_variants(r["answer"]["value"], r["answer"]["aliases"][-1]),
        TriviaqaOracle,
    ),
}


def _score_json(task: str, data: Path, predictions: Path, capsys) -> dict:
    capsys.readouterr()
    code = cli.main(["score", "--task", task, "--data", str(data), "--predictions", str(predictions), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    assert len(out.strip().splitlines()) == 1, "exactly one JSON object"
    return json.loads(out)


@pytest.mark.parametrize("task", list(CASES))
def test_score_equals_the_official_scorer(task, tmp_path, capsys):
    filename, variants, oracle_class = CASES[task]
    rows = _rows(filename)
    predictions = _predictions(rows, variants)
    assert 0 < len(predictions) < len(rows)  # some rows have no prediction
    path = tmp_path / "predictions.jsonl"
    # Predictions in another order than the data, as a real file may be.
    lines = [json.dumps({"id": i, "prediction": p}, ensure_ascii=False) for i, p in reversed(predictions.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = _score_json(task, SHARED / filename, path, capsys)

    oracle = oracle_class()
    per_item = [oracle.per_item(row, predictions) for row in rows]
    assert result["task"] == task and result["n"] == len(rows)
    assert list(result["metrics"]) == list(per_item[0])
    for name, got in result["metrics"].items():
        values = [item[name] for item in per_item]
        mean = sum(values) / len(rows)
        population_sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        assert got["value"] == pytest.approx(mean, abs=1e-9), name
        assert got["stderr"] == pytest.approx(population_sd / math.sqrt(len(values)), abs=1e-9), name
        assert 0.0 < got["value"] < 1.0, f"{name}: the fixed predictions should score some items right and some wrong"


def test_gold_answers_score_one_and_wrong_answers_zero(tmp_path, capsys):
    """Every row's own gold answer is a perfect prediction under every metric of its task."""
    for task, (filename, _, _) in CASES.items():
        rows = _rows(filename)
        gold = {
            "gsm8k": lambda r: r["answer"],
            "squad": lambda r: r["answers"]["text"][0],
            "triviaqa": lambda r: r["answer"]["value"],
        }[task]
        path = tmp_path / f"{task}.jsonl"
        path.write_text("".join(json.dumps({"id": r["id"], "prediction": gold(r)}) + "\n" for r in rows))
        result = _score_json(task, SHARED / filename, path, capsys)
        assert all(m == {"value": 1.0, "stderr": 0.0} for m in result["metrics"].values()), task
