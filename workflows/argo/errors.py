"""Errors of reading an Argo manifest. The message says what is wrong and what to do.

`ManifestError` is the root the local runner's errors share (`workflows.local_runner.errors.RunnerError` is
this class), so code that catches runner errors also catches an expression that cannot be parsed.
"""

from __future__ import annotations


class ManifestError(Exception):
    """A manifest, or a run of one, that breaks a rule: bad reference, missing input, enum violation, bad state."""


class ExpressionError(ManifestError):
    """A `when` or `depends` expression that cannot be parsed or evaluated."""
