"""Persisted run state under `state_dir/<workflow name>/`.

- `state.json`: node phases, inputs/outputs, attempts, timings, uid, resolved parameters (never env values).
- `manifests.json`: the Workflow and templates the run was started with, so `resume` runs the same manifests.
- `logs/<node>.log`: step output (attempts appended). `work/<node>/attempt-<n>/`: inputs file, outputs dir and
  the attempt's `ARGO_PROGRESS_FILE` (`progress`: `N/M`, written by the step, see `steps/progress.py`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from workflows.local_runner.errors import StateError
from workflows.local_runner.results import NodeResult, workflow_failures
from workflows.local_runner.substitution import WorkflowVars

PROGRESS_FILE = "progress"
_UNSAFE = re.compile(r"[^A-Za-z0-9._()=:,+-]")


class RunState(BaseModel):
    version: int = 1
    workflow_name: str
    uid: str
    namespace: str
    created: datetime
    phase: str = "Running"  # Running | Suspended | Succeeded | Failed | Error
    message: str = ""
    owner: str
    entrypoint: str
    on_exit: str | None = None
    parallelism: int  # effective max concurrent step processes
    active_deadline_s: float | None = None
    active_elapsed_s: float = 0.0  # running time so far (suspended time does not count)
    parameters: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    global_outputs: dict[str, str] = Field(default_factory=dict)
    terminated: str | None = None
    exit_status: str | None = None  # {{workflow.status}} once the exit handler started
    nodes: dict[str, NodeResult] = Field(default_factory=dict)

    def workflow_vars(self) -> WorkflowVars:
        """The run's `{{workflow.*}}` values; `failures` lists the failed nodes before the exit handler."""
        exit_prefix = f"{self.workflow_name}.onExit"
        before_exit = {k: n for k, n in self.nodes.items() if not k.startswith(exit_prefix)}
        return WorkflowVars(
            name=self.workflow_name,
            uid=self.uid,
            namespace=self.namespace,
            creation_timestamp=self.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            parameters=self.parameters,
            outputs=self.global_outputs,
            labels=self.labels,
            annotations=self.annotations,
            status=self.exit_status,
            failures=workflow_failures(before_exit) if self.exit_status else None,
            duration=self.active_elapsed_s,
        )


MAX_FILE_NAME = 120  # file systems allow 255 bytes; a fan-out over map items names its nodes with every value


def safe_name(name: str) -> str:
    """A node name as a file name: unsafe characters replaced; a long one cut, with a hash of the whole."""
    safe = _UNSAFE.sub("_", name)
    if len(safe) <= MAX_FILE_NAME:
        return safe
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{safe[: MAX_FILE_NAME - 13]}-{digest}"


class RunStore:
    def __init__(self, state_dir: Path, workflow_name: str) -> None:
        self.directory = state_dir / safe_name(workflow_name)
        self.state_path = self.directory / "state.json"
        self.manifests_path = self.directory / "manifests.json"

    def exists(self) -> bool:
        return self.state_path.exists()

    def driven(self) -> bool:
        """Whether a live process drives the run now (a run left Running by a killed runner is not)."""
        try:
            with open(self.directory / "runner.lock") as lock:
                fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except FileNotFoundError:
            return False
        return False

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Held while a process drives the run: a second one is refused. The lock ends with its process,
        however that ends, so a run whose runner was killed can be retried."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "runner.lock", "a+") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.seek(0)
                raise StateError(
                    f"run {self.directory.name!r} is being driven by another process ({lock.read().strip()}); "
                    "wait for it to end, or stop it, then try again"
                ) from None
            lock.truncate(0)
            lock.write(f"pid {os.getpid()}\n")
            lock.flush()
            yield

    def log_path(self, node_name: str) -> Path:
        return self.directory / "logs" / f"{safe_name(node_name)}.log"

    def node_dir(self, node_name: str) -> Path:
        return self.directory / "work" / safe_name(node_name)

    def work_dir(self, node_name: str, attempt: int) -> Path:
        return self.node_dir(node_name) / f"attempt-{attempt}"

    def progress_path(self, node_name: str) -> Path | None:
        """The progress file of the node's latest attempt; None before its first attempt (or for no step)."""
        attempts = self.directory.joinpath("work", safe_name(node_name)).glob("attempt-*")
        numbered = [(int(p.name.rpartition("-")[2]), p) for p in attempts if p.name.rpartition("-")[2].isdigit()]
        return max(numbered)[1] / PROGRESS_FILE if numbered else None

    def save(self, state: RunState) -> None:
        _atomic_write(self.state_path, state.model_dump_json(indent=1))

    def load(self) -> RunState:
        try:
            return RunState.model_validate_json(self.state_path.read_text())
        except FileNotFoundError:
            raise StateError(f"no run state at {self.state_path}; is the workflow name right?") from None
        except ValidationError as err:
            raise StateError(f"{self.state_path} is not a readable run state: {err}") from None

    def save_manifests(self, workflow: dict[str, Any], templates: list[dict[str, Any]]) -> None:
        _atomic_write(self.manifests_path, json.dumps({"workflow": workflow, "templates": templates}, indent=1))

    def load_manifests(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        try:
            data = json.loads(self.manifests_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError) as err:
            raise StateError(f"{self.manifests_path} is missing or unreadable: {err}") from None
        return data["workflow"], data["templates"]


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
