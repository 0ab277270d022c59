"""Process-wide settings read from the environment (the only place steps read configuration from).

- LLMOPS_PLATFORM: the backend (read by `steps.platforms.configured`, which knows the names).
- LLMOPS_WORKSPACE: folder for the local platform's state (datastore, models, MLflow DB, caches);
  default `.llmops` under the current directory.
- LLMOPS_PROJECT_DIR: folder that relative dataset paths resolve against; default the current directory.
- MLFLOW_TRACKING_URI: tracking server; default a SQLite file in the workspace.
"""

from __future__ import annotations

import os
from pathlib import Path


def workspace() -> Path:
    path = Path(os.environ.get("LLMOPS_WORKSPACE", ".llmops")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def project_dir() -> Path:
    return Path(os.environ.get("LLMOPS_PROJECT_DIR", ".")).resolve()


def tracking_uri() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if uri:
        return uri
    return f"sqlite:///{workspace() / 'mlflow.db'}"


def torch_threads() -> int:
    """Threads per step process: the share the local runner gives the step now (LLMOPS_THREADS_FILE, updated as
    steps start and end, see `steps.thread_budget`), else its share at start (LLMOPS_THREADS), else every core."""
    for value in (_read(os.environ.get("LLMOPS_THREADS_FILE", "")), os.environ.get("LLMOPS_THREADS", "")):
        if value.isdigit() and int(value) > 0:
            return int(value)
    return max(1, os.cpu_count() or 1)


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip() if path else ""
    except OSError:
        return ""


def llmops_version() -> str:
    """The installed llmops package's version (part of every memoization key: new code, new results)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llmops")
    except PackageNotFoundError:
        return "not-installed"
