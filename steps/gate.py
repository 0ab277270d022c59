"""Step gate: decide every candidate against its base and the champion, pick the one to release, record it.

The rules are the run spec's release policy (`steps.logic.gate_policy`); the choice among candidates is
`steps.logic.selection`. The outputs name the chosen candidate (its adapter and base model), which
register, approval and rollout act on; `decision` is `pass` when one was chosen.
"""

import json
from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms, tracking
from steps.contracts import Platform
from steps.customize import CANDIDATE_TAG
from steps.errors import InvalidInputError, StepFailedError
from steps.gate_results import by_model, flatten
from steps.io import GateRule, TrackedInput, choices
from steps.logic.candidates import step_name
from steps.logic.gate_policy import GateDecision, GatePolicy
from steps.logic.report import markdown_table, summary_table, verdict_line
from steps.logic.selection import CHAMPION_PREFIX, CandidateResult, Champion, Cost, Selection, select
from steps.logic.selection_report import selection_lines
from steps.reused_runs import reuse_tags

DECISION_TAG = "llmops.gate.decision"
WINNER_TAG = "llmops.gate.candidate"


class GateInput(TrackedInput):
    candidate_list: Annotated[
        str, Parameter(description="JSON list of the planned candidates (output of open-run)")
    ] = ""
    base_benchmarks: Annotated[str, Parameter(description="JSON benchmark results of the base models")]
    candidate_benchmarks: Annotated[str, Parameter(description="JSON benchmark results of the candidates")]
    base_business: Annotated[str, Parameter(description="JSON business results of the base models")]
    candidate_business: Annotated[str, Parameter(description="JSON business results of the candidates")]
    candidate_costs: Annotated[str, Parameter(description="JSON training costs of the candidates")] = ""
    champion_version: Annotated[str, Parameter(description="Champion's registered version; empty: none")] = ""
    champion_adapter: Annotated[str, Parameter(description="Champion's adapter id")] = ""
    champion_base: Annotated[str, Parameter(description="Champion's base model")] = ""
    champion_benchmarks: Annotated[str, Parameter(description="JSON benchmark results of the champion")] = ""
    champion_business: Annotated[str, Parameter(description="JSON business result of the champion")] = ""
    # The release policy: the run spec's gate section owns its defaults.
    min_business_gain: Annotated[float, Parameter(description="Minimum candidate - base on the business headline")]
    max_regression: Annotated[float, Parameter(description="Maximum allowed drop on any benchmark")]
    max_regression_per_benchmark: Annotated[
        str, Parameter(description="JSON object benchmark -> maximum allowed drop (overrides max_regression)")
    ]
    max_business_regression: Annotated[
        str,
        Parameter(description="JSON object business score (besides the headline) -> maximum allowed drop"),
    ]
    min_samples: Annotated[int, Parameter(description="Minimum items behind every compared score")]
    gain_rule: Annotated[
        GateRule,
        Parameter(
            description="What must clear min_business_gain: the delta or the interval's lower bound",
            enum=choices(GateRule),
        ),
    ]
    regression_rule: Annotated[
        GateRule,
        Parameter(
            description="What must clear -max_regression: the delta or the interval's lower bound",
            enum=choices(GateRule),
        ),
    ]
    gate_confidence: Annotated[float, Parameter(description="Confidence of the intervals of the deltas")]
    min_gain_over_champion: Annotated[
        float, Parameter(description="Minimum candidate - champion on the business headline")
    ]


class GateOutput(Output):
    decision: Annotated[str, Parameter(name="decision", description="pass or block", enum=["pass", "block"])]
    report: Annotated[str, Parameter(name="report", description="Text table of the comparison and the verdict")]
    rows: Annotated[str, Parameter(name="rows", description="JSON object: compared score -> its gate row (compact)")]
    candidate: Annotated[str, Parameter(name="candidate", description="The chosen candidate's name")]
    adapter_id: Annotated[str, Parameter(name="adapter_id", description="The chosen candidate's adapter")]
    base_model: Annotated[str, Parameter(name="base_model", description="The chosen candidate's base model")]


