"""The run spec: what a data scientist pushes to git to ask for a fine-tuning run.

Unknown fields are rejected; errors name the file, line and field. The canonical JSON of a
validated spec is hashed: the hash names the run, so an unchanged spec is not run twice.

The schema is also the single source of the pipeline's workflow parameters
(`workflows/parameters.py` generates them): every field that reaches a step carries a `Param`
with the parameter's name (the step input that receives it has the same name), its description
is the parameter's description, its default (or, for a required field, its first example) the
parameter's default, and its Literal or bool type the parameter's enum.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, model_validator

from steps.errors import InvalidInputError
from steps.io import PRODUCTION_LOGS, DatasetFormat, Platform
from steps.logic.augmentation import AugmentationSection
from steps.logic.candidates import Candidate, CandidateProblem, CandidatesSection, resolve
from steps.logic.curation import CurationSection
from steps.logic.field_paths import dotted
from steps.logic.metrics import TYPES
from workflows import benchmark_check, spec_files
from workflows.runspec_evaluation import Benchmarks, BusinessEval, Gate, check_business_regressions
from workflows.runspec_fields import KEY_PATTERN, NAME_PATTERN, Param, Strict, conflict
from workflows.yaml_lines import line_of

# Added after specs were hashed: absent from the hash while at their default (a spec keeps its hash and run)
UNHASHED_AT_DEFAULT = (
    "platform",
    "gate.gain_rule",
    "gate.regression_rule",
    "gate.confidence",
    "gate.min_gain_over_champion",
    "gate.max_business_regression",
    "candidates",
    "dataset.curation",
    "dataset.augmentation",
)


class Split(Strict):
    validation: Annotated[float, Param("validation_fraction")] = Field(
        0.1, ge=0, lt=1, description="Share of groups for validation"
    )
    test: Annotated[float, Param("test_fraction")] = Field(
        0.2,
        ge=0,
        lt=1,
        description="Share of groups held out for testing; 0 with a test source "
        "(in a run spec: leave dataset.split.test out)",
    )
    seed: Annotated[int, Param("split_seed")] = Field(0, description="Seed of the deterministic split")


class Dataset(Strict):
    source: Annotated[str, Param("dataset_source")] = Field(
        description="Raw records: a JSONL path relative to the project, or a file:// URI",
        examples=["examples/bill-explainer/bills.jsonl"],
    )
    test_source: Annotated[str, Param("dataset_test_source")] = Field(
        "",
        description="Raw records of other groups (same layout; JSONL path or file:// URI) used as the "
        "whole test split, with a test share of 0; empty: the test split is drawn from the source",
    )
    format: Annotated[DatasetFormat, Param("dataset_format")] = Field(
        "openai-chat",
        description="Layout of the raw rows, converted to OpenAI chat records: openai-chat, prompt-completion, "
        "the billing example's bill-json / bill-reason, xlam / xlam-tutorial, or production-logs "
        "(OpenAI chat-completion logs, curated by dataset.curation: docs/curation.md)",
    )
    group_by: Annotated[str, Param("dataset_group_by")] = Field(
        "",
        pattern=r"^([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$",
        description="Dotted field of a raw row (e.g. customer.account_id): rows with the same value stay in one "
        "split; empty: every row is its own group",
    )
    namespace: Annotated[str, Param("dataset_namespace")] = Field(
        "llmops", pattern=NAME_PATTERN, description="Datastore namespace"
    )
    name: Annotated[str, Param("dataset_name")] = Field(
        pattern=NAME_PATTERN, description="Dataset name in the datastore", examples=["telecom-bills"]
    )
    split: Split = Split()
    curation: Annotated[CurationSection | None, Param("dataset_curation")] = Field(
        None,
        description="Curation rules of format production-logs, as a JSON object (feedback kept, reference "
        "disagreement, per-intent sampling, on_invalid; docs/curation.md); empty: the defaults",
    )
    augmentation: Annotated[AugmentationSection | None, Param("dataset_augmentation")] = Field(
        None,
        description="Paraphrases of the training rows written by a chat model, labelled synthetic and kept out "
        "of validation and testing, as a JSON object (docs/curation.md); empty: none",
    )

    @model_validator(mode="after")
    def _curation(self) -> Dataset:
        """Curation is production-logs' (its defaults written out, so they are hashed); its split is dataset.split."""
        if self.format != PRODUCTION_LOGS:
            if self.curation is not None:
                raise conflict("curation", f"only used with format {PRODUCTION_LOGS}; remove it or change format")
            return self
        for name, value in (("test_source", self.test_source), ("group_by", self.group_by)):
            if value:
                raise conflict(
                    name, f"not used with format {PRODUCTION_LOGS} (curation splits the logs by intent); remove it"
                )
        if self.curation is None:
            self.curation = CurationSection()
        try:
            self.curation.rules(self.split.validation, self.split.test, self.split.seed)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            if not first["loc"]:  # the fractions together
                raise conflict(
                    "split.validation",
                    f"validation + test must be below 1 to leave training rows, "
                    f"got {self.split.validation} + {self.split.test}",
                ) from None
            field = {"validation_fraction": "validation", "test_fraction": "test"}.get(str(first["loc"][0]), "seed")
            raise conflict(f"split.{field}", first["msg"]) from None
        return self

    @model_validator(mode="after")
    def _test_split(self) -> Dataset:
        """With test_source the test share of source is 0: split.test left out (or 0), stored as 0."""
        if self.test_source:
            if self.split.test != 0 and "test" in self.split.model_fields_set:
                raise conflict(
                    "split.test",
                    "not used with dataset.test_source (the whole test source is the test split); "
                    "remove split.test or set it to 0",
                )
            if self.split.test != 0:
                self.split = self.split.model_copy(update={"test": 0.0})
        elif self.split.test == 0:
            raise conflict(
                "split.test",
                "must be greater than 0 (0 only with dataset.test_source, which then provides the test split)",
            )
        return self


