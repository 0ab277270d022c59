"""Step prepare-data: validate, anonymise, convert, split and upload a dataset (content-addressed).

Every row is validated before anything is written: a bad row fails the step with file, line and
field, and nothing is uploaded or registered. The same input gives the same dataset revision.
"""

import json
from pathlib import Path
from typing import Annotated, Literal

from hera.workflows import Output, Parameter

from steps import ports, settings, tracking
from steps.errors import InvalidInputError, PlatformNotAvailableError
from steps.io import TrackedInput
from steps.logic import anonymize, formats, records, splits


class PrepareDataInput(TrackedInput):
    source: Annotated[
        str, Parameter(description="Raw records: a JSONL path (relative to the project) or file:// URI")
    ]
    task: Annotated[
        Literal["bill-json", "chat"],
        Parameter(description="Record layout and conversion", enum=["bill-json", "chat"]),
    ] = "bill-json"
    namespace: Annotated[str, Parameter(description="Datastore namespace")] = "llmops"
    dataset_name: Annotated[str, Parameter(description="Dataset name in the datastore")]
    validation_fraction: Annotated[float, Parameter(description="Share of groups for validation")] = 0.1
    test_fraction: Annotated[float, Parameter(description="Share of groups held out for testing")] = 0.2
    split_seed: Annotated[int, Parameter(description="Seed of the deterministic split")] = 0


class PrepareDataOutput(Output):
    dataset_uri: Annotated[str, Parameter(name="dataset_uri", description="Uploaded dataset revision")]
    dataset_revision: Annotated[str, Parameter(name="dataset_revision", description="Content hash")]
    counts: Annotated[str, Parameter(name="counts", description="JSON rows per split")]


def resolve_source(source: str) -> Path:
    """A local path for a dataset source; remote schemes are not supported on this platform yet."""
    if source.startswith("file://"):
        source = source[len("file://") :]
    elif "://" in source:
        scheme = source.split("://", 1)[0]
        raise PlatformNotAvailableError(
            f"dataset source {source!r}: the {scheme}:// scheme is not supported yet; "
            "use a JSONL file path or a file:// URI"
        )
    path = Path(source)
    return path if path.is_absolute() else settings.project_dir() / path


def build_splits(path: Path, task: str, validation_fraction: float, test_fraction: float, seed: int):
    """Pure pipeline from a raw JSONL file to the three split files; raises before any upload."""
    rows = records.read_jsonl(path)
    if not rows:
        raise InvalidInputError(f"{path}: no records; the dataset needs at least 3 rows")
    valid = records.validate_records(rows, task, str(path))
    anonymised, pii = [], {}
    for record in valid:
        clean, counts = anonymize.anonymize_record(record, task)
        anonymised.append(clean)
        for kind, n in counts.items():
            pii[kind] = pii.get(kind, 0) + n
    parts = splits.split_records(
        anonymised, formats.group_key(task), validation_fraction, test_fraction, seed
    )
    files = {
        "training/training.jsonl": [formats.to_training_example(r, task) for r in parts["training"]],
        "validation/validation.jsonl": [formats.to_training_example(r, task) for r in parts["validation"]],
        "testing/testing.jsonl": [formats.to_evaluation_example(r, task) for r in parts["testing"]],
    }
    return files, pii


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode()


def prepare_data(inputs: PrepareDataInput) -> PrepareDataOutput:
    path = resolve_source(inputs.source)
    files, pii = build_splits(
        path, inputs.task, inputs.validation_fraction, inputs.test_fraction, inputs.split_seed
    )
    counts = {name.split("/")[0]: len(rows) for name, rows in files.items()}
    with tracking.step_run(inputs.mlflow_run_id, "prepare-data") as mlflow:
        ref = ports.datastore().put_dataset(
            inputs.namespace, inputs.dataset_name, {k: _jsonl(v) for k, v in files.items()}
        )
        mlflow.log_params({"source": inputs.source, "task": inputs.task, "split_seed": inputs.split_seed})
        mlflow.log_metrics({f"rows_{k}": v for k, v in counts.items()})
        mlflow.log_metrics({f"pii_replaced_{k}": v for k, v in pii.items()})
        mlflow.set_tags({"dataset.uri": ref.uri, "dataset.revision": ref.revision})
        mlflow.log_dict(files["testing/testing.jsonl"][:5], "samples/testing_head.json")
    tracking.set_parent_tags(
        inputs.mlflow_run_id, {"llmops.dataset_revision": ref.revision, "llmops.dataset_uri": ref.uri}
    )
    print(f"dataset {ref.uri} ({'uploaded' if ref.created else 'already present'}): {counts}")
    return PrepareDataOutput(
        dataset_uri=ref.uri, dataset_revision=ref.revision, counts=json.dumps(counts, sort_keys=True)
    )