ROW_FIELDS = ("kind", "base", "candidate", "delta", "threshold", "interval", "rule", "passed")
POLICY_SETTINGS = (
    set(GateInput.model_fields)
    - set(TrackedInput.model_fields)
    - {f for f in GateInput.model_fields if f.startswith(("base_", "candidate", "champion_"))}
)


def compact_rows(decision: GateDecision) -> dict[str, dict]:
    """The gate's rows without the per-item detail (what the registered version carries as tags)."""

    def short(value: object) -> object:
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, (list, tuple)):
            return [short(v) for v in value]
        return value

    return {row.name: {f: short(getattr(row, f)) for f in ROW_FIELDS} for row in decision.rows}


def description(decision: GateDecision, selection: Selection) -> str:
    """The parent run's description: the verdict line, then the reasons and the candidates."""
    lines = [verdict_line(decision), *(f"- {reason}" for reason in decision.reasons)]
    return "\n".join(lines + (selection_lines(selection) if len(selection.verdicts) > 1 else []))


def _policy(inputs: GateInput, base_business: list[dict]) -> GatePolicy:
    return GatePolicy(
        headline_metric=base_business[0]["metric"],
        min_business_gain=inputs.min_business_gain,
        default_max_regression=inputs.max_regression,
        max_regression=json.loads(inputs.max_regression_per_benchmark or "{}"),
        max_business_regression=json.loads(inputs.max_business_regression or "{}"),
        min_samples=inputs.min_samples,
        gain_rule=inputs.gain_rule,
        regression_rule=inputs.regression_rule,
        confidence=inputs.gate_confidence,
        unusable={
            name: agreement["reason"]
            for result in base_business
            for name, agreement in (result.get("judge_agreement") or {}).items()
            if not agreement["meets"]
        },
    )


def _candidates(inputs: GateInput) -> tuple[list[str], list[CandidateResult]]:
    """The planned candidate names and the results of those that finished."""
    planned = {c["name"]: c for c in flatten(inputs.candidate_list, "candidate_list")}
    business = flatten(inputs.candidate_business, "candidate_business")
    scores = by_model(flatten(inputs.candidate_benchmarks, "candidate_benchmarks"), business, "candidate", "candidate")
    costs = {c.get("candidate", ""): c for c in flatten(inputs.candidate_costs, "candidate_costs")}
    results = []
    for result in business:
        name = str(result.get("candidate", ""))
        plan = planned.get(name, {})
        cost = costs.get(name, {})
        results.append(
            CandidateResult(
                name=name,
                base_model=result.get("base_model") or plan.get("base_model", ""),
                adapter_id=result.get("adapter_id") or "",
                scores=scores[name],
                cost=Cost(lora_rank=cost.get("lora_rank") or plan.get("lora_rank") or 0, **_known(cost)),
            )
        )
    return list(planned) or [r.name for r in results], results


def _known(cost: dict) -> dict:
    return {k: cost[k] for k in ("trainable_parameters", "steps", "seconds", "gpu_seconds") if cost.get(k) is not None}


def _champion(inputs: GateInput) -> Champion | None:
    if not inputs.champion_version:
        return None
    benchmarks = flatten(inputs.champion_benchmarks, "champion_benchmarks")
    business = flatten(inputs.champion_business, "champion_business")
    scores = [s for group in by_model(benchmarks, business, "target", "champion").values() for s in group]
    return Champion(
        version=inputs.champion_version,
        adapter_id=inputs.champion_adapter,
        base_model=inputs.champion_base,
        scores=scores,
    )


def _record(platform: Platform, inputs: GateInput, selection: Selection) -> None:
    """A child run per candidate of a run with several: its verdict, rank, scores and cost."""
    for verdict in selection.verdicts:
        tags = {CANDIDATE_TAG: verdict.name, "verdict": "pass" if verdict.decision.passed else "block"}
        with platform.tracker.step_run(inputs.mlflow_run_id, step_name("candidate", verdict.name), tags) as mlflow:
            mlflow.log_params({"base_model": verdict.base_model, "adapter_id": verdict.adapter_id})
            metrics = {
                f"candidate.{row.name}": row.candidate for row in verdict.decision.rows if row.candidate is not None
            }
            costs = {f"cost.{k}": float(v) for k, v in verdict.cost.model_dump().items() if v is not None}
            mlflow.log_metrics({**metrics, **costs, **({"rank": verdict.rank} if verdict.rank else {})})
            mlflow.log_dict(verdict.decision.model_dump(), "gate/decision.json")


