"""`json-fields`: a structured answer (a JSON object) against a reference object, field by field.

The answer counts as valid JSON when, after stripping whitespace and an optional ```json fence, it
parses to a JSON object. The reference (default `{{item.reference}}`) is a JSON object, or text of one.

A field is right when the answer has it and its value equals the reference's after normalisation:
text is compared after `strip()`; a JSON boolean reads as "true" / "false"; an object or list as its
JSON with sorted keys; a field listed in `ignore_case` is lower-cased (objects and lists included, as
their Python text). A field absent from the reference reads as null, which an answer's null matches.

Scores: `valid_json`, one per field (named as the field), `all_fields_exact` (every field right), and
`<field>_balanced` for each field in `balanced`: its accuracy averaged over the reference's classes
(the normalised reference values), so answering the majority class everywhere scores 1/classes.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field, model_validator

from steps.logic.json_text import parse_json
from steps.logic.metrics.spec_base import DEFAULT_CANDIDATE, MetricSpecBase, RowContext, Score

FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
_FENCE = re.compile(r"^```(?:json|JSON)?[ \t]*\n?(.*?)\n?```$", re.DOTALL)
_RESERVED = ("valid_json", "all_fields_exact")


class JsonFieldsSpec(MetricSpecBase):
    """`json-fields`: JSON validity, per-field accuracy, all-fields exact, balanced accuracy per field."""

    type: Literal["json-fields"]
    reference: str = "{{item.reference}}"
    candidate: str = DEFAULT_CANDIDATE
    fields: list[str] = Field(min_length=1)
    ignore_case: list[str] = Field(default_factory=list)
    balanced: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fields_are_consistent(self) -> JsonFieldsSpec:
        for field in self.fields:
            if not re.match(FIELD_PATTERN, field):
                raise ValueError(f"field {field!r} must match {FIELD_PATTERN}")
            if field in _RESERVED or any(field == f"{other}_balanced" for other in self.balanced):
                raise ValueError(f"field {field!r} collides with a score name; rename it")
        if len(set(self.fields)) != len(self.fields):
            raise ValueError(f"fields {self.fields} name a field twice")
        for parameter in ("ignore_case", "balanced"):
            unknown = [field for field in getattr(self, parameter) if field not in self.fields]
            if unknown:
                raise ValueError(f"{parameter} names {unknown}, which are not in fields {self.fields}")
        return self

    def templates(self) -> dict[str, str]:
        return {"reference": self.reference, "candidate": self.candidate}

    def scores(self) -> tuple[str, ...]:
        balanced = tuple(f"{field}_balanced" for field in self.fields if field in self.balanced)
        return ("valid_json", *self.fields, "all_fields_exact", *balanced)


def parse_json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in an answer (bare or inside a ```json fence), or None."""
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        value = parse_json(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def normalise_value(value: Any, ignore_case: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list) and not ignore_case:
        return json.dumps(value, sort_keys=True)
    text = str(value).strip()
    return text.lower() if ignore_case else text


def _reference(spec: JsonFieldsSpec, row: RowContext) -> dict[str, Any]:
    value = row.render(spec, "reference", spec.reference)
    gold = value if isinstance(value, dict) else parse_json_object(value) if isinstance(value, str) else None
    if gold is None:
        raise row.fail(spec, "reference", f"the reference is not a JSON object: {str(value)[:200]!r}")
    return gold


def score_json_fields(spec: JsonFieldsSpec, row: RowContext) -> dict[str, Score]:
    gold = _reference(spec, row)
    answer = row.render(spec, "candidate", spec.candidate)
    parsed = answer if isinstance(answer, dict) else parse_json_object(row.as_text(spec, "candidate", answer))
    scores = {"valid_json": Score(float(parsed is not None))}
    right: dict[str, bool] = {}
    for field in spec.fields:
        ignore_case = field in spec.ignore_case
        right[field] = (
            parsed is not None
            and field in parsed
            and normalise_value(parsed[field], ignore_case) == normalise_value(gold.get(field), ignore_case)
        )
        scores[field] = Score(float(right[field]))
    scores["all_fields_exact"] = Score(float(all(right.values())))
    for field in spec.fields:
        if field in spec.balanced:
            stratum = str(normalise_value(gold.get(field), field in spec.ignore_case))
            scores[f"{field}_balanced"] = Score(float(right[field]), stratum=stratum)
    return scores