class Lora(Strict):
    rank: Annotated[int, Param("lora_rank")] = Field(8, ge=1, le=256, description="LoRA rank (adapter_dim)")
    alpha: Annotated[int, Param("lora_alpha")] = Field(16, ge=1, description="LoRA alpha")
    dropout: Annotated[float, Param("lora_dropout")] = Field(0.0, ge=0, lt=1, description="LoRA dropout")


class Customization(Strict):
    output_model: Annotated[str | None, Param("output_model", or_field="name")] = Field(
        None, pattern=NAME_PATTERN, description="Adapter name; default: the run spec name"
    )
    lora: Lora = Lora()
    epochs: Annotated[int, Param("epochs")] = Field(1, ge=1, le=100, description="Training epochs")
    learning_rate: Annotated[float, Param("learning_rate")] = Field(3e-3, gt=0, le=1, description="Peak learning rate")
    batch_size: Annotated[int, Param("batch_size")] = Field(8, ge=1, le=1024, description="Batch size")
    max_steps: Annotated[int, Param("max_steps")] = Field(0, ge=0, description="Cap on training steps (0 = no cap)")
    seed: Annotated[int, Param("train_seed")] = Field(0, description="Training seed")


class Approval(Strict):
    required: Annotated[bool, Param("require_approval")] = Field(
        False, description="Wait for a person to approve the release in the Argo UI"
    )


class Release(Strict):
    registered_model_name: Annotated[str | None, Param("registered_model_name", or_field="name")] = Field(
        None,
        pattern=KEY_PATTERN,
        description="MLflow registered model that gets the champion alias; default: the run spec name",
    )


class Guardrails(Strict):
    check: Annotated[bool, Param("guardrails_check")] = Field(
        False, description="After rollout, check the adapter's answers with guardrails"
    )
    limit: Annotated[int, Param("guardrails_limit")] = Field(
        10, ge=1, description="Test prompts the guardrails check probes"
    )


class Tracking(Strict):
    experiment: Annotated[str, Param("experiment")] = Field("llmops", description="MLflow experiment")


