"""The datastore port on NeMo Platform filesets: one fileset per content-addressed dataset revision.

A put computes the revision from the content (`steps.logic.dataset_files.revision_of`). When the fileset
for it already holds that content and is marked complete, nothing is uploaded (`created=False`). Otherwise
the fileset is created with the files' hashes in its custom fields, every file is uploaded (a PUT, safe to
repeat), the listing is checked against the sizes, and only then is the fileset marked complete. A put that
is interrupted leaves a fileset without the mark: readers refuse it, `list_revisions` leaves it out, and the
next put of the same content completes it. Reads download a revision once into a cache folder under the
workspace (written aside, renamed into place) and check every file's hash.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from steps.contracts import DatasetRef, EntityRegistry
from steps.errors import NotFoundError, StepFailedError
from steps.logic.dataset_files import check_dataset_files, read_dataset_jsonl, revision_of
from steps.nmp import datasets, settings
from steps.nmp.client import API_ERRORS, call_idempotent, platform_error, ready, status_of

FILESETS = "/apis/files/v2/workspaces/{workspace}/filesets"


def _fields(fileset: Any) -> dict[str, Any]:
    fields = getattr(fileset, "custom_fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class NmpDatastore:
    def __init__(self, client: Any, cache: Path, registry: EntityRegistry | None = None) -> None:
        self.client = client
        self.cache = Path(cache)
        self.registry = registry  # told about every stored revision (a dataset entity)

    @property
    def workspace(self) -> str:
        return settings.workspace()

    def _where(self, fileset: str = "") -> str:
        return FILESETS.format(workspace=self.workspace) + (f"/{fileset}" if fileset else "")

    def _fileset(self, name: str, workspace: str | None = None) -> Any | None:
        workspace = workspace or self.workspace
        try:
            return call_idempotent(
                self.client.files.filesets.retrieve, name, workspace=workspace, what=f"GET fileset {name}"
            )
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, f"GET {self._where(name)}") from None

    # -- put ------------------------------------------------------------------------------------
    def put_dataset(self, namespace: str, name: str, files: dict[str, bytes]) -> DatasetRef:
        ready(self.client)
        check_dataset_files(namespace, name, files)
        revision = revision_of(files)
        fileset = datasets.fileset_name(namespace, name, revision)
        hashes = {path: hashlib.sha256(content).hexdigest() for path, content in files.items()}
        existing = self._fileset(fileset)
        if existing is not None:
            self._check_owner(existing, fileset, namespace, name, hashes)
        created = existing is None or not _fields(existing).get(datasets.COMPLETE)
        if created:
            if existing is None:
                self._create(fileset, namespace, name, revision, hashes)
            for path in sorted(files):
                self._upload(fileset, path, files[path])
            self._check_listing(fileset, {path: len(content) for path, content in files.items()})
            self._mark_complete(fileset, namespace, name, revision, hashes)
        else:
            self._check_listing(fileset, {path: len(content) for path, content in files.items()})
        ref = DatasetRef(
            namespace=namespace,
            name=name,
            revision=revision,
            uri=datasets.uri(self.workspace, namespace, name, revision),
            files=sorted(files),
            created=created,
        )
        if self.registry is not None:
            self.registry.ensure_dataset(namespace, name, ref.uri)
        return ref

    def _check_owner(self, fileset: Any, name_: str, namespace: str, name: str, hashes: dict[str, str]) -> None:
        fields = _fields(fileset)
        owner = (fields.get(datasets.NAMESPACE), fields.get(datasets.NAME), fields.get(datasets.FILES))
        if owner != (namespace, name, hashes):
            raise StepFailedError(
                f"fileset {self.workspace}/{name_} exists but does not record dataset {namespace}/{name} with this "
                "content (made by hand, or edited); delete or rename that fileset and run again"
            )

    def _create(self, fileset: str, namespace: str, name: str, revision: str, hashes: dict[str, str]) -> None:
        fields = {
            datasets.NAMESPACE: namespace,
            datasets.NAME: name,
            datasets.REVISION: revision,
            datasets.FILES: hashes,
            datasets.COMPLETE: False,
        }
        try:  # exist_ok: a concurrent put of the same content created it first (its upload is the same bytes)
            call_idempotent(
                self.client.files.filesets.create,
                workspace=self.workspace,
                name=fileset,
                purpose="dataset",
                description=f"llmops dataset {namespace}/{name}, revision {revision}",
                custom_fields=fields,
                exist_ok=True,
                what=f"create fileset {fileset}",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"POST {self._where()} ({fileset})") from None

    def _upload(self, fileset: str, path: str, content: bytes) -> None:
        try:
            call_idempotent(
                self.client.files.upload_content,
                content=content,
                remote_path=path,
                fileset=fileset,
                workspace=self.workspace,
                what=f"upload {fileset}/{path}",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"PUT {self._where(fileset)}/-/{path}") from None

    def _check_listing(self, fileset: str, sizes: dict[str, int]) -> None:
        try:
            listing = call_idempotent(
                self.client.files.list, fileset=fileset, workspace=self.workspace, what=f"list {fileset}"
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"GET {self._where(fileset)}/files") from None
        stored = {str(f.path).lstrip("/"): int(f.size) for f in getattr(listing, "data", None) or []}
        if stored != sizes:
            raise StepFailedError(
                f"fileset {self.workspace}/{fileset} holds {sorted(stored.items())}, not the files uploaded "
                f"({sorted(sizes.items())}); another writer changed it; delete it and run again"
            )

    def _mark_complete(self, fileset: str, namespace: str, name: str, revision: str, hashes: dict[str, str]) -> None:
        fields = {
            datasets.NAMESPACE: namespace,
            datasets.NAME: name,
            datasets.REVISION: revision,
            datasets.FILES: hashes,
            datasets.COMPLETE: True,
        }
        try:
            call_idempotent(
                self.client.files.filesets.update,
                fileset,
                workspace=self.workspace,
                custom_fields=fields,
                what=f"mark fileset {fileset} complete",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"PATCH {self._where(fileset)}") from None

    # -- read -----------------------------------------------------------------------------------
    def resolve(self, uri: str) -> Path:
        """A local folder holding the revision's files (downloaded once, hashes checked)."""
        workspace, namespace, name, revision = datasets.parse(uri)
        fileset = datasets.fileset_name(namespace, name, revision)
        folder = self.cache / workspace / fileset
        if folder.is_dir():
            return folder
        found = self._fileset(fileset, workspace)
        fields = _fields(found) if found is not None else {}
        if found is None or not fields.get(datasets.COMPLETE):
            state = "does not exist" if found is None else "is incomplete (an upload was interrupted)"
            raise NotFoundError(
                f"dataset {uri}: fileset {workspace}/{fileset} {state}; run prepare-data (again) to store it"
            )
        hashes = fields.get(datasets.FILES) or {}
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{fileset}.", dir=folder.parent))
        try:
            for path, digest in sorted(hashes.items()):
                content = self._download(workspace, fileset, path)
                if hashlib.sha256(content).hexdigest() != digest:
                    raise StepFailedError(
                        f"dataset {uri}: {path} in fileset {workspace}/{fileset} does not match the hash recorded "
                        "when it was stored (edited after upload); store the dataset again under a new revision"
                    )
                target = staging / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            try:
                os.rename(staging, folder)
            except OSError:  # another reader put the same revision in place first
                if not folder.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder

    def _download(self, workspace: str, fileset: str, path: str) -> bytes:
        try:
            return bytes(
                call_idempotent(
                    self.client.files.download_content,
                    remote_path=path,
                    fileset=fileset,
                    workspace=workspace,
                    what=f"download {fileset}/{path}",
                )
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"GET {FILESETS.format(workspace=workspace)}/{fileset}/-/{path}") from None

    def read_jsonl(self, uri: str, relpath: str) -> list[dict[str, Any]]:
        return read_dataset_jsonl(self.resolve(uri), uri, relpath)

    def list_revisions(self, namespace: str, name: str) -> list[str]:
        """Complete revisions of a dataset, oldest first."""
        try:
            page = call_idempotent(
                self.client.files.filesets.list, workspace=self.workspace, what=f"list filesets of {namespace}/{name}"
            )
            found = list(page)  # the SDK's page iterator follows every page
        except API_ERRORS as exc:
            raise platform_error(exc, f"GET {self._where()}") from None
        mine = [
            f
            for f in found
            if _fields(f).get(datasets.NAMESPACE) == namespace
            and _fields(f).get(datasets.NAME) == name
            and _fields(f).get(datasets.COMPLETE)
        ]
        return [str(_fields(f)[datasets.REVISION]) for f in sorted(mine, key=lambda f: str(f.created_at))]
