"""The entity registry port on NeMo Platform's Entities and Models services.

A run spec's namespace is a project of the workspace; a dataset is a `dataset` entity in it whose data
names its fileset URI; a model is a model entity of the Models service (`get_model` reads it, by `name`
or `workspace/name`, where `@version` is dropped: the Platform names a model without one).
Entity names are made valid for the Platform (`steps.nmp.datasets.entity_name`).
"""

from __future__ import annotations

from typing import Any

from steps.nmp import datasets, settings
from steps.nmp.client import API_ERRORS, call_idempotent, platform_error, ready, status_of

DATASET_TYPE = "dataset"


class NmpEntityRegistry:
    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def workspace(self) -> str:
        return settings.workspace()

    def ensure_namespace(self, namespace: str) -> bool:
        """The namespace's project in the workspace; True when this call created it."""
        ready(self.client)
        try:
            call_idempotent(
                self.client.projects.retrieve, namespace, workspace=self.workspace, what=f"GET project {namespace}"
            )
            return False
        except API_ERRORS as exc:
            if status_of(exc) != 404:
                where = f"GET /apis/entities/v2/workspaces/{self.workspace}/projects/{namespace}"
                raise platform_error(exc, where) from None
        try:
            call_idempotent(
                self.client.projects.create,
                workspace=self.workspace,
                name=namespace,
                description=f"llmops namespace {namespace}",
                what=f"create project {namespace}",
            )
            return True
        except API_ERRORS as exc:
            if status_of(exc) == 409:
                return False
            raise platform_error(exc, f"POST /apis/entities/v2/workspaces/{self.workspace}/projects") from None

    def ensure_dataset(self, namespace: str, name: str, files_url: str, description: str = "") -> bool:
        """A dataset entity naming the revision's URI (the latest stored); True when created or changed."""
        self.ensure_namespace(namespace)
        entity = datasets.entity_name("ds", namespace, name)
        data = {"namespace": namespace, "name": name, "files_url": files_url, "description": description}
        path = f"/apis/entities/v2/workspaces/{self.workspace}/entities/{DATASET_TYPE}"
        found = self.dataset(namespace, name)
        if found is None:
            try:
                call_idempotent(
                    self.client.entities.create,
                    DATASET_TYPE,
                    workspace=self.workspace,
                    name=entity,
                    data=data,
                    project=namespace,
                    what=f"create dataset entity {entity}",
                )
                return True
            except API_ERRORS as exc:
                if status_of(exc) != 409:  # 409: a concurrent put registered it first; compare with that
                    raise platform_error(exc, f"POST {path} ({entity})") from None
            found = self.dataset(namespace, name)
        if found == data:
            return False
        try:
            call_idempotent(
                self.client.entities.update_entity_by_name,
                entity,
                workspace=self.workspace,
                entity_type=DATASET_TYPE,
                data=data,
                what=f"update dataset entity {entity}",
            )
        except API_ERRORS as exc:
            raise platform_error(exc, f"PUT {path}/{entity}") from None
        return True

    def dataset(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The dataset entity's data (None when none is registered)."""
        entity = datasets.entity_name("ds", namespace, name)
        path = f"/apis/entities/v2/workspaces/{self.workspace}/entities/{DATASET_TYPE}/{entity}"
        try:
            found = call_idempotent(
                self.client.entities.get_entity_by_name,
                entity,
                workspace=self.workspace,
                entity_type=DATASET_TYPE,
                what=f"GET dataset entity {entity}",
            )
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, f"GET {path}") from None
        return dict(found.data or {})

    def get_model(self, model_id: str) -> Any | None:
        """The model entity `[workspace/]name[@version]`; None when the Platform has none by that name."""
        reference = model_id.split("@", 1)[0]
        workspace, _, name = reference.rpartition("/")
        workspace = workspace or self.workspace
        try:
            return call_idempotent(
                self.client.models.retrieve, name, workspace=workspace, what=f"GET model {workspace}/{name}"
            )
        except API_ERRORS as exc:
            if status_of(exc) == 404:
                return None
            raise platform_error(exc, f"GET /apis/models/v2/workspaces/{workspace}/models/{name}") from None
