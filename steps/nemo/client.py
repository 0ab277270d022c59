"""The NeMo SDK client, a bounded retry helper for idempotent calls, and error translation.

Retry policy (DESIGN §6): the SDK retries every call twice by default, POSTs and 409s included, which
can start a second GPU job. Our client is built with `max_retries=0`, so nothing is retried blindly;
reads (and creates that are idempotent because 409 means "exists") go through `call_idempotent`,
which retries only transient failures (connection resets, timeouts, 408, 429, 5xx), honours
Retry-After and gives up after a few attempts. Job-creating calls are never retried: after a failed
create, the caller looks for the job it may have created instead.

Every message that leaves this package goes through `settings.redact`, and the loggers that can
print request bodies or headers get a filter that does the same.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
from nemo_microservices import NeMoMicroservicesError

from steps.errors import LlmopsError, NotFoundError, StepFailedError
from steps.nemo import settings
from steps.nemo.shapes import entries, field

T = TypeVar("T")


def _http2_errors() -> tuple[type[BaseException], ...]:
    try:
        import httpx2  # huggingface_hub 2.x's HTTP client
    except ImportError:  # pragma: no cover
        return ()
    return (httpx2.HTTPError,)


# What a platform call can raise (SDK, httpx, huggingface_hub, sockets); anything else is a bug, not wrapped.
API_ERRORS: tuple[type[BaseException], ...] = (
    NeMoMicroservicesError,
    httpx.HTTPError,
    ConnectionError,
    TimeoutError,
    *_http2_errors(),
)

TRANSIENT_STATUS = frozenset({408, 425, 429})
MAX_RETRY_AFTER = 60.0
INITIAL_DELAY, MAX_DELAY = 0.5, 8.0
DEFAULT_ATTEMPTS = 5
# Loggers that may print request options, URLs or headers (SDK debug logs include request bodies).
_LOGGERS = (
    "nemo_microservices",
    "nemo_microservices._base_client",
    "httpx",
    "httpcore",
    "huggingface_hub",
    "huggingface_hub.utils._http",
    "steps.nemo",
)


class _Redactor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if settings.secret_values():
            record.msg, record.args = settings.redact(record.getMessage()), None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = settings.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


_REDACTOR = _Redactor()


def get_logger(name: str) -> logging.Logger:
    """A logger whose records never carry a secret value."""
    logger = logging.getLogger(name)
    if _REDACTOR not in logger.filters:
        logger.addFilter(_REDACTOR)
    return logger


def install_log_redaction() -> None:
    for name in _LOGGERS:
        get_logger(name)


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


def status_of(exc: BaseException) -> int | None:
    """The HTTP status behind an SDK, httpx or huggingface_hub error; None when there was no response."""
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def _is_connection_error(exc: BaseException) -> bool:
    from nemo_microservices import APIConnectionError

    if isinstance(exc, (APIConnectionError, httpx.TransportError, ConnectionError, TimeoutError)):
        return True
    try:
        import httpx2
    except ImportError:  # pragma: no cover - huggingface_hub 2.x always brings it
        return False
    return isinstance(exc, httpx2.TransportError)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying an idempotent call: connection reset, timeout, 408/425/429 or a 5xx."""
    if _is_connection_error(exc):
        return True
    code = status_of(exc)
    return code is not None and (code in TRANSIENT_STATUS or code >= 500)


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it did."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        return max(0.0, float(headers.get("retry-after-ms")) / 1000)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    parsed = email.utils.parsedate_tz(value) if value else None
    return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else None


def backoff(attempt: int, exc: BaseException | None = None) -> float:
    """Delay before retry number `attempt` (1-based): Retry-After when given, else exponential with jitter."""
    asked = retry_after(exc) if exc is not None else None
    if asked is not None:
        delay = min(asked, MAX_RETRY_AFTER)
    else:
        delay = min(INITIAL_DELAY * 2 ** (attempt - 1), MAX_DELAY) * (0.75 + random.random() / 2)
    return delay * settings.time_scale()


def call_idempotent(
    fn: Callable[..., T],
    *args: Any,
    what: str,
    attempts: int = DEFAULT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    transient: Callable[[BaseException], bool] = is_transient,
    **kwargs: Any,
) -> T:
    """`fn(*args, **kwargs)`, retried on transient failures only (`transient` says which: by default those of
    the SDK, httpx and huggingface_hub); the last error is re-raised as is."""
    for attempt in range(1, attempts + 1):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if attempt == attempts or not transient(exc):
                raise
            delay = backoff(attempt, exc)
            log.warning("%s: %s; retry %d/%d in %.1fs", what, describe(exc), attempt, attempts - 1, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def describe(exc: BaseException) -> str:
    """A short, secret-free description of an error from the SDK, httpx or huggingface_hub."""
    code = status_of(exc)
    body = getattr(exc, "body", None)
    text = str(body if body not in (None, "") else exc) or type(exc).__name__
    if len(text) > 500:
        text = text[:500] + "..."
    prefix = f"HTTP {code}" if code is not None else type(exc).__name__
    return settings.redact(f"{prefix}: {text}")


def platform_error(exc: BaseException, what: str, hint: str = "") -> LlmopsError:
    """The project's exception for a failed platform call (404 -> NotFoundError), secrets removed."""
    message = f"{what} failed: {describe(exc)}"
    if _is_connection_error(exc):
        message += "; is the service reachable (check NEMO_URL / NDS_URL / NIM_URL)?"
    if hint:
        message += f"; {hint}"
    cls = NotFoundError if status_of(exc) == 404 else StepFailedError
    return cls(settings.redact(message))


CREATE_ATTEMPTS = 3
LOOKUPS_PER_FAILURE = 3


def create_once(
    create: Callable[[], T],
    find: Callable[[], T | None],
    *,
    what: str,
    poll: float,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Create a job or deployment without ever creating it twice.

    Job-creating POSTs are never retried blindly. After a transient failure or a 409, look for what
    the POST may have created (the response can be lost after the server applied it); only when it is
    still absent after several looks is the POST sent again, at most CREATE_ATTEMPTS times in all.
    """
    for _ in range(CREATE_ATTEMPTS):
        try:
            return create()
        except API_ERRORS as exc:
            if not (is_transient(exc) or status_of(exc) == 409):
                raise platform_error(exc, what) from None
            failure = exc
            get_logger(__name__).warning("%s failed (%s); looking for it before posting again", what, describe(exc))
            for look in range(1, LOOKUPS_PER_FAILURE + 1):
                sleep(poll * look / 4)
                found = find()
                if found is not None:
                    return found
    raise platform_error(
        failure,
        what,
        f"still failing after {CREATE_ATTEMPTS} attempts, and nothing was created; re-running the step is safe",
    ) from None


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
