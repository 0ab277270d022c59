"""Exception types of the local runner: one per failure class, each message names the field and the fix."""

from __future__ import annotations

from workflows.argo.errors import ExpressionError, ManifestError

# A manifest or semantic error found before or while running (bad reference, missing input, enum violation).
# The runner's errors are the shared manifest errors, so ExpressionError (raised by the shared expression
# parser) is a RunnerError as well.
RunnerError = ManifestError


class UnsupportedFieldError(RunnerError):
    """A manifest field that the local runner does not implement; it is never silently ignored."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class UnresolvedReferenceError(RunnerError):
    """A `{{...}}` reference that does not name anything available at that place."""

    def __init__(self, path: str, reference: str, reason: str) -> None:
        self.path = path
        self.reference = reference
        super().__init__(f"{path}: cannot resolve '{{{{{reference}}}}}': {reason}")


class InputError(RunnerError):
    """A template input that is undeclared, missing, or outside its enum."""


class StateError(RunnerError):
    """Persisted run state that is missing, unreadable, or not in a phase that allows the operation."""


__all__ = [
    "ExpressionError",
    "InputError",
    "RunnerError",
    "StateError",
    "UnresolvedReferenceError",
    "UnsupportedFieldError",
]
