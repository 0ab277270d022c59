"""Local deployer: the base model is copied from its committed weights into the workspace, served in-process.

"Serving an adapter" on the local platform means recording it in a serving index
(workspace/serving.json: base model -> adapters), the local stand-in for a NIM's LoRA store.
The release of a base model (the adapter its released endpoint answers with: rollout sets it,
rollback re-points it) is recorded next to it (workspace/released.json: base model -> adapter).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from steps.contracts import Deployment


class LocalDeployer:
    def __init__(self, root: Path) -> None:
        self.root = root

    def model_dir(self, base_model: str) -> Path:
        """The base model's folder (local platform only: training, inference and evaluation load it)."""
        from steps.local.base_model import ensure_base_model

        return ensure_base_model(base_model)

    def ensure_base(self, base_model: str) -> Deployment:
        path = self.model_dir(base_model)
        return Deployment(model_id=base_model, model_key=path.name, endpoint=f"local://{path}", path=str(path))

    @property
    def _index(self) -> Path:
        return self.root / "serving.json"

    def served_adapters(self) -> dict[str, list[str]]:
        if not self._index.exists():
            return {}
        return json.loads(self._index.read_text())

    def serve_adapter(self, base_model: str, adapter_id: str) -> bool:
        """Make an adapter servable next to its base model; False if it already was."""
        index = self.served_adapters()
        adapters = index.setdefault(base_model, [])
        if adapter_id in adapters:
            return False
        adapters.append(adapter_id)
        self._write(self._index, index)
        return True

    @property
    def _releases(self) -> Path:
        return self.root / "released.json"

    def released_adapter(self, base_model: str) -> str | None:
        if not self._releases.exists():
            return None
        released: dict[str, str] = json.loads(self._releases.read_text())
        return released.get(base_model)

    def release_adapter(self, base_model: str, adapter_id: str) -> bool:
        """Serve the adapter (if it is not yet) and point the base model's release at it; False if it was."""
        self.serve_adapter(base_model, adapter_id)
        released = json.loads(self._releases.read_text()) if self._releases.exists() else {}
        if released.get(base_model) == adapter_id:
            return False
        released[base_model] = adapter_id
        self._write(self._releases, released)
        return True

    def _write(self, path: Path, value: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump(value, handle, indent=2, sort_keys=True)
        os.replace(tmp, path)
