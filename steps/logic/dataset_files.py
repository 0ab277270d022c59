"""What every datastore accepts and how a revision is named: dataset names, file paths, content hashes.

Pure checks shared by every datastore implementation (the only I/O is `read_dataset_jsonl`, which
reads one file of a revision that a datastore has already resolved to a folder).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import Any

from steps.errors import InvalidInputError, NotFoundError
from steps.logic import records

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def check_name(kind: str, value: str) -> str:
    """A dataset (or model) namespace or name: lowercase letters, digits, '.', '_', '-'."""
    if not _NAME.match(value) or value in (".", ".."):
        raise InvalidInputError(
            f"dataset {kind} {value!r} is not valid; use lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def check_relpath(path: str) -> str:
    pure = PurePosixPath(path)
    if (
        not path
        or "\\" in path
        or pure.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
        or any(part.startswith(".") for part in pure.parts)
    ):
        raise InvalidInputError(
            f"dataset file path {path!r} is not valid; use a relative path like 'training/training.jsonl' "
            "without '..', '.', leading '/', or hidden names"
        )
    return path


def check_dataset_files(namespace: str, name: str, files: dict[str, bytes]) -> None:
    """What every datastore accepts: valid names, at least one file, relative paths, no file/folder clash."""
    check_name("namespace", namespace)
    check_name("name", name)
    if not files:
        raise InvalidInputError(f"dataset {namespace}/{name} has no files; nothing to store")
    for path in files:
        check_relpath(path)
        if any(other.startswith(path + "/") for other in files):
            raise InvalidInputError(f"dataset file path {path!r} is also used as a folder by another file")


def revision_of(files: dict[str, bytes]) -> str:
    """First 16 hex of sha256 over the sorted (path, sha256(content)) pairs."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{hashlib.sha256(files[path]).hexdigest()}\n".encode())
    return digest.hexdigest()[:16]


def read_dataset_jsonl(folder: Path, uri: str, relpath: str) -> list[dict[str, Any]]:
    """The rows of one JSONL file of a resolved dataset revision (any datastore)."""
    path = folder / check_relpath(relpath)
    if not path.is_file():
        raise NotFoundError(f"dataset {uri} has no file {relpath!r}")
    return [row for _, row in records.read_jsonl(path)]
