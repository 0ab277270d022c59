"""Local Argo Workflows runner: executes rendered Workflow/WorkflowTemplate/ClusterWorkflowTemplate manifests
on one machine, running each Hera runner Script step as `python -m hera.workflows.runner -e module:function`.

    from workflows.local_runner import LocalRunner
    result = LocalRunner(templates=[...], state_dir=Path(".llmops/runs")).run(workflow)

Unsupported manifest fields raise UnsupportedFieldError naming the field path (see `fields.py`).
"""

from workflows.local_runner.errors import (
    ExpressionError,
    InputError,
    RunnerError,
    StateError,
    UnresolvedReferenceError,
    UnsupportedFieldError,
)
from workflows.local_runner.manifests import load_manifests
from workflows.local_runner.results import NodeResult, NodeTiming, RunResult, RunTimings
from workflows.local_runner.runner import LocalRunner

__all__ = [
    "ExpressionError",
    "InputError",
    "LocalRunner",
    "NodeResult",
    "NodeTiming",
    "RunResult",
    "RunTimings",
    "RunnerError",
    "StateError",
    "UnresolvedReferenceError",
    "UnsupportedFieldError",
    "load_manifests",
]
