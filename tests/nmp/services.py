"""NeMo Platform's real services as a daemon on 127.0.0.1, for the nemo-platform backend's contract tests.

The services live in their own environment (`make test` installs requirements-nemo-platform-services.lock into
.venv-nemo-platform; LLMOPS_NMP_SERVICES names another). They run without Docker: no container runtime, jobs
as subprocesses, the model deployments plugin off (its package is not published). HOME, XDG_* and NMP_DATA_DIR
point into the run's own folder, so nothing touches the user's home.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = "auth,entities,files,models,secrets,jobs,inference-gateway,evaluator,guardrails"
CONTROLLERS = "jobs,entities"
READY_TIMEOUT = 240.0


def services_venv() -> Path:
    return Path(os.environ.get("LLMOPS_NMP_SERVICES", "").strip() or ROOT / ".venv-nemo-platform")


def installed() -> bool:
    return (services_venv() / "bin" / "nemo").is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(state: Path, port: int) -> dict:
    """Services without a container runtime: only the subprocess jobs executor, deployments plugin off."""
    jobs_dir = str(state / "jobs")
    executor = {
        "working_directory": jobs_dir,
        "cleanup_completed_jobs_immediately": False,
        "ttl_seconds_before_active": 60,
        "ttl_seconds_active": 3600,
        "ttl_seconds_after_finished": 300,
    }
    base = f"http://127.0.0.1:{port}"
    return {
        "platform": {"runtime": "none", "base_url": base},
        "service": {},
        "auth": {
            "enabled": False,
            "allow_unsigned_jwt": True,
            "policy_decision_point_provider": "embedded",
            "policy_decision_point_base_url": base,
            "policy_data_refresh_interval": 2,
            "bundle_cache_seconds": 15,
            "admin_email": "admin@example.com",
        },
        "entities": {},
        "jobs": {
            "executors": [
                {"provider": "subprocess", "profile": "default", "backend": "subprocess", "config": executor}
            ],
            "executor_defaults": {"subprocess": executor},
        },
        "models": {
            "controller": {
                "interval_seconds": 5,
                "model_deployment_garbage_collection_ttl_seconds": 30,
                "backends": {"deployments_plugin": {"enabled": False}},
            }
        },
        "inference_gateway": {},
        "secrets": {"allow_key_creation": True},
        "files": {"default_storage_config": {"type": "local", "path": str(state / "files")}},
    }


@dataclass
class Services:
    base_url: str
    state: Path
    instance: str
    env: dict[str, str]

    def stop(self) -> None:
        subprocess.run(
            [str(services_venv() / "bin" / "nemo"), "services", "stop", "--instance", self.instance],
            env=self.env,
            capture_output=True,
            timeout=120,
            check=False,
        )

    def status(self) -> dict:
        with urllib.request.urlopen(f"{self.base_url}/status", timeout=5) as response:
            return json.loads(response.read())

    def log_tail(self, lines: int = 60) -> str:
        logs = sorted(self.state.rglob("*.log"))
        return "\n".join(p.read_text(errors="replace").splitlines()[-lines:][-1] for p in logs if p.stat().st_size)


def start(state: Path) -> Services:
    """Start the services in `state` on a free port; returns once they and the job controllers are healthy."""
    state.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    cfg = state / "services.yaml"
    cfg.write_text(yaml.safe_dump(config(state, port)))
    home = state / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("NMP_", "NEMO_", "NGC_", "HF_TOKEN"))},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "NMP_DATA_DIR": str(state / "data"),
    }
    home.mkdir(exist_ok=True)
    instance = f"llmops-tests-{port}"
    services = Services(f"http://127.0.0.1:{port}", state, instance, env)
    command = [
        *(str(services_venv() / "bin" / "nemo"), "services", "start", "--host", "127.0.0.1", "--port", str(port)),
        *("--config", str(cfg), "--services", SERVICES, "--controllers", CONTROLLERS, "--instance", instance),
    ]
    # The CLI gives up waiting after 60 s (or hangs) while the daemon it started goes on starting on a loaded
    # machine: then wait for the daemon here; any other failure of the CLI is final.
    try:
        started = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=READY_TIMEOUT / 2, check=False, cwd=state
        )
        output = f"{started.stdout}\n{started.stderr}"
        if started.returncode != 0 and "did not become ready" not in output:
            raise RuntimeError(f"nemo services start failed ({started.returncode}): {output}")
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + READY_TIMEOUT
    last: object = None
    while time.monotonic() < deadline:  # the job controllers report unhealthy for a few seconds after /status
        try:
            last = services.status()
            if last.get("status") == "healthy" and (last.get("controllers") or {}).get("healthy"):
                return services
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    services.stop()
    raise RuntimeError(f"NeMo Platform services not healthy after {READY_TIMEOUT:.0f}s: {last}")
