"""The files of a dataset revision, from the records of each split and the rows augmentation generated.

Training and validation rows are the whole conversation, testing rows the prompt and its expected answer
(`steps.logic.chat_records`). Generated rows join the training file as plain training rows, and are stored
once more, labelled (`synthetic`, `augmented_from`, `generator`), in `SYNTHETIC_FILE`: the revision's digest
covers both, and the trainers read only the split files. `check_isolation` refuses a revision in which a
generated row reached validation or testing.
"""

from __future__ import annotations

from typing import Any

from steps.contracts import SPLIT_FILES, TESTING_FILE, TRAINING_FILE, VALIDATION_FILE
from steps.errors import StepFailedError
from steps.logic.chat_records import ChatRecord, evaluation_row, training_row
from steps.logic.curation.normalize import normal_text

SYNTHETIC_FILE = "augmentation/synthetic.jsonl"
SHOWN = 5


def split_files(
    parts: dict[str, list[ChatRecord]], generated: list[ChatRecord] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The rows of each file; the generated rows (training only) also in SYNTHETIC_FILE, when there are some."""
    generated = generated or []
    files = {
        TRAINING_FILE: [training_row(record) for record in [*parts["training"], *generated]],
        VALIDATION_FILE: [training_row(record) for record in parts["validation"]],
        TESTING_FILE: [evaluation_row(record) for record in parts["testing"]],
    }
    if generated:
        files[SYNTHETIC_FILE] = [record.model_dump(exclude_none=True) for record in generated]
    return files


def split_counts(files: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Rows per split (the labelled copy of the generated rows is not a split)."""
    return {split: len(files[path]) for split, path in SPLIT_FILES.items()}


def _prompt(messages: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(normal_text(m.get("content")) for m in messages if m.get("role") == "user")


def check_isolation(files: dict[str, list[dict[str, Any]]]) -> None:
    """Fail when a generated row (its id, its label or its prompt) is in the validation or testing file."""
    generated = files.get(SYNTHETIC_FILE, [])
    if not generated:
        return
    ids = {row["id"] for row in generated}
    prompts = {_prompt(row["messages"][:-1]) for row in generated}
    for path, prompt_of in ((VALIDATION_FILE, lambda m: m[:-1]), (TESTING_FILE, lambda m: m)):
        leaked = [
            str(row.get("id") or index)
            for index, row in enumerate(files[path])
            if row.get("augmented_from") or row.get("id") in ids or _prompt(prompt_of(row["messages"])) in prompts
        ]
        if leaked:
            shown = ", ".join(leaked[:SHOWN]) + (", ..." if len(leaked) > SHOWN else "")
            raise StepFailedError(
                f"{len(leaked)} generated (synthetic) row(s) reached {path}: {shown}. Generated rows belong to the "
                "training split only; nothing was stored. This is a bug in prepare-data's augmentation: report it."
            )
