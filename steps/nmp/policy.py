"""The nemo-platform backend's call policy: its secrets, its time scale, the errors its clients raise."""

from __future__ import annotations

import httpx
from nemo_platform import APIConnectionError, NeMoPlatformError

from steps.remote.policy import RemotePolicy

SECRET_VARS = ("NMP_API_KEY", "NGC_API_KEY", "HF_TOKEN")

POLICY = RemotePolicy(
    name="nemo-platform",
    secret_vars=SECRET_VARS,
    time_scale_var="LLMOPS_NMP_TIME_SCALE",
    endpoints="NMP_URL",
    connection_errors=(APIConnectionError, httpx.TransportError),
    api_errors=(NeMoPlatformError, httpx.HTTPError, ConnectionError, TimeoutError),
    loggers=("nemo_platform", "nemo_platform._base_client", "httpx", "httpcore", "steps.nmp"),
)
