"""prepare-data's format production-logs: a file of production records curated into the split files.

The whole file is curated at once (`steps.logic.curation.curate`, docs/curation.md): deduplicated,
anonymised, selected by the run spec's `dataset.curation` rules and split by intent with its
`dataset.split`. With `on_invalid: fail` one bad line refuses the file before anything is stored. The
split files are those of every other format (`steps.dataset_splits`), so the datastore's contract is
unchanged; the curation report is the provenance in MLflow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from steps.errors import InvalidInputError, NotFoundError
from steps.logic.chat_records import ChatRecord
from steps.logic.curation import Curated, CurationReport, CurationSection, curate
from steps.logic.field_paths import dotted, one_line

SPLIT_FIELDS = {"validation_fraction": "validation", "test_fraction": "test", "seed": "seed"}


def parse_section(text: str) -> CurationSection:
    """The `dataset_curation` workflow parameter: the run spec's dataset.curation as JSON (empty: defaults)."""
    if not text.strip():
        return CurationSection()
    try:
        return CurationSection.model_validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{dotted(e['loc'], '(section)')}: {one_line(e['msg'])}" for e in error.errors(include_url=False)
        )
        raise InvalidInputError(
            f"dataset_curation: {problems}. The parameter is the run spec's dataset.curation section as JSON "
            "(docs/curation.md lists its fields)"
        ) from None


def read_lines(path: Path) -> list[str]:
    """The text lines of a file (split at line feeds only, so the numbers are the file's line numbers)."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file; check the dataset path.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidInputError(f"{path}:{line}: not UTF-8 text ({error.reason}); save the file as UTF-8") from None
    return text.split("\n")


def curated_records(
    path: Path,
    section: CurationSection,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    group_by: str = "",
    test_path: Path | None = None,
) -> tuple[dict[str, list[ChatRecord]], Curated]:
    """The records of the three splits of a production-log file and its curation; raises before anything is
    written. Synthetic records keep their `synthetic` mark (augmentation does not paraphrase them again)."""
    if group_by:
        raise InvalidInputError(
            f"group_by is {group_by!r}, but production logs are split by intent; leave dataset.group_by out"
        )
    if test_path is not None:
        raise InvalidInputError(
            f"test source {test_path}: production logs are curated into all three splits; leave dataset.test_source out"
        )
    try:
        rules = section.rules(validation_fraction, test_fraction, seed)
    except ValidationError as error:
        problems = "; ".join(
            f"dataset.split.{SPLIT_FIELDS.get(str(e['loc'][0]), e['loc'][0])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in error.errors(include_url=False)
        )
        raise InvalidInputError(f"{path}: the split does not suit curation: {problems}") from None
    curated = curate(read_lines(path), rules, source=str(path), on_invalid=section.on_invalid)
    rows = {name: [ChatRecord.model_validate(row) for row in split] for name, split in curated.splits.items()}
    return rows, curated


def log_curation(mlflow: Any, report: CurationReport) -> None:
    """The provenance of a curated dataset in the active MLflow run: rules, time window, counts, the report."""
    window = {
        "window_start": report.first_timestamp.isoformat() if report.first_timestamp else "",
        "window_end": report.last_timestamp.isoformat() if report.last_timestamp else "",
    }
    rules = json.dumps(report.rules.model_dump(mode="json"), sort_keys=True)
    mlflow.log_params({"curation_rules": rules, "on_invalid": report.on_invalid, **window})
    mlflow.log_metrics({f"curation_{name}": value for name, value in report.summary().items()})
    mlflow.log_dict(report.model_dump(mode="json"), "curation/report.json")
    mlflow.log_text(report.markdown(), "curation/report.md")
