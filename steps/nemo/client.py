"""The NeMo SDK client and the shared call helpers (`steps/remote/calls.py`) bound to the nemo policy.

The SDK retries every call twice by default, POSTs and 409s included, which can start a second GPU job;
our client is built with `max_retries=0`, and reads go through `call_idempotent`, creates through
`create_once`. Every message that leaves this package goes through `settings.redact`, and the loggers
that can print request bodies or headers get a filter that does the same.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx

from steps.errors import LlmopsError
from steps.nemo import settings
from steps.nemo.policy import POLICY
from steps.nemo.shapes import entries, field
from steps.remote import calls
from steps.remote.calls import CREATE_ATTEMPTS, LOOKUPS_PER_FAILURE, TRANSIENT_STATUS, retry_after, status_of

T = TypeVar("T")

__all__ = ["CREATE_ATTEMPTS", "LOOKUPS_PER_FAILURE", "POLICY", "TRANSIENT_STATUS", "retry_after", "status_of"]

API_ERRORS = POLICY.api_errors
get_logger = POLICY.get_logger
install_log_redaction = POLICY.install_log_redaction
log = get_logger(__name__)


def nemo_client(timeout: float = 60.0):
    """The SDK client for NEMO_URL (and NIM_URL for inference routes when set), with retries off."""
    from nemo_microservices import NeMoMicroservices

    install_log_redaction()
    nim = settings.nim_url() if _has("NIM_URL") else None
    return NeMoMicroservices(
        base_url=settings.nemo_url(), inference_base_url=nim, max_retries=0, timeout=httpx.Timeout(timeout, connect=5.0)
    )


def _has(var: str) -> bool:
    import os

    return bool(os.environ.get(var, "").strip())


def is_transient(exc: BaseException) -> bool:
    """Worth retrying an idempotent call: connection reset, timeout, 408/425/429 or a 5xx."""
    return calls.is_transient(POLICY, exc)


def backoff(attempt: int, exc: BaseException | None = None) -> float:
    return calls.backoff(POLICY, attempt, exc)


def describe(exc: BaseException) -> str:
    return calls.describe(POLICY, exc)


def platform_error(exc: BaseException, what: str, hint: str = "") -> LlmopsError:
    return calls.platform_error(POLICY, exc, what, hint)


def call_idempotent(
    fn: Callable[..., T],
    *args: Any,
    what: str,
    attempts: int = calls.DEFAULT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    transient: Callable[[BaseException], bool] = is_transient,
    **kwargs: Any,
) -> T:
    return calls.call_idempotent(
        POLICY, fn, *args, what=what, attempts=attempts, sleep=sleep, transient=transient, **kwargs
    )


create_once = functools.partial(calls.create_once, POLICY)


def iterate_pages(
    list_page: Callable[..., Any], *, what: str, page_size: int = 100, max_pages: int = 100, **params: Any
) -> Iterator[Any]:
    """Every item of an SDK list endpoint, one retried GET per page (stops at total_pages or an empty page)."""
    for page in range(1, max_pages + 1):
        result = call_idempotent(list_page, what=f"{what} (page {page})", page=page, page_size=page_size, **params)
        items = entries(result, "data")
        yield from items
        total_pages = field(field(result, "pagination"), "total_pages")
        if not items or (total_pages is not None and page >= total_pages):
            return
