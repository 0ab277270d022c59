"""Step prepare-data: validate, anonymise, convert, split and upload a dataset (content-addressed).

Every row is validated before anything is written: a bad row fails the step with file, line and
field, and nothing is uploaded or registered. The same input gives the same dataset revision.
Production logs (format production-logs) are curated instead (`steps.curated_source`), and the
curation report is logged with the dataset. With `dataset_augmentation` the training split gains paraphrases
written by a chat model (`steps.augmented_source`), generated before anything is written.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from hera.workflows import Output, Parameter

from steps import augmented_source, curated_source, dataset_splits, platforms, settings
from steps.contracts import TESTING_FILE
from steps.errors import InvalidInputError, PlatformNotAvailableError
from steps.io import PRODUCTION_LOGS, DatasetFormat, TrackedInput, choices
from steps.logic import anonymize, chat_records, dataset_formats, records, splits
from steps.logic.chat_records import ChatRecord
from steps.logic.curation import CurationReport, CurationSection


class PrepareDataInput(TrackedInput):
    """Every value comes from the run spec, which owns the defaults (an empty section's values)."""

    dataset_source: Annotated[
        str, Parameter(description="Raw records: a JSONL path (relative to the project) or file:// URI")
    ]
    dataset_format: Annotated[
        DatasetFormat,
        Parameter(description="Layout of the raw rows (converted to chat records)", enum=choices(DatasetFormat)),
    ]
    dataset_group_by: Annotated[
        str, Parameter(description="Dotted field of a raw row whose rows stay in one split; empty: each row alone")
    ]
    dataset_namespace: Annotated[str, Parameter(description="Datastore namespace")]
    dataset_name: Annotated[str, Parameter(description="Dataset name in the datastore")]
    validation_fraction: Annotated[float, Parameter(description="Share of groups for validation")]
    test_fraction: Annotated[
        float, Parameter(description="Share of groups held out for testing; 0 when dataset_test_source is set")
    ]
    dataset_test_source: Annotated[
        str,
        Parameter(
            description="Raw records used as the whole test split (customers not in dataset_source); "
            "empty: test rows are drawn from dataset_source"
        ),
    ]
    split_seed: Annotated[int, Parameter(description="Seed of the deterministic split")]
    dataset_curation: Annotated[
        str,
        Parameter(
            description="JSON curation rules of format production-logs (the run spec's dataset.curation); "
            "empty: the defaults"
        ),
    ]
    dataset_augmentation: Annotated[
        str, Parameter(description="JSON paraphrases of the training rows (the run spec's dataset.augmentation)")
    ]


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


@dataclass(frozen=True)
class Prepared:
    """A dataset source read, converted to chat records and anonymised; each with its group key."""

    records: list[ChatRecord]
    groups: list[str]
    pii: dict[str, int]


def _load(path: Path, fmt: str, group_by: str, need: str) -> Prepared:
    """Validated, converted, anonymised records of one raw JSONL file, their groups and the PII replaced."""
    rows = records.read_jsonl(path)
    if not rows:
        raise InvalidInputError(f"{path}: no records; {need}")
    rows, left_out = dataset_formats.select_rows(rows, fmt)
    if left_out:
        why = ", ".join(f"{n} with {reason}" for reason, n in left_out.items())
        print(f"{path}: the {fmt} selection left out {sum(left_out.values())} row(s): {why}")
        if not rows:
            raise InvalidInputError(f"{path}: the {fmt} selection left no rows ({why}); {need}")
    converted = dataset_formats.convert_rows(rows, fmt, str(path))
    keys = dataset_formats.group_keys(converted, group_by, str(path))
    anonymised: list[ChatRecord] = []
    pii: dict[str, int] = {}
    for item in converted:
        clean, counts = anonymize.anonymize_record(item.record, item.names)
        anonymised.append(clean)
        for kind, n in counts.items():
            pii[kind] = pii.get(kind, 0) + n
    groups = [key if key is not None else chat_records.record_id(r) for key, r in zip(keys, anonymised, strict=True)]
    return Prepared(anonymised, groups, pii)


def _split(
    path: Path,
    keyed: list[tuple[ChatRecord, str]],
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    external_test: bool = False,
) -> dict[str, list[tuple[ChatRecord, str]]]:
    """`splits.split_records` of (record, group) pairs by group; its errors name the source file."""
    try:
        return splits.split_records(
            keyed, lambda pair: pair[1], validation_fraction, test_fraction, seed, external_test=external_test
        )
    except InvalidInputError as error:
        raise InvalidInputError(f"{path}: {error}") from None


def build_records(
    path: Path,
    fmt: str,
    group_by: str,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    test_path: Path | None = None,
) -> tuple[dict[str, list[ChatRecord]], dict[str, int]]:
    """Pure pipeline from raw JSONL to the records of the three splits; raises before any upload.

    Rows of one group (the value at `group_by`, or the record itself when it is empty) stay in one
    split. Without test_path, `path` is split into training, validation and testing. With test_path,
    `path` is split into training and validation only (test_fraction must be 0) and every record of
    test_path is the testing split; no group may occur in both files.
    """
    if test_path is None:
        source = _load(path, fmt, group_by, "the dataset needs at least 3 rows")
        keyed = list(zip(source.records, source.groups, strict=True))
        parts = _split(path, keyed, validation_fraction, test_fraction, seed)
        pii = source.pii
    else:
        if test_fraction != 0:
            raise InvalidInputError(
                f"test_fraction is {test_fraction}, but the test split is the whole test source {test_path}; "
                "set test_fraction to 0 (in a run spec: leave dataset.split.test out)"
            )
        source = _load(path, fmt, group_by, "with a test source the dataset needs at least 2 rows")
        test = _load(test_path, fmt, group_by, "the test source needs at least 1 row")
        splits.check_disjoint(str(path), str(test_path), group_by, set(source.groups), set(test.groups))
        keyed = list(zip(source.records, source.groups, strict=True))
        parts = _split(path, keyed, validation_fraction, 0.0, seed, external_test=True)
        parts["testing"] = list(zip(test.records, test.groups, strict=True))
        pii = {kind: source.pii.get(kind, 0) + test.pii.get(kind, 0) for kind in source.pii.keys() | test.pii.keys()}
    return {name: [record for record, _ in parts[name]] for name in ("training", "validation", "testing")}, pii


def build_splits(
    path: Path,
    fmt: str,
    group_by: str,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    test_path: Path | None = None,
) -> tuple[dict[str, list[dict]], dict[str, int]]:
    """The three split files of `build_records`."""
    parts, pii = build_records(path, fmt, group_by, validation_fraction, test_fraction, seed, test_path)
    return dataset_splits.split_files(parts), pii


def evaluation_rows(source: str, fmt: str) -> list[dict]:
    """Every row of a dataset source as the evaluation reads it (converted, anonymised, with its id)."""
    if fmt == PRODUCTION_LOGS:
        raise InvalidInputError(
            f"{source}: production logs are curated before they are scored; score the curated rows instead "
            "(the testing split prepare-data stored, or curated rows with a run spec of format openai-chat)"
        )
    path = resolve_source(source)
    return [chat_records.evaluation_row(r) for r in _load(path, fmt, "", "the data needs at least 1 row").records]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows).encode()


