"""The MLflow UI as a person sees it: `mlflow server` on the e2e workspace, a run page in headless Chromium."""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def mlflow_server(
    database: Path, timeout_s: float = 90.0, port: int | None = None, artifacts: Path | None = None
) -> Iterator[str]:
    """`mlflow server` on 127.0.0.1 over a SQLite store (and an artifact folder it serves); yields its base URL."""
    port = port or free_port()
    env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{database}"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    if artifacts is not None:
        command += ["--artifacts-destination", artifacts.as_uri()]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"mlflow server on {url} did not answer /health within {timeout_s} s") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def page_text(binary: str, url: str) -> list[str]:
    """The visible text of a page after its scripts ran (headless, sandbox off as in a container), one line each."""
    flags = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]
    done = subprocess.run(
        [binary, *flags, "--virtual-time-budget=20000", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    text = re.sub(r"<script.*?</script>|<style.*?</style>", "", done.stdout, flags=re.S)
    return [html.unescape(line.strip()) for line in re.sub(r"<[^>]+>", "\n", text).splitlines() if line.strip()]


def section(lines: list[str], title: str, size: int = 3) -> list[str]:
    """The lines that follow a section title of the run page (e.g. "Datasets", "Registered models")."""
    index = max(i for i, line in enumerate(lines) if line == title)
    return lines[index + 1 : index + 1 + size]
