"""The run spec: what a data scientist pushes to git to ask for a fine-tuning run.

Unknown fields are rejected; errors name the file, line and field. The canonical JSON of a
validated spec is hashed: the hash names the run, so an unchanged spec is not run twice.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from steps.errors import InvalidInputError, NotFoundError

NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
KEY_PATTERN = r"^[-._a-zA-Z0-9]+$"
METRIC_PATTERN = r"^([a-z][a-z0-9_]*)?$"
CONFLICT = "field_conflict"
Benchmark = Literal["gsm8k", "squad", "triviaqa"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _conflict(field: str, message: str) -> PydanticCustomError:
    """A cross-field error, reported at `field` (dotted, below the model whose validator raises it)."""
    return PydanticCustomError(CONFLICT, message, {"field": field})


class Split(Strict):
    validation: float = Field(0.1, ge=0, lt=1, description="Share of customers for validation")
    test: float = Field(
        0.2, ge=0, lt=1, description="Share of customers held out for testing; 0 (or left out) with dataset.test_source"
    )
    seed: int = 0


class Dataset(Strict):
    source: str = Field(description="JSONL path relative to the project, or a file:// URI")
    test_source: str = Field(
        "", description="Optional JSONL of other customers (same layout) used as the whole test split; "
                        "empty: the test split is drawn from source"
    )
    task: Literal["bill-json", "bill-reason", "chat"] = "bill-json"
    namespace: str = Field("llmops", pattern=NAME_PATTERN)
    name: str = Field(pattern=NAME_PATTERN)
    split: Split = Split()

    @model_validator(mode="after")
    def _test_split(self) -> "Dataset":
        """With test_source the test share of source is 0: split.test left out (or 0), stored as 0."""
        if self.test_source:
            if self.split.test != 0 and "test" in self.split.model_fields_set:
                raise _conflict(
                    "split.test",
                    "not used with dataset.test_source (the whole test source is the test split); "
                    "remove split.test or set it to 0",
                )
            if self.split.test != 0:
                self.split = self.split.model_copy(update={"test": 0.0})
        elif self.split.test == 0:
            raise _conflict(
                "split.test",
                "must be greater than 0 (0 only with dataset.test_source, which then provides the test split)",
            )
        return self


class Lora(Strict):
    rank: int = Field(8, ge=1, le=256)
    alpha: int = Field(16, ge=1)
    dropout: float = Field(0.0, ge=0, lt=1)


class Customization(Strict):
    output_model: str | None = Field(None, pattern=NAME_PATTERN, description="Adapter name; default: run spec name")
    lora: Lora = Lora()
    epochs: int = Field(1, ge=1, le=100)
    learning_rate: float = Field(3e-3, gt=0, le=1)
    batch_size: int = Field(8, ge=1, le=1024)
    max_steps: int = Field(0, ge=0, description="0 = no cap")
    seed: int = 0


class Benchmarks(Strict):
    suites: list[Benchmark] = Field(default_factory=lambda: ["gsm8k", "squad", "triviaqa"], min_length=1)
    limit: int = Field(50, ge=0, description="Items per benchmark (0 = all)")
    data: str = Field("smoke", pattern=KEY_PATTERN, description="'smoke' or a data set name in the workspace")
    num_fewshot: int = Field(-1, ge=-1, description="-1 = the task's default")

    @field_validator("suites")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("benchmark suites must not repeat")
        return value


class BusinessEval(Strict):
    limit: int = Field(0, ge=0, description="Test rows to score (0 = all)")
    max_tokens: int = Field(64, ge=1, le=4096)
    headline: str = Field(
        "", pattern=METRIC_PATTERN,
        description="Business metric the gate compares (e.g. all_fields_exact); empty: the task's default. "
                    "The business-eval step checks that the task computes it",
    )


class Gate(Strict):
    min_business_gain: float = Field(0.0, ge=-1, le=1)
    max_regression: float = Field(0.05, ge=0, le=1)
    max_regression_per_benchmark: dict[Benchmark, float] = Field(default_factory=dict)
    min_samples: int = Field(20, ge=1)


class Approval(Strict):
    required: bool = False


class Release(Strict):
    registered_model_name: str | None = Field(None, pattern=KEY_PATTERN, description="Default: run spec name")


class Guardrails(Strict):
    check: bool = Field(False, description="After rollout, check the adapter's answers with guardrails")
    limit: int = Field(10, ge=1, description="Test prompts to probe")


class Tracking(Strict):
    experiment: str = "llmops"


class RunSpec(Strict):
    name: str = Field(pattern=NAME_PATTERN, max_length=40)
    description: str = ""
    base_model: str = Field(description="Base model id, e.g. llmops/tiny-llama or meta/llama-3.2-1b-instruct")
    dataset: Dataset
    customization: Customization = Customization()
    benchmarks: Benchmarks = Benchmarks()
    business_eval: BusinessEval = BusinessEval()
    gate: Gate = Gate()
    approval: Approval = Approval()
    release: Release = Release()
    guardrails: Guardrails = Guardrails()
    tracking: Tracking = Tracking()

    def spec_hash(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def workflow_name(self) -> str:
        return f"{self.name}-{self.spec_hash()[:8]}"


def _line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """Line (1-based) of the deepest YAML node along a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                key = next((k for k, _ in node.value if k.value == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load(path: Path) -> RunSpec:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: run spec not found")
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
        tree = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InvalidInputError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path}: a run spec is a YAML mapping (name, base_model, dataset, ...)")
    try:
        return RunSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            if err["type"] == CONFLICT:
                loc += tuple(err["ctx"]["field"].split("."))
            field = ".".join(str(p) for p in loc) or "(root)"
            message = "unknown field; remove it or fix its spelling" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{path}:{_line_of(tree, loc)}: {field}: {message}")
        raise InvalidInputError("invalid run spec\n  " + "\n  ".join(problems)) from None
