"""Endpoint, workspace, secrets and timings of the nemo-platform backend, read from the environment only.

- NMP_URL: the NeMo Platform's base URL (one ingress: `/apis/<service>/v2/workspaces/{workspace}/...`).
- NMP_WORKSPACE: the workspace the pipeline's filesets, entities, jobs and configs live in (default `llmops`;
  created when missing). A run spec's `namespace` names the dataset's and model's entity prefix, as on
  the other platforms; the workspace is the Platform's tenancy boundary, set once per installation.

Secrets come only from environment variables set from Kubernetes Secrets, never from workflow parameters:
NMP_API_KEY (the Platform's bearer token, when its auth is on), NGC_API_KEY (a model provider's key behind
the Inference Gateway), HF_TOKEN. `redact` removes their values from any text before it reaches a log line,
an exception or a returned object. LLMOPS_NMP_TIME_SCALE (default 1) multiplies every wait, poll interval
and timeout; tests set it small.
"""

from __future__ import annotations

import os
import re

from steps.errors import PlatformNotAvailableError
from steps.nmp.policy import POLICY
from steps.remote.waiting import Timing

URL_VAR = "NMP_URL"
WORKSPACE_VAR = "NMP_WORKSPACE"
DEFAULT_WORKSPACE = "llmops"
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")

redact = POLICY.redact
time_scale = POLICY.time_scale


def base_url() -> str:
    value = os.environ.get(URL_VAR, "").strip().rstrip("/")
    if not value:
        raise PlatformNotAvailableError(
            f"{URL_VAR} is not set; the nemo-platform backend needs the Platform's base URL "
            f"(e.g. {URL_VAR}=http://nemo-platform.test). Set it, or run with LLMOPS_PLATFORM=local"
        )
    if not re.match(r"^https?://[^/\s]+", value):
        raise PlatformNotAvailableError(f"{URL_VAR}={value!r} is not an http(s) URL; e.g. http://nemo-platform.test")
    return value


def workspace() -> str:
    value = os.environ.get(WORKSPACE_VAR, "").strip() or DEFAULT_WORKSPACE
    if not _NAME.match(value):
        raise PlatformNotAvailableError(
            f"{WORKSPACE_VAR}={value!r} is not a workspace name: lower-case letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters"
        )
    return value


def api_key() -> str | None:
    return os.environ.get("NMP_API_KEY", "").strip() or None


def ngc_api_key() -> str | None:
    return os.environ.get("NGC_API_KEY", "").strip() or None


# Poll intervals and limits per kind of long-running object (multiplied by LLMOPS_NMP_TIME_SCALE).
CUSTOMIZATION = Timing(poll=15, stall=3600, cap=24 * 3600)
EVALUATION = Timing(poll=2, stall=1800, cap=6 * 3600)
DEPLOYMENT = Timing(poll=5, stall=1800, cap=3600)
MODEL_SYNC = Timing(poll=1, stall=600, cap=1800)  # until the Inference Gateway lists a model


# Customization and deployments (steps/nmp/customizer.py, steps/nmp/deployer.py).
CUSTOMIZATION_BACKEND_VAR = "LLMOPS_NMP_CUSTOMIZATION_BACKEND"
CUSTOMIZATION_BACKENDS = ("automodel", "unsloth")
DEPLOYMENT_GPUS_VAR = "LLMOPS_NMP_DEPLOYMENT_GPUS"


def customization_backend() -> str:
    """The training backend of LoRA jobs: `automodel` (default) or `unsloth`."""
    value = os.environ.get(CUSTOMIZATION_BACKEND_VAR, "").strip().lower() or CUSTOMIZATION_BACKENDS[0]
    if value not in CUSTOMIZATION_BACKENDS:
        raise PlatformNotAvailableError(
            f"{CUSTOMIZATION_BACKEND_VAR}={value!r} is not a customization backend of this project; "
            f"use one of {', '.join(CUSTOMIZATION_BACKENDS)}"
        )
    return value


def deployment_gpus() -> int:
    """GPUs of the base model's deployment (default 1)."""
    raw = os.environ.get(DEPLOYMENT_GPUS_VAR, "").strip() or "1"
    if not raw.isdigit():
        raise PlatformNotAvailableError(f"{DEPLOYMENT_GPUS_VAR}={raw!r} is not a whole number of GPUs (e.g. 1)")
    return int(raw)
