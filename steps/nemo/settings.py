"""Endpoints, secrets and timings of the NeMo platform, read from the environment only.

Endpoints (as in NVIDIA's tutorials):
- NEMO_URL: Entity Store, Customizer, Evaluator, Deployment Management, Guardrails (one ingress).
- NDS_URL: Data Store (Hugging Face Hub API under `/v1/hf`, namespaces under `/v1/datastore`).
- NIM_URL: NIM OpenAI API (base models and LoRA adapters).

Secrets come only from environment variables set from Kubernetes Secrets, never from workflow
parameters: NGC_API_KEY (bearer token for NIM and Evaluator targets, when set), HF_TOKEN (Data Store,
Deployment Management, lm-eval datasets, when set). `redact` removes their values from any text
before it reaches a log line, an exception or a returned object.

Deployment knobs (optional): NIM_IMAGE_TAG (default `latest`), NIM_GPU (default 1), NIM_PVC_SIZE
(default `25Gi`), LLMOPS_CUSTOMIZATION_CONFIG (default: the config whose target is the base
model). LLMOPS_DEPLOYER (the ConfigMap key `deployer`) picks who serves the base model:
`nemo-deployment` (default: NeMo Deployment Management) or `nim-operator` (NIMCache and NIMService
resources through the Kubernetes API; docs/nim-operator.md), whose knobs are LLMOPS_NIM_NAMESPACE
(default: the step's own namespace), LLMOPS_NIM_PULL_SECRET (default `ngc-secret`),
LLMOPS_NIM_AUTH_SECRET (default `ngc-api-secret`), LLMOPS_NIM_STORAGE_CLASS (default: the cluster's)
and LLMOPS_NIM_PEFT_SOURCE (default NEMO_URL, where the Entity Store serves the adapters).
LLMOPS_NEMO_TIME_SCALE (default 1) multiplies every wait, poll interval and timeout;
tests set it small to run job lifecycles in milliseconds.
"""

from __future__ import annotations

import os
import re

from steps.errors import PlatformNotAvailableError
from steps.nemo.policy import POLICY, SECRET_VARS
from steps.remote import waiting
from steps.remote.policy import REDACTED

__all__ = ["REDACTED", "SECRET_VARS"]

ENDPOINT_VARS = ("NEMO_URL", "NDS_URL", "NIM_URL")
_EXAMPLES = {"NEMO_URL": "http://nemo.test", "NDS_URL": "http://data-store.test", "NIM_URL": "http://nim.test"}


def _url(var: str) -> str:
    value = os.environ.get(var, "").strip().rstrip("/")
    if not value:
        raise PlatformNotAvailableError(
            f"{var} is not set; the nemo platform needs it (e.g. {var}={_EXAMPLES[var]}). "
            "Set it, or run with LLMOPS_PLATFORM=local"
        )
    if not re.match(r"^https?://[^/\s]+", value):
        raise PlatformNotAvailableError(f"{var}={value!r} is not an http(s) URL; e.g. {var}={_EXAMPLES[var]}")
    return value


def nemo_url() -> str:
    return _url("NEMO_URL")


def nds_url() -> str:
    return _url("NDS_URL")


def nim_url() -> str:
    return _url("NIM_URL")


def _secret(var: str) -> str | None:
    value = os.environ.get(var, "").strip()
    return value or None


def ngc_api_key() -> str | None:
    return _secret("NGC_API_KEY")


def hf_token() -> str | None:
    return _secret("HF_TOKEN")


secret_values = POLICY.secret_values
redact = POLICY.redact
time_scale = POLICY.time_scale  # LLMOPS_NEMO_TIME_SCALE


class Timing(waiting.Timing):
    """How often to poll and how long to wait for one kind of long-running object (seconds)."""

    def scaled(self, k: float | None = None) -> Timing:
        k = time_scale() if k is None else k
        return Timing(poll=self.poll * k, stall=self.stall * k, cap=self.cap * k)


# Poll intervals from the blueprint's tuned values (nemo-api.md §9); caps generous for GPU queues.
CUSTOMIZATION = Timing(poll=15, stall=3600, cap=24 * 3600)
EVALUATION = Timing(poll=5, stall=1800, cap=6 * 3600)
DEPLOYMENT = Timing(poll=5, stall=1800, cap=3600)
MODEL_SYNC = Timing(poll=15, stall=3600, cap=3600)
NIM_CACHE = Timing(poll=10, stall=3600, cap=6 * 3600)  # a model download; its state changes rarely


def nim_image_tag() -> str:
    return os.environ.get("NIM_IMAGE_TAG", "").strip() or "latest"


def nim_gpu() -> int:
    raw = os.environ.get("NIM_GPU", "").strip() or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise PlatformNotAvailableError(f"NIM_GPU={raw!r} is not a positive integer")
    return int(raw)


def nim_pvc_size() -> str:
    return os.environ.get("NIM_PVC_SIZE", "").strip() or "25Gi"


def customization_config() -> str | None:
    """LLMOPS_CUSTOMIZATION_CONFIG pins the Customizer config (`ns/name`); unset = pick by base model."""
    return os.environ.get("LLMOPS_CUSTOMIZATION_CONFIG", "").strip() or None


DEPLOYERS = ("nemo-deployment", "nim-operator")


def deployer() -> str:
    """Who serves the base model: LLMOPS_DEPLOYER (the ConfigMap key `deployer`), `nemo-deployment` when unset."""
    value = os.environ.get("LLMOPS_DEPLOYER", "").strip() or DEPLOYERS[0]
    if value not in DEPLOYERS:
        raise PlatformNotAvailableError(
            f"LLMOPS_DEPLOYER={value!r} is not a deployer; use one of: {', '.join(DEPLOYERS)} "
            "(on a cluster: the `deployer` key of the llmops-config ConfigMap)"
        )
    return value


def _optional(var: str) -> str | None:
    return os.environ.get(var, "").strip() or None


def nim_namespace() -> str | None:
    """LLMOPS_NIM_NAMESPACE: where the NIM Operator resources live; None = the step's own namespace."""
    return _optional("LLMOPS_NIM_NAMESPACE")


def nim_pull_secret() -> str:
    return _optional("LLMOPS_NIM_PULL_SECRET") or "ngc-secret"


def nim_auth_secret() -> str:
    return _optional("LLMOPS_NIM_AUTH_SECRET") or "ngc-api-secret"


def nim_storage_class() -> str | None:
    return _optional("LLMOPS_NIM_STORAGE_CLASS")


def nim_peft_source() -> str:
    """The Entity Store URL NIM loads LoRA adapters from (NIM_PEFT_SOURCE): LLMOPS_NIM_PEFT_SOURCE, else NEMO_URL."""
    value = _optional("LLMOPS_NIM_PEFT_SOURCE")
    if value is None:
        return nemo_url()
    if not re.match(r"^https?://[^/\s]+", value):
        raise PlatformNotAvailableError(f"LLMOPS_NIM_PEFT_SOURCE={value!r} is not an http(s) URL")
    return value.rstrip("/")
