"""Pure scoring functions of the regression benchmarks (no I/O, no heavy imports).

- SQuAD v1.1: the official `evaluate-v1.1.py` normalization, exact match and token F1, max over golds.
- TriviaQA: the official `triviaqa_evaluation.py` normalization, exact match and token F1, max over
  aliases (what `llmops score` reports), and lm-eval's `triviaqa` exact match (ignore case and
  punctuation, any alias: what the local platform's lm-eval task reports).
- GSM8K: lm-eval's `strict-match` / `flexible-extract` answer extraction and its `exact_match` options.

The local platform's lm-eval tasks (`steps.local.lm_eval_tasks`) and `llmops score`
(`steps.logic.task_scoring`) both score with these functions; lm-eval's SQuAD task config points its
`process_results` at `squad_process_results` here.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def token_f1(prediction_tokens: Sequence[str], gold_tokens: Sequence[str]) -> float:
    """The official SQuAD / TriviaQA token F1 of two normalized token lists (0 when none is shared)."""
    common = Counter(prediction_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(prediction_tokens)
    recall = same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def _max_over_golds(metric: Callable[[str, str], float], prediction: str, golds: Iterable[str]) -> float:
    return max((metric(prediction, gold) for gold in golds), default=0.0)


# --- SQuAD v1.1 (official evaluate-v1.1.py) -------------------------------------------------------

_PUNCT = set(string.punctuation)


def squad_normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation, replace articles by a space, collapse whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def squad_exact_match(prediction: str, gold: str) -> float:
    return float(squad_normalize_answer(prediction) == squad_normalize_answer(gold))


def squad_f1(prediction: str, gold: str) -> float:
    return token_f1(squad_normalize_answer(prediction).split(), squad_normalize_answer(gold).split())


def squad_scores(prediction: str, golds: Sequence[str]) -> dict[str, float]:
    """Per-question scores in 0..1: max over all gold answers (0 when there is no gold)."""
    return {
        "exact": _max_over_golds(squad_exact_match, prediction, golds),
        "f1": _max_over_golds(squad_f1, prediction, golds),
    }


def squad_process_results(doc: dict, results: Sequence[str]) -> dict[str, float]:
    """lm-eval `process_results` hook: `results` holds the one generated continuation."""
    prediction = results[0] if results else ""
    return squad_scores(prediction.strip(), list(doc["answers"]["text"]))


# --- TriviaQA (official triviaqa_evaluation.py) ---------------------------------------------------

_TRIVIAQA_PUNCT = set(string.punctuation) | {"‘", "’", "´", "`"}


def triviaqa_normalize(text: str) -> str:
    """Official TriviaQA normalization (`triviaqa_evaluation.py`): punctuation becomes a space."""
    text = text.replace("_", " ").lower()
    text = "".join(" " if ch in _TRIVIAQA_PUNCT else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split()).strip()


def triviaqa_normalized_aliases(aliases: Iterable[str]) -> list[str]:
    """Sorted unique official normalizations (the `normalized_aliases` field)."""
    return sorted({triviaqa_normalize(a) for a in aliases})


def triviaqa_official_exact_match(prediction: str, gold: str) -> float:
    return float(triviaqa_normalize(prediction) == triviaqa_normalize(gold))


def triviaqa_official_f1(prediction: str, gold: str) -> float:
    return token_f1(triviaqa_normalize(prediction).split(), triviaqa_normalize(gold).split())


def triviaqa_scores(prediction: str, aliases: Sequence[str]) -> dict[str, float]:
    """Official per-question TriviaQA scores in 0..1: max over the aliases (0 when there is none)."""
    return {
        "exact_match": _max_over_golds(triviaqa_official_exact_match, prediction, aliases),
        "f1": _max_over_golds(triviaqa_official_f1, prediction, aliases),
    }


# --- lm-eval's exact match (its gsm8k and triviaqa tasks) -----------------------------------------

_LMEVAL_PUNCT_TABLE = str.maketrans("", "", string.punctuation)


def lmeval_exact_match(
    prediction: str,
    reference: str,
    *,
    ignore_case: bool = False,
    ignore_punctuation: bool = False,
    regexes_to_ignore: Sequence[str] = (),
) -> float:
    """lm-eval's `exact_match_hf_evaluate` for one pair."""
    for pattern in regexes_to_ignore:
        prediction = re.sub(pattern, "", prediction)
        reference = re.sub(pattern, "", reference)
    if ignore_case:
        prediction, reference = prediction.lower(), reference.lower()
    if ignore_punctuation:
        prediction = prediction.translate(_LMEVAL_PUNCT_TABLE)
        reference = reference.translate(_LMEVAL_PUNCT_TABLE)
    return float(prediction == reference)


def triviaqa_exact_match(prediction: str, aliases: Sequence[str]) -> float:
    """lm-eval `triviaqa`: strip, then any alias equal ignoring case and punctuation."""
    prediction = prediction.strip()
    return max(
        (lmeval_exact_match(prediction, a, ignore_case=True, ignore_punctuation=True) for a in aliases),
        default=0.0,
    )


# --- GSM8K ----------------------------------------------------------------------------------------

GSM8K_STRICT_REGEX = r"#### (\-?[0-9\.\,]+)"
GSM8K_FLEXIBLE_REGEX = r"(-?[$0-9.,]{2,})|(-?[0-9]+)"
GSM8K_IGNORE = (",", "\\$", "(?s).*#### ", "\\.$")
INVALID = "[invalid]"


def gsm8k_extract_strict(completion: str) -> str:
    """`strict-match`: first `#### N` (regex findall, first match)."""
    matches = re.findall(GSM8K_STRICT_REGEX, completion)
    return matches[0].strip() if matches else INVALID


def gsm8k_extract_flexible(completion: str) -> str:
    """`flexible-extract`: the last number-like match in the completion."""
    matches = re.findall(GSM8K_FLEXIBLE_REGEX, completion)
    if not matches:
        return INVALID
    last = matches[-1]
    if isinstance(last, tuple):
        last = next((group for group in last if group), INVALID)
    return last.strip()


def gsm8k_exact_match(extracted: str, gold_answer: str) -> float:
    """lm-eval gsm8k `exact_match` (regexes reduce the gold CoT answer to its final number)."""
    return lmeval_exact_match(
        extracted, gold_answer, ignore_case=True, ignore_punctuation=False, regexes_to_ignore=GSM8K_IGNORE
    )


def gsm8k_scores(completion: str, gold_answer: str) -> dict[str, float]:
    """Both lm-eval gsm8k scores of one completion against the gold solution (`... #### N`)."""
    return {
        "exact_match_strict": gsm8k_exact_match(gsm8k_extract_strict(completion), gold_answer),
        "exact_match_flexible": gsm8k_exact_match(gsm8k_extract_flexible(completion), gold_answer),
    }


def gsm8k_final_answer(answer: str) -> str:
    """The number after `#### ` with commas removed (the `final_answer` field)."""
    extracted = gsm8k_extract_strict(answer)
    return extracted.replace(",", "").strip() if extracted != INVALID else INVALID
