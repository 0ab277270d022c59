"""`make cluster`'s script (deploy/kind/cluster.sh) run against stand-ins for kind, docker, helm, kubectl
and make that record their arguments: what a Docker engine would be asked to do, checked without one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components.common import SECRET, SECRET_ENV
from components.images import TARGETS

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "kind" / "cluster.sh"
# Each stand-in appends its argv (one line, arguments separated by tabs) to $CALLS; kubectl also keeps
# what it reads from --from-env-file, and prints a YAML document for `--dry-run=client -o yaml`.
STUB = """#!/usr/bin/env bash
printf '%s' "$(basename "$0")" >> "$CALLS"; printf '\\t%s' "$@" >> "$CALLS"; echo >> "$CALLS"
for arg in "$@"; do
  case "$arg" in --from-env-file=*) cat "${arg#--from-env-file=}" >> "$CALLS.env";; esac
done
if [[ "$(basename "$0")" == kubectl && " $* " == *" --dry-run=client "* ]]; then echo "kind: Secret"; fi
if [[ "$(basename "$0")" == kubectl && " $* " == *" -f - "* ]]; then cat > /dev/null; fi
exit 0
"""
SECRETS = {"NGC_API_KEY": "nvapi-not-a-real-key-123", "JUDGE_API_KEY": "judge-not-a-real-key-456"}


@pytest.fixture
def run(tmp_path: Path):
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the script")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for tool in ("kind", "docker", "helm", "kubectl", "make"):
        (stubs / tool).write_text(STUB)
        (stubs / tool).chmod(0o755)
    calls = tmp_path / "calls"
    env = {k: v for k, v in os.environ.items() if k not in {s.name for s in SECRET_ENV}}
    env |= {"PATH": f"{stubs}:/usr/bin:/bin", "CALLS": str(calls), "PYTHON": sys.executable, **SECRETS}

    def _run(*args: str) -> tuple[subprocess.CompletedProcess, list[list[str]], str]:
        done = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=120)
        lines = calls.read_text().splitlines() if calls.exists() else []
        env_files = Path(f"{calls}.env").read_text() if Path(f"{calls}.env").exists() else ""
        return done, [line.split("\t") for line in lines], env_files

    return _run


def test_up_installs_the_pinned_charts_the_image_and_the_secrets(run):
    done, calls, env_files = run("up")
    assert done.returncode == 0, done.stderr
    helm = [c for c in calls if c[0] == "helm"]
    expected = [yaml.safe_load((REPO / "charts/versions/management.yaml").read_text())]
    for entry, call in zip(expected[0], helm, strict=False):
        assert call[1:5] == ["upgrade", "--install", entry["release"], entry["chart"]]
        assert call[call.index("--repo") + 1] == entry["repoURL"]
        assert call[call.index("--version") + 1] == str(entry["version"])
        assert call[call.index("--namespace") + 1] == entry["namespace"]
        assert f"charts/values/{entry['release']}.yaml" in call
        env_values = f"argocd/env/kind/charts/{entry['release']}.yaml"
        assert (env_values in call) == (REPO / env_values).is_file()
    releases = [c[3] for c in helm]
    assert releases == [e["release"] for e in expected[0]] + ["llmops", "argo-cd"]
    assert all(["kind", "load", "docker-image", image, "--name", "llmops"] in calls for image in TARGETS.values())
    assert ["make", "image"] in calls
    applied = [c[c.index("-f") + 1] for c in calls if c[0] == "kubectl" and "apply" in c and "-f" in c]
    assert {"argocd/project.yaml", "argocd/root.yaml", "argocd/apps/namespace.yaml"} <= set(applied)
    keys = {e.name: e.secret_key for e in SECRET_ENV}
    assert f"{keys['NGC_API_KEY']}={SECRETS['NGC_API_KEY']}" in env_files.splitlines()
    assert f"{keys['JUDGE_API_KEY']}={SECRETS['JUDGE_API_KEY']}" in env_files.splitlines()
    assert f"secret llmops/{SECRET}: keys {keys['NGC_API_KEY']},{keys['JUDGE_API_KEY']}" in done.stdout
    everything = "\n".join("\t".join(c) for c in calls) + done.stdout + done.stderr
    assert not any(value in everything for value in SECRETS.values()), "secret values on a command line or printed"
    assert "port-forward svc/argo-workflows-server 2746:2746" in done.stdout
    assert "ARGO_SERVER=http://localhost:2746 llmops submit" in done.stdout


def test_down_deletes_the_cluster(run):
    done, calls, _ = run("down")
    assert done.returncode == 0 and calls == [["kind", "delete", "cluster", "--name", "llmops"]]


def test_missing_tools_fail_early_with_their_names(tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run the script")
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(["/bin/bash", str(SCRIPT), "up"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "make cluster needs kind docker helm kubectl make on PATH" in done.stderr
