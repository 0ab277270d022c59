"""What step inputs share (Hera runner contract: pydantic Input/Output models).

The closed sets a step input takes are typed here once; the run-spec schema (`workflows/runspec.py`)
uses the same types, so a value the run spec accepts is one the step accepts, and the workflow
parameter's enum is derived from the same type. A benchmark is an open set: a name (the built-in
smoke sets or any lm-evaluation-harness task, `steps.benchmark_names`) whose characters an Argo
memoization key allows (the few lm-eval names with parentheses are out).
"""

from typing import Annotated, Literal, get_args

from hera.workflows import Input, Parameter
from pydantic import StringConstraints

from steps.logic.gate_policy import Rule

DatasetFormat = Literal[
    "openai-chat", "prompt-completion", "bill-json", "bill-reason", "xlam", "xlam-tutorial", "production-logs"
]  # dataset_formats.ALL_FORMATS
PRODUCTION_LOGS = "production-logs"  # the format that is curated (steps.curated_source), not converted row by row
BENCHMARK_PATTERN = r"^[A-Za-z0-9][-._A-Za-z0-9]*$"
Benchmark = Annotated[str, StringConstraints(pattern=BENCHMARK_PATTERN, max_length=120)]
Platform = Literal["local", "nemo", "nemo-platform"]  # the backends of steps.platforms.BACKENDS
Target = Literal["base", "candidate", "champion"]  # the model an evaluation scores
GateRule = Rule  # what must clear a gate threshold: the point delta or the interval's lower bound
# Why a run started: submitted from the Argo UI, a run spec in git, a flywheel's schedule or new-data event, drift
Trigger = Literal["manual", "git", "schedule", "new-data", "drift"]


def choices(closed_set: object) -> list[str]:
    """The values of a Literal type, for a Parameter's enum (the Argo UI's drop-down)."""
    return [str(value) for value in get_args(closed_set)]


class TrackedInput(Input):
    """Inputs of a step that logs into the workflow's MLflow parent run."""

    mlflow_run_id: Annotated[str, Parameter(description="MLflow parent run of this workflow (output of open-run)")]


# The role a scored model plays: not part of an evaluation's memoization key (a score does not depend on it), so
# a champion that was an earlier run's candidate reuses its evaluations; a reused result keeps that role's labels.
ROLE_FIELDS = frozenset({"target", "candidate"})


class ScoredModel(Input):
    """Which model an evaluation scores, as its result names it (the gate joins results on it); every field but
    the role (ROLE_FIELDS) is part of an evaluation's memoization key (`steps.benchmark_keys`,
    `steps.business_eval_key`)."""

    target: Annotated[Target, Parameter(description="Which model is scored", enum=choices(Target))]
    base_model: Annotated[str, Parameter(description="Base model id")]
    model_key: Annotated[str, Parameter(description="Exact base weights (from deploy-base); part of the cache key")]
    adapter_id: Annotated[str, Parameter(description="Adapter id; empty for the base model")] = ""
    candidate: Annotated[str, Parameter(description="Candidate name (target candidate of a run with several)")] = ""


class CustomizationSettings(Input):
    """What a LoRA customization trains with, under the workflow parameters' names (the run spec owns the
    defaults: `customization.*` of an empty run spec). Step open-run receives the run's own settings;
    step customize those of one candidate."""

    output_model: Annotated[str, Parameter(description="Name of the adapter to produce")]
    lora_rank: Annotated[int, Parameter(description="LoRA rank (adapter_dim)")]
    lora_alpha: Annotated[int, Parameter(description="LoRA alpha")]
    lora_dropout: Annotated[float, Parameter(description="LoRA dropout")]
    epochs: Annotated[int, Parameter(description="Training epochs")]
    learning_rate: Annotated[float, Parameter(description="Peak learning rate")]
    batch_size: Annotated[int, Parameter(description="Batch size")]
    max_steps: Annotated[int, Parameter(description="Stop after this many steps (0 = no cap)")]
    train_seed: Annotated[int, Parameter(description="Training seed")]
