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
    if not client.search_registered_models(f"name = '{name}'"):
        return None
    for version in client.search_model_versions(f"name = '{name}'"):
        if version.tags.get(ADAPTER_TAG) == adapter_id:
            return version
    return None


def ensure_version(
    client: Any, name: str, parent_run_id: str, adapter_id: str, base_model: str, model: Any, uri: str, has_files: bool
) -> tuple[Any, bool]:
    """The registered version of `adapter_id` (created once, linked to the run and the LoggedModel);
    True when it was created now."""
    version = find_version(client, name, adapter_id)
    created = version is None
    if version is None:
        if not client.search_registered_models(f"name = '{name}'"):
            client.create_registered_model(name, tags={"base_model": base_model})
        version = client.create_model_version(
            name,
            source=model.model_uri if has_files else uri,
            run_id=parent_run_id,
            model_id=model.model_id,
            tags={ADAPTER_TAG: adapter_id, "base_model": base_model, "adapter_uri": uri},
        )
    if version.run_id == parent_run_id:  # registered by this run: its LoggedModel is the version's
        lineage.link_version(client, model.model_id, name, str(version.version))
    return version, created


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
