"""The building blocks of the run-spec schema: the workflow-parameter mark, strict sections, shared patterns."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
HEADLINE_PATTERN = r"^([a-z][a-z0-9_-]*\.[A-Za-z0-9_.-]+)?$"
CONFLICT = "field_conflict"


@dataclass(frozen=True)
class Param:
    """Marks a run-spec field as the workflow parameter `name` (the name its step input has too).

    `or_field`: a top-level field whose value the parameter takes while this one is unset (None).
    """

    name: str
    or_field: str | None = None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def conflict(field: str, message: str) -> PydanticCustomError:
    """A cross-field error, reported at `field` (dotted, below the model whose validator raises it)."""
    return PydanticCustomError(CONFLICT, message, {"field": field})
