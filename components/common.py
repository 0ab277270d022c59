"""Settings every component shares: versioned names, the step images, environment, retries."""

from __future__ import annotations

from hera.workflows import ConfigMapEnv, Resources, RetryStrategy, SecretEnv
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
    ]
]
SECRET_ENV = [
    SecretEnv(name=name, secret_name=SECRET, secret_key=key, optional=True)
    for name, key in [
        ("NGC_API_KEY", "ngc-api-key"),
        ("HF_TOKEN", "hf-token"),
        ("MLFLOW_TRACKING_TOKEN", "mlflow-tracking-token"),
        ("JUDGE_API_KEY", "judge-api-key"),
    ]
]
STEP_ENV = CONFIG_ENV + SECRET_ENV

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
