"""Drives a fixture workflow in a process of its own, as `llmops run` and `llmops retry` drive a run: SIGTERM
stops it like Ctrl-C (the CLI's handler). Used by the kill-and-retry tests.

    python -m tests.runner.drive_fixture run <state_dir> <workflow.json>
    python -m tests.runner.drive_fixture retry <state_dir> <workflow name>
"""

import json
import signal
import sys
from pathlib import Path

from tests.runner.manifests import fixture_cwt
from workflows.local_runner import LocalRunner

REPO = Path(__file__).resolve().parents[2]


def _terminated(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    command, state_dir, what = sys.argv[1:4]
    signal.signal(signal.SIGTERM, _terminated)
    extra = json.loads((Path(state_dir) / "templates.json").read_text())
    runner = LocalRunner(templates=[fixture_cwt(), *extra], state_dir=Path(state_dir), cwd=REPO)
    result = runner.run(json.loads(Path(what).read_text())) if command == "run" else runner.retry(what)
    print(result.phase, result.message)


if __name__ == "__main__":
    main()
