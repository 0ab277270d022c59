"""Settings every component shares: versioned names, environment, pod security, retries (images: components.images)."""

from __future__ import annotations

from typing import TypedDict

from hera.workflows import ConfigMapEnv, EmptyDirVolume, Env, Resources, RetryStrategy, SecretEnv
from hera.workflows import models as m

from components.images import VERSION

SUFFIX = "v" + "-".join(VERSION.split(".")[:2])  # templates are versioned by major.minor
CONFIG_MAP = "llmops-config"
SECRET = "llmops-secrets"
CACHE_CONFIG_MAP = "llmops-memo-cache"
SERVICE_ACCOUNT = "llmops-workflow"
LABELS = {"app.kubernetes.io/part-of": "llmops", "llmops/version": VERSION}
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# Argo CD applies templates before the WorkflowTemplate (wave 1) that references them.
ANNOTATIONS = {SYNC_WAVE: "0"}


def cwt_name(family: str) -> str:
    return f"llmops-{family}-{SUFFIX}"


# Endpoints come from a ConfigMap, secrets from a Secret; both optional so a missing key
# fails inside the step with a message naming it, not as an opaque pod creation error.
CONFIG_ENV = [
    ConfigMapEnv(name=name, config_map_name=CONFIG_MAP, config_map_key=key, optional=True)
    for name, key in [
        ("LLMOPS_PLATFORM", "platform"),
        ("NEMO_URL", "nemo-url"),
        ("NDS_URL", "nds-url"),
        ("NIM_URL", "nim-url"),
        ("MLFLOW_TRACKING_URI", "mlflow-tracking-uri"),
        ("LLMOPS_DEPLOYER", "deployer"),
        ("NMP_URL", "nmp-url"),
        ("NMP_WORKSPACE", "nmp-workspace"),
    ]
]
SECRET_ENV = [
    SecretEnv(name=name, secret_name=SECRET, secret_key=key, optional=True)
    for name, key in [
        ("NGC_API_KEY", "ngc-api-key"),
        ("HF_TOKEN", "hf-token"),
        ("MLFLOW_TRACKING_TOKEN", "mlflow-tracking-token"),
        ("JUDGE_API_KEY", "judge-api-key"),
        ("NMP_API_KEY", "nmp-api-key"),
    ]
]

# ---------------------------------------------------------------- locked-down step pods (docs/security.md)
# Every step runs as the image's non-root user with a read-only root filesystem, no capabilities and no
# privilege escalation. What the steps write goes to two volumes. /tmp is each template's own emptyDir (pod
# scratch, gone with the pod): tempfile's files, Hera's outputs (/tmp/hera-outputs) and the library caches
# (Hugging Face hub, torch, matplotlib: XDG_CACHE_HOME/XDG_CONFIG_HOME). The local platform's workspace
# (datastore, models, adapters, reports, lm-eval's dataset cache: steps/settings.py) is LLMOPS_WORKSPACE: the
# templates mount the volume `workspace` but do not define it; the cluster does, as a Workflow-level volume
# from the Argo controller's workflowDefaults (argocd/env/<env>/charts/argo-workflows.yaml): a per-pod emptyDir
# where steps call services (dev, prod), one PVC per run that every step shares on kind (platform: local).
# The local runner keeps its own value of an env var that points into a mounted volume
# (workflows/local_runner/fields.py).
STEP_UID = 10001  # the step image's user and group (Dockerfile)
TMP_DIR = "/tmp"
WORKSPACE_DIR = "/var/lib/llmops"
WORKSPACE_VOLUME = "workspace"  # defined per cluster (workflowDefaults), never by a template
SCRATCH_VOLUMES = [EmptyDirVolume(name="tmp", mount_path=TMP_DIR)]
WORKSPACE_MOUNTS = [m.VolumeMount(name=WORKSPACE_VOLUME, mount_path=WORKSPACE_DIR)]
SCRATCH_ENV = [
    Env(name="LLMOPS_WORKSPACE", value=WORKSPACE_DIR),
    Env(name="XDG_CACHE_HOME", value=f"{TMP_DIR}/.cache"),
    Env(name="XDG_CONFIG_HOME", value=f"{TMP_DIR}/.config"),
]
POD_SECURITY = m.PodSecurityContext(
    run_as_non_root=True,
    run_as_user=STEP_UID,
    run_as_group=STEP_UID,
    fs_group=STEP_UID,  # the emptyDirs (and a workspace PVC that supports it) are group-writable by the step user
    seccomp_profile=m.SeccompProfile(type="RuntimeDefault"),
)
CONTAINER_SECURITY = m.SecurityContext(
    allow_privilege_escalation=False,
    capabilities=m.Capabilities(drop=["ALL"]),
    read_only_root_filesystem=True,
    run_as_non_root=True,
)


class LockedDown(TypedDict):
    """Keyword arguments of every step Script: Script(..., **LOCKED_DOWN)."""

    pod_security_context: m.PodSecurityContext
    security_context: m.SecurityContext
    volumes: list[EmptyDirVolume]
    volume_mounts: list[m.VolumeMount]


LOCKED_DOWN = LockedDown(
    pod_security_context=POD_SECURITY,
    security_context=CONTAINER_SECURITY,
    volumes=SCRATCH_VOLUMES,
    volume_mounts=WORKSPACE_MOUNTS,
)

STEP_ENV = CONFIG_ENV + SECRET_ENV + SCRATCH_ENV

SMALL = Resources(cpu_request="250m", memory_request="512Mi", memory_limit="2Gi")
MEDIUM = Resources(cpu_request="1", memory_request="2Gi", memory_limit="8Gi")
GPU = Resources(cpu_request="4", memory_request="16Gi", memory_limit="32Gi", gpus=1)
GPU_TOLERATIONS = [m.Toleration(key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")]
GPU_NODE_SELECTOR = {"nvidia.com/gpu.present": "true"}

# Infrastructure hiccups (evicted pod, node lost) are retried by Argo; application errors are
# not: a bad dataset stays bad, and job-creating steps find their existing job on re-run.
TRANSIENT = RetryStrategy(
    limit=3, retry_policy="OnError", backoff=m.Backoff(duration="10s", factor=2, maxDuration="5m")
)


def memoize(key: str, max_age: str = "168h") -> m.Memoize:
    return m.Memoize(key=key, max_age=max_age, cache=m.Cache(config_map=m.LocalObjectReference(name=CACHE_CONFIG_MAP)))
