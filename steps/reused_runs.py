"""Evaluations a workflow reused from earlier runs (memoized nodes), as the MLflow parent run records them.

A memoized evaluation node runs no step, so the workflow's parent run has no child run for it; its result
names the MLflow run that computed it (`source_run_id`, a child of an earlier workflow's parent run). The
gate, which receives every result, tags the parent run with each reused one: `llmops.reused.<step run name>`
= that run's id (e.g. `llmops.reused.business-eval-base`), so a reader of the MLflow UI sees where those
scores came from. `reused` reads them back for the run report and the tests: the runs a workflow's report
reads beside its own children.
"""

from __future__ import annotations

from typing import Any

from steps.logic.candidates import step_name

REUSED_TAG_PREFIX = "llmops.reused."
SOURCE_RUN = "source_run_id"  # the result field naming the MLflow run that computed it


def result_step(result: dict) -> str:
    """The step run name of an evaluation result (`business-eval-<target>`, `benchmark-<name>-<target>`)."""
    target = str(result.get("target", ""))
    step = f"benchmark-{result['benchmark']}-{target}" if "benchmark" in result else f"business-eval-{target}"
    return step_name(step, str(result.get("candidate", "")))


def reuse_tags(results: list[dict], own_runs: set[str]) -> dict[str, str]:
    """Tags naming the run behind each result that no run of this workflow (`own_runs`: its children's ids)
    computed; results without a source run (computed before results named it) are skipped."""
    return {
        REUSED_TAG_PREFIX + result_step(result): str(result[SOURCE_RUN])
        for result in results
        if result.get(SOURCE_RUN) and str(result[SOURCE_RUN]) not in own_runs
    }


def reused(client: Any, parent: Any) -> list[Any]:
    """The runs the parent run's reuse tags name (those that still exist), in tag order."""
    from mlflow.exceptions import MlflowException

    runs = []
    for key, run_id in sorted(parent.data.tags.items()):
        if key.startswith(REUSED_TAG_PREFIX):
            try:
                runs.append(client.get_run(run_id))
            except MlflowException:  # deleted since: the tag still names it
                continue
    return runs
