"""Local entity registry: namespaces, datasets and models recorded in one JSON index in the workspace.

The local stand-in for the NeMo Entity Store: the datastore registers every dataset it stores, the
customizer every adapter it produces, so `get_model` answers for them like the Entity Store does.
Updates hold an exclusive lock on a file beside the index (steps run in parallel processes) and
replace the index atomically (temporary file + rename).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from steps.logic.dataset_files import check_name


class LocalEntityRegistry:
    def __init__(self, root: Path) -> None:
        self.path = root / "entities.json"

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"namespaces": [], "datasets": {}, "models": {}}
        return json.loads(self.path.read_text())

    @contextlib.contextmanager
    def _update(self) -> Iterator[dict[str, Any]]:
        """The index, locked against other writers; written back when the block changed it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            index = self._read()
            before = json.dumps(index, sort_keys=True)
            yield index
            if json.dumps(index, sort_keys=True) != before:
                self._write(index)

    def _write(self, index: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump(index, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.path)

    @staticmethod
    def _add_namespace(index: dict[str, Any], namespace: str) -> bool:
        if check_name("namespace", namespace) in index["namespaces"]:
            return False
        index["namespaces"] = sorted([*index["namespaces"], namespace])
        return True

    def ensure_namespace(self, namespace: str) -> bool:
        """Record the namespace unless it exists; True when this call created it."""
        with self._update() as index:
            return self._add_namespace(index, namespace)

    def ensure_dataset(self, namespace: str, name: str, files_url: str, description: str = "") -> bool:
        """Record a dataset (and its namespace; files_url: its latest revision); True when this call created it."""
        key = f"{check_name('namespace', namespace)}/{check_name('name', name)}"
        with self._update() as index:
            self._add_namespace(index, namespace)
            created = key not in index["datasets"]
            index["datasets"][key] = {"files_url": files_url, "description": description or f"llmops dataset {key}"}
            return created

    def record_model(self, model_id: str, base_model: str, files_url: str) -> None:
        """Record a model (an adapter with its base model and where its files are)."""
        with self._update() as index:
            index["models"][model_id] = {"base_model": base_model, "files_url": files_url}

    def get_model(self, model_id: str) -> dict[str, Any] | None:
        """The recorded model, or None when it is unknown."""
        model = self._read()["models"].get(model_id)
        return None if model is None else {"id": model_id, **model}
