"""What an MLflow error means to a step that retries or races another run, or that lost its tracking server."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from steps.errors import LlmopsError

F = TypeVar("F", bound=Callable[..., Any])


class TrackingUnavailableError(LlmopsError):
    """The MLflow tracking server did not answer (refused, unreachable, or timed out) after MLflow's retries."""


def already_exists(error: BaseException) -> bool:
    """True for MLflow's RESOURCE_ALREADY_EXISTS: another process created the same experiment or model first."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

    return isinstance(error, MlflowException) and error.error_code == ErrorCode.Name(RESOURCE_ALREADY_EXISTS)


def unreachable(error: BaseException) -> bool:
    """True when an MLflow client call failed because the tracking server did not answer (not for an answer
    that was an error, and not for other HTTP calls a step makes)."""
    import requests
    from mlflow.exceptions import MlflowException

    if not (isinstance(error, MlflowException) and str(error).startswith("API request to ")):
        return False
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def unavailable(uri: str, error: BaseException) -> TrackingUnavailableError:
    reason = type(error.__cause__ or error.__context__ or error).__name__
    return TrackingUnavailableError(
        f"the MLflow tracking server at {without_credentials(uri)} did not answer ({reason}, after MLflow's "
        "retries: MLFLOW_HTTP_REQUEST_MAX_RETRIES); this step stopped there. Bring the server back (or correct "
        "MLFLOW_TRACKING_URI), then retry the run: `llmops retry <run>` here, `argo retry` on a cluster"
    )


def without_credentials(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.username is None and parts.password is None:
        return uri
    host = parts.hostname or ""
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))


def explain_unreachable(uri: Callable[[], str]) -> Callable[[F], F]:
    """Decorate a tracking function: an unreachable server becomes TrackingUnavailableError naming `uri()`."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except Exception as error:
                if unreachable(error):
                    raise unavailable(uri(), error) from error
                raise

        return wrapper  # type: ignore[return-value]

    return decorate
