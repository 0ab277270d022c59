"""The nemo-platform backend's call policy: its secrets, its time scale, the errors its clients raise."""

from __future__ import annotations

import httpx
from nemo_platform import APIConnectionError, NeMoPlatformError
from nemo_platform_plugin.client.errors import NemoClientError, NemoTransportError  # type: ignore[import-untyped]

from steps.remote.policy import RemotePolicy

SECRET_VARS = ("NMP_API_KEY", "NGC_API_KEY", "HF_TOKEN")

POLICY = RemotePolicy(
    name="nemo-platform",
    secret_vars=SECRET_VARS,
    time_scale_var="LLMOPS_NMP_TIME_SCALE",
    endpoints="NMP_URL",
    # The files resources (fileset uploads and downloads) go through the SDK plugin's own HTTP client.
    connection_errors=(APIConnectionError, httpx.TransportError, NemoTransportError),
    api_errors=(NeMoPlatformError, NemoClientError, httpx.HTTPError, ConnectionError, TimeoutError),
    loggers=("nemo_platform", "nemo_platform._base_client", "httpx", "httpcore", "steps.nmp"),
)
