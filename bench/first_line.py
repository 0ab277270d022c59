"""Probe for step start-up: `python -m bench.first_line MODULE` imports Hera's runner and the step module, as
`python -m hera.workflows.runner -e MODULE:function` does before the function's first line (its input
validation aside), prints `time.monotonic()` at that point and exits at once."""

import importlib
import os
import sys
import time

if __name__ == "__main__":
    import hera.workflows.runner  # noqa: F401  (the container's entry point)

    importlib.import_module(sys.argv[1])
    print(time.monotonic(), flush=True)
    os._exit(0)
