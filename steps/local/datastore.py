"""The local platform's datastore: a content-addressed folder under the workspace.

Layout: `<root>/<namespace>/<name>/<revision>/<relative file paths>`, where the revision is the first
16 hex digits of a sha256 over the sorted (path, sha256(content)) pairs. A put writes into a hidden
temporary folder next to the target and renames it into place, so a revision folder is either
complete or absent; putting the same content again (even concurrently) reuses the existing revision.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from steps.contracts import DatasetRef, EntityRegistry
from steps.errors import InvalidInputError, NotFoundError, StepFailedError
from steps.logic.dataset_files import check_dataset_files, check_name, read_dataset_jsonl, revision_of

_URI = re.compile(r"^local://datasets/([^/@]+)/([^/@]+)@([0-9a-f]{16})$")
URI_FORM = "local://datasets/<namespace>/<name>@<16 hex revision>"


def _stored_files(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file below `folder`."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


def _write_file(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


class LocalDatastore:
    def __init__(self, root: Path, registry: EntityRegistry | None = None) -> None:
        self.root = Path(root)
        self.registry = registry  # told about every stored revision, like the NeMo Entity Store

    def _uri(self, namespace: str, name: str, revision: str) -> str:
        return f"local://datasets/{namespace}/{name}@{revision}"

    def _verify(self, folder: Path, files: dict[str, bytes]) -> None:
        expected = {path: hashlib.sha256(content).hexdigest() for path, content in files.items()}
        if _stored_files(folder) != expected:
            raise StepFailedError(
                f"datastore folder {folder} exists but does not hold the content its revision names "
                "(edited or corrupted); delete that folder and run again"
            )

    def put_dataset(self, namespace: str, name: str, files: dict[str, bytes]) -> DatasetRef:
        """Store `files` (relative path -> bytes) as one immutable revision; idempotent."""
        ref = self._store(namespace, name, files)
        if self.registry is not None:
            self.registry.ensure_dataset(namespace, name, ref.uri)
        return ref

    def _store(self, namespace: str, name: str, files: dict[str, bytes]) -> DatasetRef:
        check_dataset_files(namespace, name, files)
        revision = revision_of(files)
        parent = self.root / namespace / name
        target = parent / revision
        ref = {
            "namespace": namespace,
            "name": name,
            "revision": revision,
            "uri": self._uri(namespace, name, revision),
            "files": sorted(files),
        }
        if target.is_dir():
            self._verify(target, files)
            return DatasetRef(**ref, created=False)
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{revision}-", dir=parent))
        try:
            staging.chmod(0o755)
            for path in sorted(files):
                _write_file(staging / path, files[path])
            try:
                os.rename(staging, target)
            except OSError:
                if not target.is_dir():  # not a lost race with an identical put
                    raise
                self._verify(target, files)
                return DatasetRef(**ref, created=False)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return DatasetRef(**ref, created=True)

    def resolve(self, uri: str) -> Path:
        """The folder of the revision that `uri` names."""
        match = _URI.match(uri)
        if not match:
            raise InvalidInputError(f"{uri!r} is not a local dataset URI; expected {URI_FORM}")
        namespace, name, revision = match.groups()
        check_name("namespace", namespace)
        check_name("name", name)
        folder = self.root / namespace / name / revision
        if not folder.is_dir():
            known = self.list_revisions(namespace, name)
            hint = f"known revisions: {', '.join(known)}" if known else "no revision of this dataset exists"
            raise NotFoundError(f"dataset {uri} not found in {self.root} ({hint}); run prepare-data first")
        return folder

    def read_jsonl(self, uri: str, relpath: str) -> list[dict[str, Any]]:
        return read_dataset_jsonl(self.resolve(uri), uri, relpath)

    def list_revisions(self, namespace: str, name: str) -> list[str]:
        """Revisions of a dataset, oldest first (empty when there is none)."""
        parent = self.root / check_name("namespace", namespace) / check_name("name", name)
        if not parent.is_dir():
            return []
        folders = [p for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
        return [p.name for p in sorted(folders, key=lambda p: (p.stat().st_mtime_ns, p.name))]
