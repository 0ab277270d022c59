"""Port contracts: one `typing.Protocol` per port, the value types the ports exchange, the dataset layout.

Steps reach the outside only through these ports; every backend (`steps/local/`, `steps/nemo/`, `steps/nmp/`)
implements each of them, imports from here (never from another backend) and is assembled by the registry in
`steps/platforms.py`; `tests/unit/test_port_contracts.py` checks every backend against every Protocol:

| datastore       | stores a dataset as an immutable, content-addressed revision          |
| entity registry | records datasets and models under a namespace                         |
| customizer      | trains (or finds) a LoRA adapter for a base model and a dataset       |
| deployer        | serves the base model, makes an adapter servable next to it           |
| inference       | an OpenAI-shaped chat model for a base model or an adapter            |
| evaluator       | scores one regression benchmark on one model                          |
| guardrails      | rails around a released adapter, and checks of conversations          |
| tracker         | the run's record: one parent run per workflow, one child per step     |
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from steps.logic.item_scores import ItemValue

# -- dataset layout (what prepare-data writes, what training and evaluation read) ------------------
TRAINING_FILE = "training/training.jsonl"
VALIDATION_FILE = "validation/validation.jsonl"
TESTING_FILE = "testing/testing.jsonl"
SPLIT_FILES = {"training": TRAINING_FILE, "validation": VALIDATION_FILE, "testing": TESTING_FILE}

BENCHMARKS = ("gsm8k", "squad", "triviaqa")  # built in (smoke sets); any other name is an lm-eval task


# -- value types -----------------------------------------------------------------------------------
class DatasetRef(BaseModel):
    namespace: str
    name: str
    revision: str
    uri: str
    files: list[str]
    created: bool  # False when the same content was already stored


class LoraHyperparameters(BaseModel):
    """What a customization job trains with, on every platform (backends map the names they speak)."""

    model_config = ConfigDict(extra="forbid")
    rank: int = Field(8, ge=1)
    # A whole alpha stays an int: it is part of the NeMo job's content key, which must not change.
    alpha: int | float = Field(16, gt=0)
    dropout: float = Field(0.0, ge=0, lt=1)
    epochs: int = Field(1, ge=1)
    learning_rate: float = Field(3e-3, gt=0)
    batch_size: int = Field(8, ge=1)
    max_steps: int | None = Field(None, ge=1, description="None = no cap")
    seed: int = 0


class CustomizationJob(BaseModel):
    job_id: str
    adapter_id: str
    status: str  # created | running | completed | failed
    base_model: str
    dataset_uri: str
    hyperparameters: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None


def job_key(base_model: str, dataset_uri: str, hyperparameters: dict[str, Any]) -> str:
    """The content key of a customization job: same base, data and hyperparameters -> same job."""
    payload = json.dumps([base_model, dataset_uri, hyperparameters], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


class Deployment(BaseModel):
    model_id: str
    model_key: str  # names the exact weights; safe as an Argo memoization key ([-._a-zA-Z0-9]+)
    endpoint: str
    path: str


class BenchmarkScore(BaseModel):
    """A score with the number of items behind it and its standard error (None when unknown).

    `items`: the per-item values whose mean is the score (what a paired comparison of base and
    candidate needs), None where the backend does not report them.
    """

    benchmark: str
    metric: str
    score: float
    stderr: float | None
    n: int
    metrics: dict[str, float]
    samples_file: str | None
    items: list[ItemValue] | None = None


class GuardrailConfigRef(BaseModel):
    config_id: str  # `<namespace>/<name>`, what checks name
    namespace: str
    name: str
    model: str
    action: Literal["created", "updated", "unchanged"]


class GuardrailCheck(BaseModel):
    config_id: str
    model: str
    status: Literal["success", "blocked", "unknown"]
    allowed: bool  # status == success
    rails: dict[str, str]  # rail -> its status


MetricsCallback = Callable[[int, dict[str, float]], None]


# -- ports -----------------------------------------------------------------------------------------
@runtime_checkable
class Datastore(Protocol):
    def put_dataset(self, namespace: str, name: str, files: dict[str, bytes]) -> DatasetRef: ...

    def resolve(self, uri: str) -> Path: ...

    def read_jsonl(self, uri: str, relpath: str) -> list[dict[str, Any]]: ...

    def list_revisions(self, namespace: str, name: str) -> list[str]: ...


@runtime_checkable
class EntityRegistry(Protocol):
    def ensure_namespace(self, namespace: str) -> bool: ...

    def ensure_dataset(self, namespace: str, name: str, files_url: str, description: str = "") -> bool: ...

    def get_model(self, model_id: str) -> Any | None: ...


@runtime_checkable
class Customizer(Protocol):
    def run(
        self,
        output_model: str,
        base_model: str,
        dataset_uri: str,
        hyperparameters: LoraHyperparameters,
        on_metrics: MetricsCallback | None = None,
    ) -> CustomizationJob: ...

    def adapter_files(self, adapter_id: str) -> Path | None:
        """The adapter's weights as files (rollout logs them to MLflow); None where they stay remote."""
        ...

    def adapter_uri(self, adapter_id: str) -> str: ...


