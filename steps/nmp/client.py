"""The NeMo Platform SDK client (retries off) and the shared call helpers bound to this backend's policy.

The SDK retries POSTs by default, which can start a second job; our client is built with `max_retries=0`,
reads go through `call_idempotent`, job creates through `create_once` (`steps/remote/calls.py`).
The SDK discovers plugin resources (`client.evaluator`, ...) through entry points and logs each it cannot
load; those it does not need here are quietened.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import httpx

from steps.nmp import settings
from steps.nmp.policy import POLICY
from steps.remote import calls

API_ERRORS = POLICY.api_errors
get_logger = POLICY.get_logger
call_idempotent = functools.partial(calls.call_idempotent, POLICY)
create_once = functools.partial(calls.create_once, POLICY)
describe = functools.partial(calls.describe, POLICY)
platform_error = functools.partial(calls.platform_error, POLICY)
status_of = calls.status_of


class _PluginNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to load '")


def platform_client(timeout: float = 60.0) -> Any:
    """The SDK client for NMP_URL in NMP_WORKSPACE, with retries off and the bearer token when one is set."""
    from nemo_platform import NeMoPlatform

    POLICY.install_log_redaction()
    for name in ("nemo_platform", "nemo_platform_plugin", "nemo_platform_plugin.discovery"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _PluginNoise) for f in logger.filters):
            logger.addFilter(_PluginNoise())
    return NeMoPlatform(
        base_url=settings.base_url(),
        workspace=settings.workspace(),
        access_token=settings.api_key(),
        max_retries=0,
        timeout=httpx.Timeout(timeout, connect=5.0),
    )


_READY: set[tuple[str, str]] = set()


def ready(client: Any) -> Any:
    """`client`, once NMP_WORKSPACE exists (created on a process's first write there; building a port sends
    no request, so a step only needs the Platform when it calls it)."""
    key = (settings.base_url(), settings.workspace())
    if key not in _READY:
        ensure_workspace(client)
        _READY.add(key)
    return client


def ensure_workspace(client: Any) -> bool:
    """Create NMP_WORKSPACE when missing; True when this call created it (409: someone else just did)."""
    name = settings.workspace()
    try:
        call_idempotent(client.workspaces.retrieve, name, what=f"GET workspace {name}")
        return False
    except API_ERRORS as exc:
        if status_of(exc) != 404:
            raise platform_error(exc, f"GET /apis/entities/v2/workspaces/{name}") from None
    try:
        call_idempotent(client.workspaces.create, name=name, what=f"create workspace {name}")
        return True
    except API_ERRORS as exc:
        if status_of(exc) == 409:
            return False
        raise platform_error(exc, f"POST /apis/entities/v2/workspaces ({name})") from None


VERSION_ERRORS: tuple[type[BaseException], ...] = (*API_ERRORS, ValueError, AttributeError)


def server_version(timeout: float = 10.0) -> str:
    """The Platform's version as its OpenAPI document states it (`GET /openapi.json`, `info.version`);
    `unknown` when it cannot be read (the run goes on; the next call that needs the Platform says why)."""
    url = f"{settings.base_url()}/openapi.json"
    try:
        key = settings.api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = call_idempotent(httpx.get, url, headers=headers, timeout=timeout, what=f"GET {url}", attempts=2)
        response.raise_for_status()
        info = response.json().get("info") or {}
    except VERSION_ERRORS as exc:
        get_logger(__name__).warning("could not read the Platform's version from %s: %s", url, describe(exc))
        return "unknown"
    return str(info.get("version") or "unknown")
