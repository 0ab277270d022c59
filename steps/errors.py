"""Exception types, one per failure class. Messages say what was wrong and what to do."""


class LlmopsError(Exception):
    """Base class: an expected failure with a message meant for a person (no traceback needed)."""


class InvalidInputError(LlmopsError):
    """Input data or a run spec is malformed (names the file, line and field)."""


class NotFoundError(LlmopsError):
    """A dataset, model, adapter or run that a step needs does not exist."""


class PlatformNotAvailableError(LlmopsError):
    """The selected platform (LLMOPS_PLATFORM) cannot serve this port."""


class StepFailedError(LlmopsError):
    """A step's own work failed (training diverged, a job failed, a gate check could not run)."""
