"""NeMo Entity Store (`{NEMO_URL}/v1/namespaces|datasets|models`): look up before create, 409 = exists."""

from __future__ import annotations

from typing import Any

from steps.errors import InvalidInputError, StepFailedError
from steps.nemo.client import API_ERRORS, call_idempotent, get_logger, nemo_client, platform_error, status_of
from steps.nemo.shapes import field

log = get_logger(__name__)
CREATE_ATTEMPTS = 3


def split_model_id(model_id: str) -> tuple[str, str]:
    """'ns/name@rev' -> ('ns', 'name@rev')."""
    namespace, sep, name = model_id.partition("/")
    if not sep or not namespace or not name or "/" in name:
        raise InvalidInputError(f"model id {model_id!r} is not of the form <namespace>/<name>[@<revision>]")
    return namespace, name


class EntityStore:
    def __init__(self, client: Any = None) -> None:
        self.client = client or nemo_client()

    def _get(self, fn, *args, what: str, **kwargs):
        """The entity, or None on 404 (transient failures retried)."""
        try:
            return call_idempotent(fn, *args, what=what, **kwargs)
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, what) from None

    def ensure_namespace(self, namespace: str) -> bool:
        """Create the Entity Store namespace unless it exists; True when this call created it."""
        what = f"Entity Store namespace {namespace!r}"
        if self._get(self.client.namespaces.retrieve, namespace, what=f"get {what}") is not None:
            return False
        try:
            call_idempotent(self.client.namespaces.create, id=namespace, what=f"create {what}")
            return True
        except API_ERRORS as exc:
            code = status_of(exc)
            # 409 (and 422 on some releases) = exists; 422 can also mean a bad name, so look again.
            if code == 409 or (
                code == 422 and self._get(self.client.namespaces.retrieve, namespace, what=f"get {what}") is not None
            ):
                return False
            raise platform_error(exc, f"create {what}") from None

    def ensure_dataset(self, namespace: str, name: str, files_url: str, description: str = "") -> bool:
        """Register a dataset (files_url = its Data Store repo); True when this call created it."""
        what = f"Entity Store dataset {namespace}/{name}"
        self.ensure_namespace(namespace)
        existing = self._get(self.client.datasets.retrieve, name, namespace=namespace, what=f"get {what}")
        for _ in range(CREATE_ATTEMPTS):
            if existing is not None:
                break
            try:
                call_idempotent(
                    self.client.datasets.create,
                    name=name,
                    namespace=namespace,
                    files_url=files_url,
                    description=description or f"llmops dataset {namespace}/{name}",
                    what=f"create {what}",
                )
                return True
            except API_ERRORS as exc:
                if status_of(exc) != 409:
                    raise platform_error(exc, f"create {what}") from None
            # 409 = another writer got there first; read it back (a 409 with nothing behind it: try again).
            existing = self._get(self.client.datasets.retrieve, name, namespace=namespace, what=f"get {what}")
        if existing is None:
            raise StepFailedError(
                f"create {what}: the Entity Store answered 409 (exists) {CREATE_ATTEMPTS} times "
                "but the dataset cannot be read back; check the Entity Store"
            )
        stored_url = field(existing, "files_url", files_url)
        if stored_url != files_url:
            log.info("%s points at %s; updating it to %s", what, stored_url, files_url)
            try:
                call_idempotent(
                    self.client.datasets.update, name, namespace=namespace, files_url=files_url, what=f"update {what}"
                )
            except API_ERRORS as exc:
                raise platform_error(exc, f"update {what}") from None
        return False

    def get_model(self, model_id: str):
        """The model entity `ns/name[@rev]`, or None when the Entity Store does not have it."""
        namespace, name = split_model_id(model_id)
        return self._get(self.client.models.retrieve, name, namespace=namespace, what=f"get model {model_id}")
