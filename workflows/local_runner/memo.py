"""Memoization cache: one JSON file per Argo cache ConfigMap, `state_dir/memo/<configMap name>.json`.

Each file maps a memoize key to {"outputs": {...}, "result": str | None, "created": epoch seconds}.
Writes are atomic (temp file + rename) and serialised by a per-file thread lock and an flock, so threads and
concurrent runner processes can share a cache.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

try:  # POSIX only; on other systems the thread lock alone serialises writers of this process
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]  # no fcntl module here; the lock code checks for None

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class MemoEntry:
    outputs: dict[str, str]
    result: str | None
    created: float


class MemoCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, config_map: str) -> Path:
        return self.directory / f"{_SAFE.sub('_', config_map)}.json"

    def get(self, config_map: str, key: str, max_age_s: float | None) -> MemoEntry | None:
        raw = self._read(self.path(config_map)).get(key)
        if not isinstance(raw, dict):
            return None
        created = float(raw.get("created", 0))
        if max_age_s is not None and time.time() - created > max_age_s:
            return None
        return MemoEntry({str(k): str(v) for k, v in (raw.get("outputs") or {}).items()}, raw.get("result"), created)

    def put(self, config_map: str, key: str, outputs: dict[str, str], result: str | None) -> None:
        path = self.path(config_map)
        with self._locked(path):
            data = self._read(path)
            data[key] = {"outputs": outputs, "result": result, "created": time.time()}
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
            os.replace(tmp, path)

    @staticmethod
    def _read(path: Path) -> dict[str, object]:
        try:
            data = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(path, threading.Lock())
        with lock, open(path.with_name(f".{path.name}.lock"), "w") as handle:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(handle, fcntl.LOCK_UN)
