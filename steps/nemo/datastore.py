"""NeMo Data Store through the Hugging Face Hub API, datasets registered in the Entity Store.

A dataset is a Data Store dataset repo `<namespace>/<name>`; a revision is a commit id; the URI is
`hf://datasets/<namespace>/<name>@<commit>`. `put_dataset` writes all files (and removes stale ones) in
one commit, so a revision is complete or absent; when the repo already holds exactly these files it
makes no commit and returns the current commit (same input -> same revision, created=False).
Reads download a revision once into `<workspace>/nemo-datastore/<ns>/<name>/<commit>/`.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from steps import settings as step_settings
from steps.contracts import DatasetRef, EntityRegistry
from steps.errors import InvalidInputError, NotFoundError, StepFailedError
from steps.logic.dataset_files import check_dataset_files, check_name, check_relpath, read_dataset_jsonl, revision_of
from steps.nemo import settings
from steps.nemo.client import (
    API_ERRORS,
    call_idempotent,
    get_logger,
    install_log_redaction,
    is_transient,
    platform_error,
    status_of,
)
from steps.nemo.hub import git_blob_id, hub_online
from steps.nemo.shapes import field, require

log = get_logger(__name__)
_URI = re.compile(r"^hf://datasets/([^/@]+)/([^/@]+)@([0-9a-fA-F]{7,64})$")
URI_FORM = "hf://datasets/<namespace>/<name>@<commit>"
COMMIT_ATTEMPTS = 3


def parse_uri(uri: str) -> tuple[str, str, str]:
    match = _URI.match(uri)
    if not match:
        raise InvalidInputError(f"{uri!r} is not a Data Store dataset URI; expected {URI_FORM}")
    namespace, name, revision = match.groups()
    return check_name("namespace", namespace), check_name("name", name), revision


class NemoDatastore:
    def __init__(self, cache_root: Path | None = None, entity_store: EntityRegistry | None = None) -> None:
        from huggingface_hub import HfApi

        install_log_redaction()
        self.nds_url = settings.nds_url()
        self.hf_endpoint = f"{self.nds_url}/v1/hf"
        # token=False (not None) when HF_TOKEN is unset: never send a token saved for huggingface.co.
        self.api = HfApi(endpoint=self.hf_endpoint, token=settings.hf_token() or False)
        self.cache_root = Path(cache_root) if cache_root is not None else step_settings.workspace() / "nemo-datastore"
        self._entity_store = entity_store

    @property
    def entity_store(self) -> EntityRegistry:
        if self._entity_store is None:
            from steps.nemo.entity_store import EntityStore

            self._entity_store = EntityStore()
        return self._entity_store

    def _headers(self) -> dict[str, str]:
        token = settings.hf_token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _hub(self, method: str, *args: Any, what: str, **kwargs: Any) -> Any:
        """An HfApi call, retried on transient failures; lazy listings are read inside the retry."""

        def call() -> Any:
            result = getattr(self.api, method)(*args, **kwargs)
            return list(result) if isinstance(result, Iterator) else result

        with hub_online():
            return call_idempotent(call, what=what)

    # -- writes -----------------------------------------------------------------------------------

    def ensure_namespace(self, namespace: str) -> bool:
        """Create the Data Store namespace (form-encoded POST); 409 = it exists. True when created."""
        url = f"{self.nds_url}/v1/datastore/namespaces"

        def post() -> httpx.Response:
            response = httpx.post(url, data={"namespace": namespace}, headers=self._headers(), timeout=30)
            if response.status_code != 409:
                response.raise_for_status()
            return response

        try:
            return call_idempotent(post, what=f"create Data Store namespace {namespace!r}").status_code != 409
        except API_ERRORS as exc:
            raise platform_error(exc, f"create Data Store namespace {namespace!r}") from None

    def put_dataset(self, namespace: str, name: str, files: dict[str, bytes]) -> DatasetRef:
        """Store `files` (relative path -> bytes) as one commit of `<namespace>/<name>`; idempotent."""
        check_dataset_files(namespace, name, files)
        repo_id = f"{namespace}/{name}"
        self.ensure_namespace(namespace)
        try:
            self._hub(
                "create_repo", repo_id, repo_type="dataset", exist_ok=True, what=f"create Data Store repo {repo_id}"
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"create Data Store repo {repo_id}") from None
        revision, created = self._commit(repo_id, files)
        self.entity_store.ensure_dataset(namespace, name, f"hf://datasets/{namespace}/{name}")
        uri = f"hf://datasets/{namespace}/{name}@{revision}"
        log.info("dataset %s %s", uri, "committed" if created else "already present")
        return DatasetRef(
            namespace=namespace, name=name, revision=revision, uri=uri, files=sorted(files), created=created
        )

    def _commit(self, repo_id: str, files: dict[str, bytes]) -> tuple[str, bool]:
        """(revision, created): one commit with every file, unless the head already holds exactly them."""
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        content_key = revision_of(files)
        for attempt in range(1, COMMIT_ATTEMPTS + 1):
            head, stored = self._head_files(repo_id)
            if head and self._same_content(repo_id, head, stored, files):
                return head, False
            operations: list = [CommitOperationDelete(path_in_repo=p) for p in sorted(stored) if p not in files]
            operations += [CommitOperationAdd(path_in_repo=p, path_or_fileobj=files[p]) for p in sorted(files)]
            try:
                with hub_online():
                    info = self.api.create_commit(
                        repo_id,
                        operations,
                        repo_type="dataset",
                        commit_message=f"llmops dataset content {content_key}",
                        commit_description=f"{len(files)} files; content key {content_key}",
                    )
                oid = require(
                    info, "oid", endpoint=f"POST /v1/hf/api/datasets/{repo_id}/commit/main", what="the commit"
                )
                return str(oid), True
            except API_ERRORS as exc:
                # Not retried blindly: the commit may have landed; the next turn compares content first.
                if attempt == COMMIT_ATTEMPTS or not is_transient(exc):
                    raise platform_error(exc, f"commit to Data Store repo {repo_id}") from None
                log.warning("commit to %s failed transiently (%s); checking whether it landed", repo_id, exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def head_revision(self, namespace: str, name: str) -> str | None:
        """The commit at the head of the dataset repo (None when the repo does not exist or is empty)."""
        repo_id = f"{namespace}/{name}"
        try:
            info = self._hub("dataset_info", repo_id, what=f"get Data Store repo {repo_id}")
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, f"get Data Store repo {repo_id}") from None
        return field(info, "sha") or None

    def _head_files(self, repo_id: str) -> tuple[str | None, dict[str, Any]]:
        """(head commit, {path: tree entry}) of a repo; (None, {}) for a repo without commits."""
        namespace, name = repo_id.split("/", 1)
        head = self.head_revision(namespace, name)
        if head is None:
            return None, {}
        try:
            entries = list(
                self._hub(
                    "list_repo_tree",
                    repo_id,
                    repo_type="dataset",
                    revision=head,
                    recursive=True,
                    what=f"list files of {repo_id}@{head}",
                )
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"list files of Data Store repo {repo_id}@{head}") from None
        stored = {e.path: e for e in entries if _is_file(e)}
        return head, stored

    def _same_content(self, repo_id: str, head: str, stored: dict[str, Any], files: dict[str, bytes]) -> bool:
        if set(stored) != set(files):
            return False
        for path, content in files.items():
            entry = stored[path]
            size, lfs = field(entry, "size"), field(entry, "lfs")
            if size is not None and size != len(content) and lfs is None:
                return False
            if lfs is not None:
                if field(lfs, "sha256") != hashlib.sha256(content).hexdigest():
                    return False
            elif field(entry, "blob_id") not in (git_blob_id(content), hashlib.sha256(content).hexdigest()) and (
                # An unknown id scheme: compare the bytes themselves.
                self._download(repo_id, head, path) != content
            ):
                return False
        return True

    # -- reads ------------------------------------------------------------------------------------

    def _download(self, repo_id: str, revision: str, path: str) -> bytes:
        from huggingface_hub import hf_hub_url

        url = hf_hub_url(repo_id, path, repo_type="dataset", revision=revision, endpoint=self.hf_endpoint)

        def get() -> bytes:
            response = httpx.get(url, headers=self._headers(), follow_redirects=True, timeout=120)
            response.raise_for_status()
            return response.content

        try:
            return call_idempotent(get, what=f"download {repo_id}@{revision}/{path}")
        except API_ERRORS as exc:
            raise platform_error(exc, f"download {path} of dataset {repo_id}@{revision}") from None

    def resolve(self, uri: str) -> Path:
        """A local folder holding every file of the revision `uri` names (downloaded once)."""
        namespace, name, revision = parse_uri(uri)
        repo_id = f"{namespace}/{name}"
        target = self.cache_root / namespace / name / revision
        if target.is_dir():
            return target
        try:
            entries = list(
                self._hub(
                    "list_repo_tree",
                    repo_id,
                    repo_type="dataset",
                    revision=revision,
                    recursive=True,
                    what=f"list files of {uri}",
                )
            )
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                known = self.list_revisions(namespace, name)
                hint = f"known revisions: {', '.join(known)}" if known else "the dataset has no revision"
                raise NotFoundError(
                    f"dataset {uri} not found in the Data Store ({hint}); run prepare-data first"
                ) from None
            raise platform_error(exc, f"list files of {uri}") from None
        paths = sorted(e.path for e in entries if _is_file(e))
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{revision[:12]}-", dir=target.parent))
        try:
            for path in paths:
                destination = staging / check_relpath(path)
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(self._download(repo_id, revision, path))
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():  # not a lost race with an identical download
                    raise StepFailedError(f"could not move the download of {uri} into {target}") from None
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return target

    def read_jsonl(self, uri: str, relpath: str) -> list[dict[str, Any]]:
        return read_dataset_jsonl(self.resolve(uri), uri, relpath)

    def list_revisions(self, namespace: str, name: str) -> list[str]:
        """Commit ids of a dataset, oldest first (empty when the dataset does not exist).

        Falls back to just the head when the Data Store does not list commits ([I]: not verified on NDS).
        """
        repo_id = f"{check_name('namespace', namespace)}/{check_name('name', name)}"
        head = self.head_revision(namespace, name)
        if head is None:
            return []
        try:
            commits = self._hub("list_repo_commits", repo_id, repo_type="dataset", what=f"list commits of {repo_id}")
        except API_ERRORS as exc:
            if status_of(exc) in (404, 405, 501):
                return [head]
            raise platform_error(exc, f"list commits of Data Store repo {repo_id}") from None
        ids = [field(c, "commit_id") for c in reversed(commits)]
        return [str(i) for i in ids if i] or [head]


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/"))


def _is_file(entry: Any) -> bool:
    """A file of the listing (huggingface_hub lists folders too), not a hidden one such as .gitattributes."""
    return hasattr(entry, "blob_id") and not _hidden(entry.path)
