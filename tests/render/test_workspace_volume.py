"""The workspace volume is chosen per cluster, not per template (docs/security.md, "Step pods").

Every step template mounts the volume `workspace` at LLMOPS_WORKSPACE and none defines it: the Argo controller's
`workflowDefaults` (argo-workflows values) add it to every Workflow, those that reference the pipeline's
template included. With `platform: local` (kind) the local platform keeps its state there, so all steps of a run
must share it: one ReadWriteOnce PVC per run. Where the steps call NeMo services (dev, prod): a per-pod emptyDir.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.common import WORKSPACE_DIR, WORKSPACE_VOLUME
from tests.render.helm_chart import ROOT
from workflows.gitops.inventory import release_values

ENVIRONMENTS = sorted(p.name for p in (ROOT / "argocd" / "env").iterdir() if p.is_dir())


def _load(path: Path) -> dict:
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def _workflow_defaults(env: str) -> dict:
    """The argo-workflows chart's controller.workflowDefaults.spec for an environment, as Argo CD and `make cluster`
    pass the values: charts/values/argo-workflows.yaml, then argocd/env/<env>/charts/argo-workflows.yaml."""
    values = release_values("argo-workflows", env)
    return ((values.get("controller") or {}).get("workflowDefaults") or {}).get("spec") or {}


def _platform(env: str) -> str:
    return str((_load(ROOT / "argocd" / "env" / env / "values.yaml").get("config") or {}).get("platform", ""))


def test_environments_cover_both_kinds_of_workspace():
    platforms = {env: _platform(env) for env in ENVIRONMENTS}
    assert platforms.get("kind") == "local"
    assert {"dev", "prod"} <= {env for env, platform in platforms.items() if platform != "local"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_defines_the_workspace_once(env):
    spec = _workflow_defaults(env)
    volumes = [v for v in spec.get("volumes") or [] if v.get("name") == WORKSPACE_VOLUME]
    claims = [
        c for c in spec.get("volumeClaimTemplates") or [] if (c.get("metadata") or {}).get("name") == WORKSPACE_VOLUME
    ]
    # Argo looks a mount's name up in the Workflow's volumes before its claims: both would silently mean the volume.
    assert len(volumes) + len(claims) == 1, f"{env}: workspace volumes {volumes}, claims {claims}"
    if _platform(env) == "local":
        assert claims, f"{env}: platform local needs one workspace PVC per run that every step shares"
        assert claims[0]["spec"]["accessModes"] == ["ReadWriteOnce"]
        assert claims[0]["spec"]["resources"]["requests"]["storage"]
    else:
        assert volumes == [{"name": WORKSPACE_VOLUME, "emptyDir": {}}], f"{env}: expected a per-pod emptyDir"


def test_every_step_template_mounts_the_workspace_and_none_defines_it(docs):
    steps = 0
    for doc in docs:
        spec = doc["spec"]
        assert WORKSPACE_VOLUME not in {v["name"] for v in spec.get("volumes") or []}, doc["metadata"]["name"]
        assert not spec.get("volumeClaimTemplates"), doc["metadata"]["name"]
        for t in spec.get("templates") or []:
            where = f"{doc['metadata']['name']}/{t['name']}"
            assert WORKSPACE_VOLUME not in {v["name"] for v in t.get("volumes") or []}, where
            body = t.get("script") or t.get("container")
            if body is None:
                continue
            steps += 1
            mounts = {m["name"]: m["mountPath"] for m in body.get("volumeMounts") or []}
            assert mounts.get(WORKSPACE_VOLUME) == WORKSPACE_DIR, f"{where}: mounts {mounts}"
    assert steps >= 10
