"""One remote platform's call policy: which secrets to redact, which errors mean "unreachable", the time scale.

A backend builds one `RemotePolicy` and calls through it (`steps/remote/calls.py`); secrets are read from
the environment at each use, so a test that sets or clears a variable sees the change at once.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from steps.errors import PlatformNotAvailableError

REDACTED = "***"


@dataclass(frozen=True)
class RemotePolicy:
    """`secret_vars`: environment variables whose values never leave the backend; `time_scale_var` multiplies
    every wait and timeout (tests set it small); `endpoints` names the variables to check when a service
    cannot be reached; `connection_errors`/`api_errors` are what the backend's clients raise."""

    name: str
    secret_vars: tuple[str, ...]
    time_scale_var: str
    endpoints: str
    connection_errors: tuple[type[BaseException], ...]
    api_errors: tuple[type[BaseException], ...]
    loggers: tuple[str, ...] = field(default_factory=tuple)

    def secret_values(self) -> list[str]:
        """The values of the secrets that are set, longest first (so no secret is half-redacted)."""
        values = {os.environ.get(var, "").strip() for var in self.secret_vars}
        return sorted((v for v in values if v), key=len, reverse=True)

    def redact(self, text: object) -> str:
        """`text` as a string with every secret value replaced by ***."""
        text = str(text)
        for value in self.secret_values():
            text = text.replace(value, REDACTED)
        return text

    def time_scale(self) -> float:
        raw = os.environ.get(self.time_scale_var, "").strip()
        try:
            value = float(raw) if raw else 1.0
        except ValueError:
            raise PlatformNotAvailableError(f"{self.time_scale_var}={raw!r} is not a number") from None
        if value <= 0:
            raise PlatformNotAvailableError(f"{self.time_scale_var} must be > 0, got {raw!r}")
        return value

    def get_logger(self, name: str) -> logging.Logger:
        """A logger whose records never carry a secret value of this backend."""
        logger = logging.getLogger(name)
        if not any(isinstance(f, _Redactor) and f.policy is self for f in logger.filters):
            logger.addFilter(_Redactor(self))
        return logger

    def install_log_redaction(self) -> None:
        """Redaction on the loggers that may print request options, URLs or headers."""
        for name in self.loggers:
            self.get_logger(name)


class _Redactor(logging.Filter):
    def __init__(self, policy: RemotePolicy) -> None:
        super().__init__()
        self.policy = policy

    def filter(self, record: logging.LogRecord) -> bool:
        if self.policy.secret_values():
            record.msg, record.args = self.policy.redact(record.getMessage()), None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = self.policy.redact(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True
