import json
from pathlib import Path

import pytest

from steps.logic import benchmark_scoring as bm

SHARED = Path("/work/shared/data/benchmarks")


def _rows(folder: Path, name: str) -> list[dict]:
    path = folder / name
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(params=["shared", "smoke"])
def data_dir(request, smoke_dir) -> Path:
    return SHARED if request.param == "shared" else smoke_dir


def test_squad_gold_answers_score_one_against_themselves(data_dir):
    rows = _rows(data_dir, "squad.jsonl")
    for row in rows:
        golds = row["answers"]["text"]
        for text, start in zip(golds, row["answers"]["answer_start"], strict=True):
            assert row["context"][start : start + len(text)] == text
            assert bm.squad_scores(text, golds) == {"exact": 1.0, "f1": 1.0}
        assert bm.squad_process_results(row, [" " + golds[0] + " "]) == {"exact": 1.0, "f1": 1.0}
        assert bm.squad_process_results(row, ["zzzz qqqq"]) == {"exact": 0.0, "f1": 0.0}


def test_gsm8k_extraction_recovers_the_final_answer(data_dir):
    for name in ("gsm8k.jsonl", "gsm8k_fewshot_train.jsonl"):
        for row in _rows(data_dir, name):
            assert bm.gsm8k_final_answer(row["answer"]) == row["final_answer"]
            assert bm.gsm8k_exact_match(bm.gsm8k_extract_strict(row["answer"]), row["answer"]) == 1.0
            assert bm.gsm8k_exact_match(bm.gsm8k_extract_flexible(row["answer"]), row["answer"]) == 1.0
            assert bm.gsm8k_exact_match("#### 123456789", row["answer"]) == 0.0
            assert bm.gsm8k_scores(row["answer"], row["answer"]) == {
                "exact_match_strict": 1.0,
                "exact_match_flexible": 1.0,
            }


def test_triviaqa_aliases_and_official_normalization(data_dir):
    for row in _rows(data_dir, "triviaqa.jsonl"):
        answer = row["answer"]
        assert bm.triviaqa_normalized_aliases(answer["aliases"]) == answer["normalized_aliases"]
        assert bm.triviaqa_exact_match(" " + answer["value"] + " ", answer["aliases"]) == 1.0
        assert bm.triviaqa_exact_match("zzzz qqqq", answer["aliases"]) == 0.0
        assert bm.triviaqa_scores(answer["value"], answer["aliases"]) == {"exact_match": 1.0, "f1": 1.0}
        assert bm.triviaqa_scores("zzzz qqqq", answer["aliases"]) == {"exact_match": 0.0, "f1": 0.0}


def test_squad_normalization_and_f1_examples():
    assert bm.squad_normalize_answer("The  Cat, sat!") == "cat sat"
    assert bm.squad_exact_match("the Denver Broncos", "Denver Broncos.") == 1.0
    assert bm.squad_f1("Denver Broncos team", "Denver Broncos") == pytest.approx(0.8)
    assert bm.squad_f1("", "Denver") == 0.0
    assert bm.squad_scores("x", []) == {"exact": 0.0, "f1": 0.0}


def test_lm_eval_style_matching_examples():
    assert bm.triviaqa_normalize("The_Beatles’ “White” Album") == "beatles “white” album"
    assert bm.gsm8k_extract_strict("so #### 1,234.") == "1,234."
    assert bm.gsm8k_exact_match("1,234.", "...\n#### 1234") == 1.0
    assert bm.gsm8k_extract_flexible("I got 12 then $3,400.") == "$3,400."
    assert bm.gsm8k_extract_flexible("no numbers") == bm.INVALID
    assert bm.gsm8k_extract_strict("no hashes 42") == bm.INVALID
