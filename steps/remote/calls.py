"""Calls to a remote platform: bounded retries of idempotent calls, create-once, and error translation.

Retry policy (DESIGN §6): SDK clients are built with retries off, so nothing is retried blindly. Reads, and
creates that are idempotent because 409 means "exists", go through `call_idempotent`, which retries only
transient failures (connection resets, timeouts, 408, 425, 429, 5xx), honours Retry-After and gives up after a
few attempts. Job-creating calls go through `create_once`: after a failed create it looks for what the
create may have made before posting again. Every message passes through the backend's redaction.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from steps.errors import LlmopsError, NotFoundError, StepFailedError
from steps.remote.policy import RemotePolicy

T = TypeVar("T")

TRANSIENT_STATUS = frozenset({408, 425, 429})
MAX_RETRY_AFTER = 60.0
INITIAL_DELAY, MAX_DELAY = 0.5, 8.0
DEFAULT_ATTEMPTS = 5
CREATE_ATTEMPTS = 3
LOOKUPS_PER_FAILURE = 3


def status_of(exc: BaseException) -> int | None:
    """The HTTP status behind an SDK or httpx error; None when there was no response."""
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else None


def is_connection_error(policy: RemotePolicy, exc: BaseException) -> bool:
    return isinstance(exc, (*policy.connection_errors, ConnectionError, TimeoutError))


def is_transient(policy: RemotePolicy, exc: BaseException) -> bool:
    """Worth retrying an idempotent call: connection reset, timeout, 408/425/429 or a 5xx."""
    if is_connection_error(policy, exc):
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


def backoff(policy: RemotePolicy, attempt: int, exc: BaseException | None = None) -> float:
    """Delay before retry number `attempt` (1-based): Retry-After when given, else exponential with jitter."""
    asked = retry_after(exc) if exc is not None else None
    if asked is not None:
        delay = min(asked, MAX_RETRY_AFTER)
    else:
        delay = min(INITIAL_DELAY * 2 ** (attempt - 1), MAX_DELAY) * (0.75 + random.random() / 2)
    return delay * policy.time_scale()


def describe(policy: RemotePolicy, exc: BaseException) -> str:
    """A short, secret-free description of an error from an SDK or httpx."""
    code = status_of(exc)
    body = getattr(exc, "body", None)
    text = str(body if body not in (None, "") else exc) or type(exc).__name__
    if len(text) > 500:
        text = text[:500] + "..."
    prefix = f"HTTP {code}" if code is not None else type(exc).__name__
    return policy.redact(f"{prefix}: {text}")


def platform_error(policy: RemotePolicy, exc: BaseException, what: str, hint: str = "") -> LlmopsError:
    """The project's exception for a failed platform call (404 -> NotFoundError), secrets removed."""
    message = f"{what} failed: {describe(policy, exc)}"
    if is_connection_error(policy, exc):
        message += f"; is the service reachable (check {policy.endpoints})?"
    if hint:
        message += f"; {hint}"
    cls = NotFoundError if status_of(exc) == 404 else StepFailedError
    return cls(policy.redact(message))


def call_idempotent(
    policy: RemotePolicy,
    fn: Callable[..., T],
    *args: Any,
    what: str,
    attempts: int = DEFAULT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    transient: Callable[[BaseException], bool] | None = None,
    **kwargs: Any,
) -> T:
    """`fn(*args, **kwargs)`, retried on transient failures only (`transient` says which; by default the
    policy's); the last error is re-raised as is."""
    is_retryable = transient or (lambda exc: is_transient(policy, exc))
    log = policy.get_logger(__name__)
    for attempt in range(1, attempts + 1):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            delay = backoff(policy, attempt, exc)
            log.warning("%s: %s; retry %d/%d in %.1fs", what, describe(policy, exc), attempt, attempts - 1, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def create_once(
    policy: RemotePolicy,
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
        except policy.api_errors as exc:
            if not (is_transient(policy, exc) or status_of(exc) == 409):
                raise platform_error(policy, exc, what) from None
            failure = exc
            policy.get_logger(__name__).warning(
                "%s failed (%s); looking for it before posting again", what, describe(policy, exc)
            )
            for look in range(1, LOOKUPS_PER_FAILURE + 1):
                sleep(poll * look / 4)
                found = find()
                if found is not None:
                    return found
    raise platform_error(
        policy,
        failure,
        what,
        f"still failing after {CREATE_ATTEMPTS} attempts, and nothing was created; re-running the step is safe",
    ) from None
