"""The nemo backend's call policy: its secrets, its time scale, the errors its clients raise."""

from __future__ import annotations

import httpx
from nemo_microservices import APIConnectionError, NeMoMicroservicesError

from steps.remote.policy import RemotePolicy

SECRET_VARS = ("NGC_API_KEY", "HF_TOKEN")


def _http2_errors(kind: str) -> tuple[type[BaseException], ...]:
    try:
        import httpx2  # huggingface_hub 2.x's HTTP client
    except ImportError:  # pragma: no cover
        return ()
    return (getattr(httpx2, kind),)


POLICY = RemotePolicy(
    name="nemo",
    secret_vars=SECRET_VARS,
    time_scale_var="LLMOPS_NEMO_TIME_SCALE",
    endpoints="NEMO_URL / NDS_URL / NIM_URL",
    connection_errors=(APIConnectionError, httpx.TransportError, *_http2_errors("TransportError")),
    # What a platform call can raise (SDK, httpx, huggingface_hub, sockets); anything else is a bug, not wrapped.
    api_errors=(NeMoMicroservicesError, httpx.HTTPError, ConnectionError, TimeoutError, *_http2_errors("HTTPError")),
    # Loggers that may print request options, URLs or headers (SDK debug logs include request bodies).
    loggers=(
        "nemo_microservices",
        "nemo_microservices._base_client",
        "httpx",
        "httpcore",
        "huggingface_hub",
        "huggingface_hub.utils._http",
        "steps.nemo",
    ),
)