def prepare_records(
    source: str,
    fmt: str,
    group_by: str,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    test_source: str = "",
    curation: CurationSection | None = None,
) -> tuple[dict[str, list[ChatRecord]], dict[str, int], CurationReport | None]:
    """The records of each split of a dataset, the PII replaced and (production logs) the curation report,
    from its sources; raises before anything is written."""
    test_path = resolve_source(test_source) if test_source else None
    if fmt == PRODUCTION_LOGS:
        section = curation or CurationSection()
        path = resolve_source(source)
        parts, curated = curated_source.curated_records(
            path, section, validation_fraction, test_fraction, seed, group_by, test_path
        )
        return parts, curated.report.pii_replacements, curated.report
    return *build_records(
        resolve_source(source), fmt, group_by, validation_fraction, test_fraction, seed, test_path
    ), None


def prepare_splits(
    source: str,
    fmt: str,
    group_by: str,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    test_source: str = "",
    curation: CurationSection | None = None,
) -> tuple[dict[str, list[dict]], dict[str, int], CurationReport | None]:
    """The split files of `prepare_records` (before any augmentation): the one check of a dataset, which
    `llmops run` runs as a preflight."""
    parts, pii, report = prepare_records(
        source, fmt, group_by, validation_fraction, test_fraction, seed, test_source, curation
    )
    return dataset_splits.split_files(parts), pii, report


def prepare_data(inputs: PrepareDataInput) -> PrepareDataOutput:
    platform = platforms.build()
    augmentation = augmented_source.parse_section(inputs.dataset_augmentation)
    parts, pii, report = prepare_records(
        inputs.dataset_source,
        inputs.dataset_format,
        inputs.dataset_group_by,
        inputs.validation_fraction,
        inputs.test_fraction,
        inputs.split_seed,
        inputs.dataset_test_source,
        curated_source.parse_section(inputs.dataset_curation) if inputs.dataset_format == PRODUCTION_LOGS else None,
    )
    augmented = augmented_source.augment(platform, augmentation, parts) if augmentation is not None else None
    files = dataset_splits.split_files(parts, augmented.rows if augmented is not None else None)
    dataset_splits.check_isolation(files)
    counts = dataset_splits.split_counts(files)
    with platform.tracker.step_run(inputs.mlflow_run_id, "prepare-data") as mlflow:
        ref = platform.datastore.put_dataset(
            inputs.dataset_namespace, inputs.dataset_name, {k: _jsonl(v) for k, v in files.items()}
        )
        mlflow.log_params(
            {
                "source": inputs.dataset_source,
                "test_source": inputs.dataset_test_source,
                "format": inputs.dataset_format,
                "group_by": inputs.dataset_group_by,
                "split_seed": inputs.split_seed,
            }
        )
        mlflow.log_metrics({f"rows_{k}": v for k, v in counts.items()})
        mlflow.log_metrics({f"pii_replaced_{k}": v for k, v in pii.items()})
        mlflow.set_tags({"dataset.uri": ref.uri, "dataset.revision": ref.revision})
        mlflow.log_dict(files[TESTING_FILE][:5], "samples/testing_head.json")
        if report is not None:
            curated_source.log_curation(mlflow, report)
        if augmented is not None:
            augmented_source.log_augmentation(mlflow, augmented.report)
    platform.tracker.set_parent_tags(
        inputs.mlflow_run_id, {"llmops.dataset_revision": ref.revision, "llmops.dataset_uri": ref.uri}
    )
    platform.tracker.log_parent_params(inputs.mlflow_run_id, inputs.model_dump(exclude={"mlflow_run_id"}))
    platform.tracker.log_dataset_inputs(inputs.mlflow_run_id, ref, counts)
    print(f"dataset {ref.uri} ({'uploaded' if ref.created else 'already present'}): {counts}")
    return PrepareDataOutput(
        dataset_uri=ref.uri, dataset_revision=ref.revision, counts=json.dumps(counts, sort_keys=True)
    )
