"""The business evaluation is memoized: a run with the same model, data and evaluation settings reuses the result
and the MLflow run that computed it; a run that changes one of them evaluates again."""

from pathlib import Path

from steps import tracking
from tests.e2e.conftest import step_runs
from workflows import run_command

HEADLINE = "answer.change_reason_balanced"  # the example's gate headline


def _run(spec: Path):
    result = run_command.run_spec(spec, auto_approve=True, parallelism=2, interactive=False)
    assert result.phase == "Succeeded", result.message
    parent = tracking.find_parent(result.uid)
    assert parent is not None
    return result, parent


def _business_nodes(result) -> dict[str, bool]:
    """branch (base-model, candidate; champion once a run released one) -> whether its business-eval node was
    memoized."""
    nodes = [n for n in result.nodes.values() if n.name.endswith(".evaluate.business-eval")]
    assert all(n.phase == "Succeeded" for n in nodes)
    found = {n.name.split(".")[1].split("(")[0]: n.memoized for n in nodes}
    return {branch: found[branch] for branch in ("base-model", "candidate")}


def test_a_second_run_reuses_the_business_evaluation_and_a_changed_setting_evaluates_again(
    llmops_env, make_spec, workspace
):
    settings = {"max_tokens": 23}  # evaluation settings no other test of this workspace uses: nothing to reuse yet
    spec = make_spec("e2e-memo", business_eval=settings)
    first, first_parent = _run(spec)
    assert _business_nodes(first) == {"base-model": False, "candidate": False}
    computed = step_runs(first_parent)
    assert {"business-eval-base", "business-eval-candidate"} <= set(tracking_children(first_parent))

    again, again_parent = _run(spec)
    # same base weights, adapter (content-addressed), data and settings: both evaluations are reused
    assert _business_nodes(again) == {"base-model": True, "candidate": True}
    own = tracking_children(again_parent)
    assert "business-eval-base" not in own and "business-eval-candidate" not in own and "gate" in own
    tags = tracking.client().get_run(again_parent).data.tags
    for step in ("business-eval-base", "business-eval-candidate"):
        assert tags[f"llmops.reused.{step}"] == computed[step].info.run_id  # the MLflow UI names the source
    reused = step_runs(again_parent)
    assert reused["business-eval-base"].info.run_id == computed["business-eval-base"].info.run_id
    metrics = [tracking.client().get_run(p).data.metrics for p in (first_parent, again_parent)]
    for side in ("base", "candidate"):  # the gate compared the same scores
        assert metrics[1][f"{side}.{HEADLINE}"] == metrics[0][f"{side}.{HEADLINE}"]
    report = (workspace / "reports" / again.workflow_name / "report.md").read_text(encoding="utf-8")
    assert "No per-item tables" not in report  # the per-item tables came from the reused runs
    assert f"business-eval-base (reused from run {computed['business-eval-base'].info.run_id})" in report
    params = tracking.client().get_run(again_parent).data.params  # logged by business-eval-key
    assert params["business_limit"] == "12" and params["business_max_tokens"] == "23"

    changed, changed_parent = _run(make_spec("e2e-memo", business_eval={**settings, "limit": 11}))
    assert _business_nodes(changed) == {"base-model": False, "candidate": False}  # one input of the key changed
    own = tracking_children(changed_parent)
    assert own["business-eval-base"].data.params["n"] == "11"
    assert not any(
        key.startswith("llmops.reused.business-eval") for key in tracking.client().get_run(changed_parent).data.tags
    )


def tracking_children(parent_id: str) -> dict:
    return {run.info.run_name: run for run in tracking.children(parent_id)}