RESULT_FIELDS = tuple(f for f in GateInput.model_fields if f.endswith(("_benchmarks", "_business")))


def _record_reused(platform: Platform, inputs: GateInput) -> None:
    """Tag the parent run with the earlier runs behind memoized results (`steps.reused_runs`)."""
    results = [result for field in RESULT_FIELDS for result in flatten(getattr(inputs, field), field)]
    own = {run.info.run_id for run in platform.tracker.children(inputs.mlflow_run_id)}
    tags = reuse_tags(results, own)
    if tags:
        platform.tracker.set_parent_tags(inputs.mlflow_run_id, tags)
        print("reused: " + ", ".join(f"{key.split('.', 2)[-1]} from run {run}" for key, run in sorted(tags.items())))


def gate(inputs: GateInput) -> GateOutput:
    platform = platforms.build()
    _record_reused(platform, inputs)  # first: a gate that then refuses to decide still records them
    base_business = flatten(inputs.base_business, "base_business")
    if not base_business:
        raise InvalidInputError("gate: no base model finished its evaluation; see the failed base-model branch")
    policy = _policy(inputs, base_business)
    bases = by_model(flatten(inputs.base_benchmarks, "base_benchmarks"), base_business, "base_model", "base")
    planned, results = _candidates(inputs)
    if not results:
        names = ", ".join(repr(name) if name else "the run's candidate" for name in planned)
        raise StepFailedError(f"gate: no candidate finished ({names}: see the failed steps of each); nothing to decide")
    selection = select(policy, inputs.min_gain_over_champion, planned, results, bases, _champion(inputs))
    shown = selection.shown()
    decision = shown.decision
    verdict = "pass" if selection.winner is not None else "block"
    # A score that one side did not report has no value to log; the decision's reasons already name it.
    metrics: dict[str, float] = {}
    for row in decision.rows:
        vs_champion = row.name.startswith(CHAMPION_PREFIX)
        name = row.name.removeprefix(CHAMPION_PREFIX)
        sides: list[tuple[str, float | None]] = (
            [("champion", row.base), ("delta_vs_champion", row.delta)]
            if vs_champion
            else [("base", row.base), ("candidate", row.candidate), ("delta", row.delta)]
        )
        metrics |= {f"{key}.{name}": value for key, value in sides if value is not None}
    report = "\n".join([summary_table(decision), *selection_lines(selection)])
    with platform.tracker.step_run(inputs.mlflow_run_id, "gate") as mlflow:
        mlflow.log_params({"policy": policy.model_dump_json()})
        mlflow.log_metrics(metrics)
        mlflow.set_tag(DECISION_TAG, verdict)
        mlflow.log_text(markdown_table(decision), "gate/report.md")
        mlflow.log_dict(decision.model_dump(), "gate/decision.json")
        mlflow.log_dict(selection.model_dump(), "gate/selection.json")
    if len(selection.verdicts) > 1 or selection.failed:
        _record(platform, inputs, selection)
    platform.tracker.log_parent_metrics(inputs.mlflow_run_id, metrics)
    tags = {DECISION_TAG: verdict, tracking.DESCRIPTION_TAG: description(decision, selection)}
    platform.tracker.set_parent_tags(inputs.mlflow_run_id, tags | ({WINNER_TAG: shown.name} if shown.name else {}))
    platform.tracker.log_parent_params(inputs.mlflow_run_id, inputs.model_dump(include=POLICY_SETTINGS))
    print(report)
    return GateOutput(
        decision=verdict,
        report=report,
        rows=json.dumps(compact_rows(decision), sort_keys=True, separators=(",", ":")),
        candidate=shown.name,
        adapter_id=shown.adapter_id,
        base_model=shown.base_model,
    )
