"""The MLflow model registry of released adapters: one version per adapter, and three aliases.

- `challenger`: the latest candidate that passed the gate and is not released (waiting for approval,
  or rejected); step `register` sets it.
- `champion`: the released version (step `rollout`); the one it replaced keeps `previous`.
- `llmops rollback` makes `previous` the champion again and removes `previous` (`steps.rollback`).

A version is linked to the workflow's parent run (`run_id`) and to the adapter's LoggedModel
(`model_id`; its source is `models:/<model_id>` where MLflow holds the weights, else the adapter's URI).
"""

from __future__ import annotations

from typing import Any

from steps import lineage
from steps.mlflow_errors import already_exists

CHAMPION, PREVIOUS, CHALLENGER = "champion", "previous", "challenger"
ADAPTER_TAG = "adapter_id"


def alias_version(client: Any, name: str, alias: str) -> str | None:
    """The version an alias points at (None when the alias or the model does not exist)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def find_version(client: Any, name: str, adapter_id: str) -> Any | None:
    """The adapter's version: the first one registered, should two runs have registered it at once."""
    if not client.search_registered_models(f"name = '{name}'"):
        return None
    versions = [v for v in client.search_model_versions(f"name = '{name}'") if v.tags.get(ADAPTER_TAG) == adapter_id]
    return min(versions, key=lambda v: int(v.version), default=None)


def ensure_version(
    client: Any, name: str, parent_run_id: str, adapter_id: str, base_model: str, model: Any, uri: str, has_files: bool
) -> tuple[Any, bool]:
    """The registered version of `adapter_id` (created once, linked to the run and the LoggedModel);
    True when it was created now.

    Two runs that register one adapter at once both find no version and both create one. Each then looks
    again: the lower-numbered version wins, and the run that created the other deletes it."""
    version = find_version(client, name, adapter_id)
    created = version is None
    if version is None:
        _ensure_model(client, name, base_model)
        version = client.create_model_version(
            name,
            source=model.model_uri if has_files else uri,
            run_id=parent_run_id,
            model_id=model.model_id,
            tags={ADAPTER_TAG: adapter_id, "base_model": base_model, "adapter_uri": uri},
        )
        first = find_version(client, name, adapter_id)
        if first is not None and str(first.version) != str(version.version):
            client.delete_model_version(name, str(version.version))
            version, created = first, False
    if version.run_id == parent_run_id:  # registered by this run: its LoggedModel is the version's
        lineage.link_version(client, model.model_id, name, str(version.version))
    return version, created


def _ensure_model(client: Any, name: str, base_model: str) -> None:
    if client.search_registered_models(f"name = '{name}'"):
        return
    try:
        client.create_registered_model(name, tags={"base_model": base_model})
    except Exception as error:
        if not already_exists(error):
            raise


def set_tags(client: Any, name: str, version: str, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


def mark_challenger(client: Any, name: str, version: str) -> str | None:
    """Point `challenger` at version unless it is already the champion; returns the alias set (or None)."""
    if alias_version(client, name, CHAMPION) == version:
        return None
    client.set_registered_model_alias(name, CHALLENGER, version)
    return CHALLENGER


def promote(client: Any, name: str, version: str) -> str | None:
    """Point `champion` at version; the old champion (if another) becomes `previous`; a released
    challenger is a challenger no more. Returns the old champion."""
    old = alias_version(client, name, CHAMPION)
    if old and old != version:
        client.set_registered_model_alias(name, PREVIOUS, old)
    client.set_registered_model_alias(name, CHAMPION, version)
    if alias_version(client, name, CHALLENGER) == version:
        client.delete_registered_model_alias(name, CHALLENGER)
    return old
