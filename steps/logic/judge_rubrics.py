"""Rubric prompts for the LLM judge: correctness, relevance and fluency of an answer against a reference.

`judge_messages(criterion, question, reference, prediction, scale)` gives the chat messages sent to the
judge: a system message with the criterion's rubric and the answer contract, and a user message with the
conversation, the reference answer and the model's answer, each between tags. The judge answers

    Rationale: <one to three sentences>
    Score: <an integer from MIN to MAX>

which `steps.logic.judge_parsing` reads (it also accepts the usual variants). A scale is any integer range
of 2 to 11 values, 1-5 by default; 0/1 is the binary one.

`PROMPT_VERSION` names the prompt texts; it is recorded with every judge score. Any change to a prompt's
text changes `prompt_fingerprint()`, and a unit test pins the fingerprint of each version, so editing a
prompt without bumping `PROMPT_VERSION` fails the tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

PROMPT_VERSION = "1"
Criterion = Literal["correctness", "relevance", "fluency"]
CRITERIA: tuple[Criterion, ...] = ("correctness", "relevance", "fluency")
SCORE_LABEL = "Score"  # the answer's final line: "Score: N"
RATIONALE_LABEL = "Rationale"


class Scale(BaseModel):
    """An integer rating scale [min, max]; scores are normalised to 0-1 as (s - min) / (max - min)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int = 1
    max: int = 5

    @model_validator(mode="after")
    def _sane(self) -> Scale:
        if self.min < 0 or self.max <= self.min or self.max - self.min > 10:
            raise ValueError(
                f"judge scale {self.min}..{self.max} is not usable: use 0 <= min < max with at most 11 values "
                "(e.g. 1..5, or 0..1 for a yes/no judgement)"
            )
        return self

    @property
    def values(self) -> list[int]:
        return list(range(self.min, self.max + 1))

    @property
    def binary(self) -> bool:
        return self.max - self.min == 1

    def normalise(self, raw: int) -> float:
        if not self.min <= raw <= self.max:
            raise ValueError(f"score {raw} is outside the scale {self}")
        return (raw - self.min) / (self.max - self.min)

    def __str__(self) -> str:
        return f"{self.min}-{self.max}"


LIKERT_5 = Scale(min=1, max=5)
BINARY = Scale(min=0, max=1)


@dataclass(frozen=True)
class Rubric:
    definition: str  # what the criterion judges
    best: str  # the top of the scale
    worst: str  # the bottom of the scale
    between: str  # the scores in between (scales of three values or more)


RUBRICS: dict[str, Rubric] = {
    "correctness": Rubric(
        definition=(
            "Correctness: does the answer state the same facts, values and conclusions as the reference answer? "
            "Wording may differ; what counts is whether the content agrees with the reference. Leaving out a key "
            "fact of the reference, or stating something that contradicts it, is an error."
        ),
        best="every key fact of the reference is in the answer and nothing in the answer contradicts it",
        worst="the answer contradicts the reference or misses its main point",
        between="some key facts are right and others are missing or wrong; the more that is right, the higher",
    ),
    "relevance": Rubric(
        definition=(
            "Relevance: does the answer address what the user asked, as the reference does, without drifting "
            "into unrelated content? Judge whether it responds to the request, not whether its facts are right."
        ),
        best="the answer addresses the user's request directly and completely, with nothing unrelated",
        worst="the answer does not address the user's request at all",
        between="the answer addresses part of the request, or mixes in unrelated content",
    ),
    "fluency": Rubric(
        definition=(
            "Fluency: is the answer clear, grammatical, natural text in the language of the conversation (or "
            "well-formed structured output, such as valid JSON, when the reference is structured)? Judge the "
            "form only, not whether the content is right."
        ),
        best="clear, grammatical and natural (or valid, well-formed structured output) and easy to read",
        worst="garbled, ungrammatical, cut off or unreadable",
        between="understandable, but with errors or awkward phrasing that make it harder to read",
    ),
}

_SYSTEM = """You are an impartial evaluator. You grade one answer that an AI assistant gave in a conversation, \
on a single criterion: {criterion}. A reference answer written by a person is given; treat it as correct.

{definition}

Scale: an integer from {min} to {max}.
{anchors}

Grade {criterion} only; the other qualities of the answer are graded separately. Do not reward length.

Reply in exactly this form, with nothing after the score line:
{rationale_label}: <one to three sentences explaining the grade>
{score_label}: <an integer from {min} to {max}>"""

_USER = """<conversation>
{conversation}
</conversation>

<reference_answer>
{reference}
</reference_answer>

<assistant_answer>
{prediction}
</assistant_answer>

Grade the assistant answer for {criterion} on the scale from {min} to {max}."""


def rubric(criterion: str) -> Rubric:
    if criterion not in RUBRICS:
        raise ValueError(f"unknown judge criterion {criterion!r}; use one of: {', '.join(CRITERIA)}")
    return RUBRICS[criterion]


def _anchors(r: Rubric, scale: Scale) -> str:
    lines = [f"- {scale.max}: {r.best}"]
    if scale.max - scale.min == 2:
        lines.append(f"- {scale.min + 1}: {r.between}")
    elif not scale.binary:
        lines.append(f"- {scale.min + 1} to {scale.max - 1}: {r.between}")
    lines.append(f"- {scale.min}: {r.worst}")
    return "\n".join(lines)


def _content_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # OpenAI content parts
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    text = "" if content is None else str(content)
    if message.get("tool_calls"):
        calls = json.dumps(message["tool_calls"], ensure_ascii=False, sort_keys=True)
        text = f"{text}\n(tool calls: {calls})".strip()
    return text


def conversation_text(messages: Sequence[dict[str, Any]]) -> str:
    """The conversation up to the graded answer, one `[role]` block per message."""
    return "\n\n".join(f"[{m.get('role', 'user')}]\n{_content_text(m)}" for m in messages)


def judge_messages(
    criterion: str,
    question: Sequence[dict[str, Any]],
    reference: str,
    prediction: str,
    scale: Scale = LIKERT_5,
) -> list[dict[str, str]]:
    """The chat messages that ask the judge to grade `prediction` for `criterion` against `reference`.

    `question` is the item's messages (the conversation the model answered), without the expected answer.
    """
    r = rubric(criterion)
    fields = {"criterion": criterion, "min": scale.min, "max": scale.max}
    system = _SYSTEM.format(
        definition=r.definition,
        anchors=_anchors(r, scale),
        rationale_label=RATIONALE_LABEL,
        score_label=SCORE_LABEL,
        **fields,
    )
    user = _USER.format(conversation=conversation_text(question), reference=reference, prediction=prediction, **fields)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def prompt_fingerprint() -> str:
    """sha256 over every prompt this module can render (each criterion on a 1-5 and a 0/1 scale)."""
    sample = [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"}]
    rendered = [
        judge_messages(criterion, sample, "R", "P", scale) for criterion in CRITERIA for scale in (LIKERT_5, BINARY)
    ]
    return hashlib.sha256(json.dumps(rendered, sort_keys=True).encode()).hexdigest()
