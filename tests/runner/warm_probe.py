"""Run as `python -m tests.runner.warm_probe ACTION [ARG]` by the warm-start tests: what a step process sees."""

import atexit
import json
import os
import random
import sys
import threading
import time
from pathlib import Path


def main(action: str, arg: str) -> None:
    if action == "report":
        print(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "ppid": os.getppid(),
                    "sid": os.getsid(0),
                    "cwd": os.getcwd(),
                    "argv": sys.argv[1:],
                    "path0": sys.path[0],
                    "marker": os.environ.get("LLMOPS_PROBE_MARKER"),
                    "random": random.random(),
                    "stdin": sys.stdin.read(),
                    "name": __name__,
                }
            )
        )
        print("to stderr", file=sys.stderr)
    elif action == "exit":
        sys.exit(int(arg) if arg.isdigit() else arg)
    elif action == "raise":
        raise RuntimeError(arg)
    elif action == "linger":  # a non-daemon thread and an atexit handler: both must finish before exit
        atexit.register(lambda: Path(arg, "atexit").write_text("ran"))
        threading.Thread(target=lambda: (time.sleep(0.3), Path(arg, "thread").write_text("ran"))).start()
    elif action == "sleep":
        print("sleeping", flush=True)
        time.sleep(float(arg))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