@runtime_checkable
class Deployer(Protocol):
    def ensure_base(self, base_model: str) -> Deployment: ...

    def serve_adapter(self, base_model: str, adapter_id: str) -> bool: ...

    def release_adapter(self, base_model: str, adapter_id: str) -> bool:
        """Serve `adapter_id` as the release of `base_model` (rollout, rollback); False if it already was."""
        ...

    def released_adapter(self, base_model: str) -> str | None:
        """The adapter served as the release of `base_model` (None: none recorded)."""
        ...


@runtime_checkable
class ChatModel(Protocol):
    """OpenAI-shaped: `create` returns a `chat.completion` (tool calls in `message.tool_calls`), `models` a list."""

    model_id: str

    def models(self) -> dict[str, Any]: ...

    def create(
        self,
        messages: list[dict[str, Any]],
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]: ...

    def create_batch(
        self,
        conversations: list[list[dict[str, Any]]],
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        batch_size: int = 16,
        seed: int | None = None,
        tools: list[list[dict[str, Any]] | None] | None = None,
    ) -> list[dict[str, Any]]: ...


@runtime_checkable
class Inference(Protocol):
    def chat_model(self, base_model: str, adapter_id: str = "") -> ChatModel:
        """A chat model for the base model, or the base model plus an adapter, once it is servable."""
        ...


@runtime_checkable
class Evaluator(Protocol):
    def run_benchmark(
        self,
        benchmark: str,
        data: str,
        base_model: str,
        adapter_id: str,
        limit: int | None,
        output_dir: Path,
        num_fewshot: int | None = None,
    ) -> BenchmarkScore: ...


@runtime_checkable
class Guardrails(Protocol):
    def ensure_config(self, adapter_id: str) -> GuardrailConfigRef: ...

    def check(
        self, adapter_id: str, messages: list[dict[str, Any]], config_id: str | None = None
    ) -> GuardrailCheck: ...

    def guard(self, adapter_id: str, messages: list[dict[str, Any]]) -> GuardrailCheck: ...


@runtime_checkable
class Tracker(Protocol):
    def open_parent(self, experiment: str, run_name: str, workflow_uid: str, tags: dict[str, str]) -> str: ...

    def find_parent(self, workflow_uid: str) -> str | None: ...

    def step_run(
        self, parent_run_id: str, step: str, tags: dict[str, str] | None = None
    ) -> AbstractContextManager[Any]: ...

    def set_parent_tags(self, parent_run_id: str, tags: dict[str, str]) -> None: ...

    def log_parent_metrics(self, parent_run_id: str, metrics: dict[str, float]) -> None: ...

    def log_parent_params(self, parent_run_id: str, params: dict[str, object]) -> dict[str, str]: ...

    def log_dataset_inputs(self, parent_run_id: str, ref: DatasetRef, counts: dict[str, int]) -> list[str]: ...

    def log_adapter_model(
        self,
        parent_run_id: str,
        adapter_id: str,
        name: str,
        files: Path | None,
        tags: dict[str, str],
        params: dict[str, object] | None = None,
    ) -> Any: ...

    def close_parent(self, parent_run_id: str, workflow_status: str) -> str: ...

    def children(self, parent_run_id: str) -> list[Any]: ...
    def reused(self, parent_run_id: str) -> list[Any]: ...  # runs of memoized results (steps.reused_runs)
    def client(self) -> Any: ...


PORTS: dict[str, type] = {
    "datastore": Datastore,
    "entity_registry": EntityRegistry,
    "customizer": Customizer,
    "deployer": Deployer,
    "inference": Inference,
    "evaluator": Evaluator,
    "guardrails": Guardrails,
    "tracker": Tracker,
}


class Platform(Protocol):
    """A backend: every port (built on first use, dependencies injected); the versions it talks to, as tags."""

    name: str
    datastore: Datastore
    entity_registry: EntityRegistry
    customizer: Customizer
    deployer: Deployer
    inference: Inference
    evaluator: Evaluator
    guardrails: Guardrails
    tracker: Tracker

    def version_tags(self) -> dict[str, str]: ...
