"""Step progress, written as Argo Workflows reads it: `N/M` in the file named by `ARGO_PROGRESS_FILE`.

Argo's executor reads that file every few seconds and shows the value as the node's progress in the UI
(Argo >= 3.3, "self reporting progress"); the local runner sets the variable per node and draws a bar from
it. What Argo's `N/M` cannot carry (the unit, and a short note such as the training loss) goes to a
sidecar `<ARGO_PROGRESS_FILE>.json`, which Argo ignores. Without the variable (a step called directly,
a test) `report` does nothing. Imports nothing of the project: every layer may use it.

    from steps import progress
    progress.report(step, total_steps, unit="steps", note=f"loss {loss:.3f}")
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

ENV = "ARGO_PROGRESS_FILE"
MIN_INTERVAL_S = 0.5  # writes closer together than this are skipped (the first and the last never are)

_last_write: dict[str, float] = {}


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    unit: str = "items"
    note: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0


def report(done: int, total: int, unit: str = "items", note: str = "") -> None:
    """Record that `done` of `total` units are finished (Argo's `N/M`), at most every MIN_INTERVAL_S."""
    path = os.environ.get(ENV)
    if not path or total <= 0:
        return
    now = time.monotonic()
    if 0 < done < total and now - _last_write.get(path, float("-inf")) < MIN_INTERVAL_S:
        return
    _last_write[path] = now
    done = max(0, min(done, total))
    _replace(Path(path + ".json"), json.dumps({"unit": unit, "note": note}))
    _replace(Path(path), f"{done}/{total}\n")


def read(path: Path) -> Progress | None:
    """The progress in `path` (and its sidecar), or None while there is none or it is not `N/M`."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    done_text, _, total_text = text.rpartition("\n")[2].partition("/")
    if not (done_text.isdigit() and total_text.isdigit()):
        return None
    try:
        extra = json.loads(Path(str(path) + ".json").read_text())
    except (OSError, ValueError):
        extra = {}
    if not isinstance(extra, dict):
        extra = {}
    return Progress(int(done_text), int(total_text), str(extra.get("unit") or "items"), str(extra.get("note") or ""))


def _replace(path: Path, text: str) -> None:
    """Readers never see a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:
        pass  # progress is informational: a full disk or a vanished folder must not fail the step
