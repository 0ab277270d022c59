"""What every metric type shares: its spec's common fields, the row it scores, and a per-item score.

A metric spec is data: `{name, type, ...parameters}`; its templates are checked when the spec is read.
A scorer turns one spec and one row (dataset item + model sample) into one `Score` per score name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from steps.errors import InvalidInputError
from steps.logic.metrics.templates import RENDER_ERRORS, render_template, template_fields, template_problem

NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"
DEFAULT_CANDIDATE = "{{sample.output_text}}"


class MetricSpecBase(BaseModel):
    """Common fields: the user's `name` for the metric (prefix of its score names) and a description."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str  # each metric type narrows it to its own literal (the union's discriminator)
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None

    def templates(self) -> dict[str, str]:
        """Parameter name -> template, for every templated parameter."""
        raise NotImplementedError

    def scores(self) -> tuple[str, ...]:
        """The score names this metric reports, in a fixed order (without the metric's name)."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _templates_are_valid(self) -> MetricSpecBase:
        for parameter, template in self.templates().items():
            problem = template_problem(template)
            if problem is not None:
                raise ValueError(f"parameter {parameter!r}: {problem}")
        return self


class Sample(BaseModel):
    """The model's answer to one item: its text, its tool calls (OpenAI format) and the raw response."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    output_text: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    response: dict[str, Any] = Field(default_factory=dict)


class Score(NamedTuple):
    """One item's value of one score; None when it could not be computed (left out of the aggregate).

    `stratum` puts the item into a class for a macro mean; `detail` is shown with the item (a rationale).
    """

    value: float | None
    stratum: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class RowContext:
    """One row to score: the dataset item (with its id) and the model's sample, as templates see them."""

    row_id: str
    item: dict[str, Any]
    sample: dict[str, Any]

    def render(self, spec: MetricSpecBase, parameter: str, template: str) -> Any:
        """A template's value on this row; errors name the metric, the parameter, the row and the field."""
        missing = sorted(template_fields(template) - self.item.keys())
        if missing:
            raise InvalidInputError(
                f"metric {spec.name!r}: parameter {parameter!r} ({template!r}) names field(s) {missing}, which row "
                f"{self.row_id!r} does not have (its fields: {sorted(self.item)}); add the field to every row or "
                "change the template"
            )
        try:
            return render_template(template, {"item": self.item, "sample": self.sample})
        except RENDER_ERRORS as exc:
            raise InvalidInputError(
                f"metric {spec.name!r}: parameter {parameter!r} ({template!r}) could not be rendered for row "
                f"{self.row_id!r}: {exc}"
            ) from exc

    def render_text(self, spec: MetricSpecBase, parameter: str, template: str) -> str:
        """A template's value as text: a string, or a number written out; anything else is an error."""
        return self.as_text(spec, parameter, self.render(spec, parameter, template))

    def as_text(self, spec: MetricSpecBase, parameter: str, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise InvalidInputError(
            f"metric {spec.name!r}: parameter {parameter!r} gave {type(value).__name__} {value!r} for row "
            f"{self.row_id!r}, where text is needed; select a text field or use the `tojson` filter"
        )

    def fail(self, spec: MetricSpecBase, parameter: str, problem: str) -> InvalidInputError:
        """An error about this row's value of a parameter."""
        return InvalidInputError(f"metric {spec.name!r}: parameter {parameter!r} for row {self.row_id!r}: {problem}")
