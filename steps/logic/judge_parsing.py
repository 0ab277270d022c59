"""Reading the judge's answer: its final score on the rubric's integer scale, and its rationale.

`parse_judgement(text, scale) -> (score, rationale)`. What counts as the score, first match wins:

1. a JSON object (the whole answer, a fenced block, or the last `{...}` in the text) with a `score`,
   `rating` or `grade` key: `{"score": 5, "rationale": "..."}`;
2. a labelled score: `Score: 5`, `**Rating:** 5`, `Final score = 4/5`, `Grade (1-5): 3`. When any label
   says "final", only those count. Labels that disagree make the answer ambiguous;
3. a fraction over the scale's top, `4/5` or `4 out of 5`, without a label (again, all must agree);
4. a last line that is nothing but the number (`5`, `**5**`).

A digit elsewhere in the rationale never counts. A score outside the scale, a fraction over another top
(`8/10` on a 1-5 scale), a non-integer (`3.5`), two different scores, or no score at all raise
`JudgeParseError`, which carries the judge's text: the caller reports the item as a judge failure and never
scores it 0.
"""

from __future__ import annotations

import re
from typing import Any

from steps.errors import LlmopsError
from steps.logic.json_text import parse_json
from steps.logic.judge_rubrics import Scale

SCORE_KEYS = ("score", "rating", "grade")
RATIONALE_KEYS = ("rationale", "reasoning", "reason", "explanation", "justification")
_EXCERPT = 300

_H = r"[^\S\n]*"  # horizontal space
_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_LABELLED = re.compile(
    rf"(?P<final>\bfinal{_H})?(?:\boverall{_H})?\b(?:score|rating|grade)\b{_H}(?:\([^)\n]*\){_H})?"
    rf"(?:\*\*|__)?{_H}(?:[:=]|\bis\b)?{_H}(?:\*\*|__)?{_H}(?P<num>{_NUMBER})"
    rf"(?:{_H}(?:/|\bout of\b){_H}(?P<den>\d+))?",
    re.IGNORECASE,
)
_FRACTION = re.compile(
    rf"(?<![\w./])(?P<num>{_NUMBER}){_H}(?:/|\bout of\b){_H}(?P<den>\d+)(?!\w|\.\d|/)", re.IGNORECASE
)
_BARE = re.compile(r"^[\s*_#`>]*(?P<num>[-+]?\d+(?:\.\d+)?)[\s*_`.]*$")
_FENCED = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL | re.IGNORECASE)
_RATIONALE_PREFIX = re.compile(r"^[\s*_#]*(?:rationale|reasoning|explanation|justification)[\s*_]*:[\s*_]*", re.I)


class JudgeParseError(LlmopsError):
    """The judge's answer has no single valid score on the scale; `text` is the answer as received."""

    def __init__(self, reason: str, text: str) -> None:
        self.reason, self.text = reason, text
        excerpt = text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."
        super().__init__(f"judge answer not usable: {reason}; the answer was: {excerpt!r}")


def _integer(value: Any, text: str) -> int:
    """An integer from a JSON value or a matched number; 4.0 is 4, 3.5 and booleans are refused."""
    if isinstance(value, bool) or value is None:
        raise JudgeParseError(f"the score {value!r} is not an integer", text)
    try:
        number = float(str(value).strip())
    except ValueError:
        raise JudgeParseError(f"the score {value!r} is not a number", text) from None
    if not number.is_integer():
        raise JudgeParseError(f"the score {value!r} is not an integer on the scale", text)
    return int(number)


def _top(digits: str) -> int | None:
    """A fraction's top; None when it has more digits than Python reads as an integer (no scale's top)."""
    try:
        return int(digits)
    except ValueError:
        return None


def _in_scale(score: int, scale: Scale, text: str, top: str | None = None) -> int:
    if top is not None and _top(top) != scale.max:
        raise JudgeParseError(f"the score is given out of {top}, but the scale is {scale}", text)
    if not scale.min <= score <= scale.max:
        raise JudgeParseError(f"the score {score} is outside the scale {scale}", text)
    return score


def _json_objects(text: str) -> list[dict[str, Any]]:
    candidates = [text.strip(), *(m.group(1) for m in _FENCED.finditer(text))]
    start, end = text.rfind("{"), text.rfind("}")
    while start != -1 and end > start:  # the last {...}: grow it leftwards until it parses
        candidates.append(text[start : end + 1])
        start = text.rfind("{", 0, start)
    found = []
    for candidate in candidates:
        try:
            value = parse_json(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _from_json(text: str, scale: Scale) -> tuple[int, str] | None:
    for obj in _json_objects(text):
        keys = {str(k).lower(): v for k, v in obj.items()}
        score_key = next((k for k in SCORE_KEYS if k in keys), None)
        if score_key is None:
            continue
        rationale = next((keys[k] for k in RATIONALE_KEYS if isinstance(keys.get(k), str)), "")
        return _in_scale(_integer(keys[score_key], text), scale, text), rationale.strip()
    return None


def _agreed(matches: list[re.Match[str]], scale: Scale, text: str) -> tuple[int, re.Match[str]] | None:
    """The one score all matches give; ambiguous when they give several."""
    if not matches:
        return None
    scores = [_in_scale(_integer(m.group("num"), text), scale, text, m.group("den")) for m in matches]
    if len(set(scores)) > 1:
        listed = ", ".join(repr(m.group(0).strip()) for m in matches)
        raise JudgeParseError(f"it gives several different scores ({listed})", text)
    return scores[-1], matches[-1]


def _rationale_without(text: str, start: int, end: int) -> str:
    """The answer without the line(s) holding text[start:end] (the score), less a leading "Rationale:"."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    rest = (text[:line_start] + ("" if line_end == -1 else text[line_end:])).strip()
    return _RATIONALE_PREFIX.sub("", rest, count=1).strip()


def parse_judgement(text: str, scale: Scale) -> tuple[int, str]:
    """The judge's final score (an integer on `scale`) and its rationale; JudgeParseError when there is none."""
    if not isinstance(text, str) or not text.strip():
        raise JudgeParseError("the answer is empty", text if isinstance(text, str) else repr(text))
    from_json = _from_json(text, scale)
    if from_json is not None:
        return from_json
    labelled = list(_LABELLED.finditer(text))
    final = [m for m in labelled if m.group("final")]
    fractions = [m for m in _FRACTION.finditer(text) if _top(m.group("den")) == scale.max]
    for matches in (final or labelled, fractions):
        agreed = _agreed(matches, scale, text)
        if agreed is not None:
            score, match = agreed
            return score, _rationale_without(text, match.start(), match.end())
    stripped = text.rstrip()
    last_start = stripped.rfind("\n") + 1
    bare = _BARE.match(stripped[last_start:])
    if bare:
        score = _in_scale(_integer(bare.group("num"), text), scale, text)
        return score, _rationale_without(stripped, last_start, len(stripped))
    raise JudgeParseError(
        f"no final score found (expected a last line like 'Score: N' with N from {scale.min} to {scale.max})", text
    )