class RunSpec(Strict):
    """A run spec. Field order is the order of the workflow parameters (the Argo UI form)."""

    name: Annotated[str, Param("run_spec_name")] = Field(
        pattern=NAME_PATTERN,
        max_length=40,
        description="Run spec name (git: workflows/runs/<name>.yaml)",
        examples=["manual"],
    )
    description: str = ""  # for people; not a workflow parameter
    tracking: Tracking = Tracking()
    platform: Annotated[Platform | None, Param("platform")] = Field(
        None,
        description="Platform the run needs (local or nemo); the run is refused where another one is "
        "configured. Empty: the one the environment is configured with (LLMOPS_PLATFORM)",
    )
    base_model: Annotated[str, Param("base_model")] = Field(
        description="Base model id, e.g. llmops/tiny-llama or meta/llama-3.2-1b-instruct",
        examples=["llmops/tiny-llama"],
    )
    dataset: Dataset
    customization: Customization = Customization()
    candidates: Annotated[CandidatesSection | None, Param("candidates")] = Field(
        None,
        description="Several candidates instead of one: variants (each overriding some customization "
        "settings or the base model) and a grid (every combination of the listed values), as a JSON object; "
        "empty: one candidate, the run spec's settings",
    )
    benchmarks: Benchmarks = Benchmarks()
    business_eval: BusinessEval = BusinessEval()
    gate: Gate = Gate()
    approval: Approval = Approval()
    release: Release = Release()
    guardrails: Guardrails = Guardrails()

    @model_validator(mode="after")
    def _candidates(self) -> RunSpec:
        try:
            self.candidate_list()
        except CandidateProblem as problem:
            raise conflict(".".join(map(str, ("candidates", *problem.loc))), problem.message) from None
        return self

    @model_validator(mode="after")
    def _business_regressions(self) -> RunSpec:
        check_business_regressions(self.business_eval, self.gate)
        return self

    def run_candidate(self) -> Candidate:
        """The run spec's own settings as a candidate (the only one without a candidates section)."""
        c = self.customization
        return Candidate(
            name="",
            base_model=self.base_model,
            output_model=c.output_model or self.name,
            lora_rank=c.lora.rank,
            lora_alpha=c.lora.alpha,
            lora_dropout=c.lora.dropout,
            epochs=c.epochs,
            learning_rate=c.learning_rate,
            batch_size=c.batch_size,
            max_steps=c.max_steps,
            train_seed=c.seed,
        )

    def candidate_list(self) -> list[Candidate]:
        return resolve(self.run_candidate(), self.candidates)

    def canonical(self) -> dict:
        """The spec as hashed: every field, except the UNHASHED_AT_DEFAULT ones while at their default."""
        data = self.model_dump(mode="json")
        for hashed_field in UNHASHED_AT_DEFAULT:
            *sections, leaf = hashed_field.split(".")
            node, model = data, type(self)
            for section in sections:  # a section's annotation is its model
                node, model = node[section], model.model_fields[section].annotation  # type: ignore[assignment]
            if node[leaf] == model.model_fields[leaf].get_default(call_default_factory=True):
                del node[leaf]
        return data

    def spec_hash(self) -> str:
        canonical = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def workflow_name(self) -> str:
        return f"{self.name}-{self.spec_hash()[:8]}"


def load(path: Path) -> RunSpec:
    path = Path(path)
    data, tree = spec_files.read(path, "run spec", "name, base_model, dataset")
    try:
        spec = RunSpec.model_validate(data)
    except ValidationError as exc:
        problems = spec_files.problems(path, tree, exc, tags=TYPES)  # a metric's type tag is no field of the file
    else:
        found = benchmark_check.problems(spec.benchmarks, spec.gate)  # the names, against lm-eval's registry
        problems = [f"{path}:{line_of(tree, loc)}: {dotted(loc)}: {msg}" for loc, msg in found]
    if problems:
        raise InvalidInputError("invalid run spec\n  " + "\n  ".join(problems)) from None
    return spec
