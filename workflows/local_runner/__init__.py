"""Local Argo Workflows runner: executes rendered Workflow/WorkflowTemplate/ClusterWorkflowTemplate manifests
on one machine, running each Hera runner Script step as `python -m hera.workflows.runner -e module:function`.

    from workflows.local_runner import LocalRunner
    result = LocalRunner(templates=[...], state_dir=Path(".llmops/runs")).run(workflow)

Unsupported manifest fields raise UnsupportedFieldError naming the field path (see `fields.py`). Everything
that can be checked before a step runs is checked by `validate.py` (RunnerError from `run()`, nothing started);
what depends on run-time values (an enum violated by an upstream output, a bad `withParam`, an unparsable
substituted `when`, a missing secret) makes that node Error and the workflow Error/Failed.

Local choices where Argo leaves room or has no local meaning:
- Nodes are keyed by Argo node name: `<wf>`, `<wf>.<task>`, `<wf>.<task>(0:item)`, `<wf>.onExit`;
  `RunResult.node("task")` also accepts names relative to the workflow and unique display names.
- A suspend node waiting for approval has phase "Suspended"; the runner persists state and returns (a suspend
  `duration` is not waited for). `resume(approve=True)` answers "YES" where the input enum has it, else the
  input default, unless `parameters` says otherwise; `approve=False` with parameters sets them and succeeds,
  without parameters it fails the node ("rejected"). `auto_approve` answers like `approve=True`.
- failFast (the DAG default): after an unhandled failure no new step starts; tasks whose `depends` became
  false are still recorded as Omitted. A failure is handled when another task's `depends` names its
  `.Failed`/`.Errored`/`.AllFailed`, or the task has `continueOn`.
- Workflow `activeDeadlineSeconds` counts running time only (time suspended between runs does not count).
- Retries are attempts of one node (`attempts`), not child nodes; `retryStrategy.limit` is required.
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
