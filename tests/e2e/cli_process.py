"""`llmops ARGS` as a person runs it, in a process of its own, watched while it runs (kill and retry tests)."""

import subprocess
import sys
import threading
import time
from fnmatch import fnmatch

from tests.e2e.conftest import ROOT
from workflows.local_runner.leftovers import PID_FILE, leftover_process


class Cli:
    """`llmops ARGS` in its own process, its output collected as it comes."""

    def __init__(self, env, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.reader.start()

    def wait(self) -> tuple[int, str]:
        code = self.proc.wait(timeout=900)
        self.reader.join(timeout=10)
        return code, "".join(self.lines)

    def started(self, store, pattern, after_s=0.0):
        """Wait until the step process of the node named like `pattern` runs (and `after_s` more)."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and self.proc.poll() is None:
            nodes = store.load().nodes if store.exists() else {}
            for name in (n for n, node in nodes.items() if fnmatch(n, pattern) and node.phase == "Running"):
                pid_file = store.work_dir(name, 1) / PID_FILE
                if pid_file.exists() and (process := leftover_process(pid_file)) is not None:
                    time.sleep(after_s)
                    return process
            time.sleep(0.05)
        raise AssertionError(f"{pattern} never started:\n{''.join(self.lines)[-3000:]}")

    def run_name(self) -> str:
        """The run's name, from the first line `llmops run` prints ("running <name> (run spec ...)")."""
        while not (running := [line for line in self.lines if line.startswith("running ")]):
            assert self.proc.poll() is None, "".join(self.lines)
            time.sleep(0.05)
        return running[0].split()[1]
