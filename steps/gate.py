"""Step gate: compare candidate with base under the run spec's release policy; record the verdict."""

import json
from typing import Annotated

from hera.workflows import Output, Parameter
from pydantic import ValidationError

from steps import platforms, tracking
from steps.errors import InvalidInputError
from steps.io import GateRule, TrackedInput, choices
from steps.logic.gate_policy import GateDecision, GatePolicy, Score, decide
from steps.logic.report import markdown_table, summary_table, verdict_line

DECISION_TAG = "llmops.gate.decision"


class GateInput(TrackedInput):
    base_benchmarks: Annotated[str, Parameter(description="JSON list of base benchmark results")]
    candidate_benchmarks: Annotated[str, Parameter(description="JSON list of candidate benchmark results")]
    base_business: Annotated[str, Parameter(description="JSON business result of the base model")]
    candidate_business: Annotated[str, Parameter(description="JSON business result of the candidate")]
    # The release policy: the run spec's gate section owns its defaults.
    min_business_gain: Annotated[float, Parameter(description="Minimum candidate - base on the business headline")]
    max_regression: Annotated[float, Parameter(description="Maximum allowed drop on any benchmark")]
    max_regression_per_benchmark: Annotated[
        str, Parameter(description="JSON object benchmark -> maximum allowed drop (overrides max_regression)")
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


class GateOutput(Output):
    decision: Annotated[str, Parameter(name="decision", description="pass or block", enum=["pass", "block"])]
    report: Annotated[str, Parameter(name="report", description="Text table of the comparison and the verdict")]
    rows: Annotated[str, Parameter(name="rows", description="JSON object: compared score -> its gate row (compact)")]


ROW_FIELDS = ("kind", "base", "candidate", "delta", "threshold", "interval", "rule", "passed")
POLICY_SETTINGS = {
    "min_business_gain",
    "max_regression",
    "max_regression_per_benchmark",
    "min_samples",
    "gain_rule",
    "regression_rule",
    "gate_confidence",
}


def compact_rows(decision: GateDecision) -> dict[str, dict]:
    """The gate's rows without the per-item detail (what the registered version carries as tags)."""

    def short(value: object) -> object:
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, (list, tuple)):
            return [short(v) for v in value]
        return value

    return {row.name: {f: short(getattr(row, f)) for f in ROW_FIELDS} for row in decision.rows}


def description(decision: GateDecision) -> str:
    """The parent run's description: the verdict line, then the reasons."""
    return "\n".join([verdict_line(decision), *(f"- {reason}" for reason in decision.reasons)])


def _results(raw: str, field: str) -> list[dict]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"gate: {field} is not JSON ({exc})") from None
    items = value if isinstance(value, list) else [value]
    return [json.loads(item) if isinstance(item, str) else item for item in items]


def scores(results: list[dict], kind: str, field: str) -> list[Score]:
    """Scores of evaluation results; `items`, the per-item values, are optional (None when absent)."""
    name_key = "benchmark" if kind == "benchmark" else "metric"
    out: list[Score] = []
    for number, result in enumerate(results, 1):
        try:
            out.append(
                Score(
                    name=result[name_key],
                    kind=kind,
                    value=result["score"],
                    stderr=result.get("stderr"),
                    n=result["n"],
                    items=result.get("items"),
                )
            )
        except KeyError as exc:
            raise InvalidInputError(f"gate: {field} result {number} has no {exc.args[0]!r}") from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise InvalidInputError(f"gate: {field} result {number} is malformed: {problems}") from None
    return out


def gate(inputs: GateInput) -> GateOutput:
    platform = platforms.build()
    base_business = _results(inputs.base_business, "base_business")
    candidate_business = _results(inputs.candidate_business, "candidate_business")
    policy = GatePolicy(
        headline_metric=base_business[0]["metric"],
        min_business_gain=inputs.min_business_gain,
        default_max_regression=inputs.max_regression,
        max_regression=json.loads(inputs.max_regression_per_benchmark or "{}"),
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
    base = scores(_results(inputs.base_benchmarks, "base_benchmarks"), "benchmark", "base_benchmarks") + scores(
        base_business, "business", "base_business"
    )
    candidate = scores(
        _results(inputs.candidate_benchmarks, "candidate_benchmarks"), "benchmark", "candidate_benchmarks"
    ) + scores(candidate_business, "business", "candidate_business")
    decision = decide(policy, base, candidate)
    verdict = "pass" if decision.passed else "block"
    # A score that one side did not report has no value to log; the decision's reasons already name it.
    metrics: dict[str, float] = {}
    for row in decision.rows:
        for key, value in (("base", row.base), ("candidate", row.candidate), ("delta", row.delta)):
            if value is not None:
                metrics[f"{key}.{row.name}"] = value
    report = summary_table(decision)
    with platform.tracker.step_run(inputs.mlflow_run_id, "gate") as mlflow:
        mlflow.log_params({"policy": policy.model_dump_json()})
        mlflow.log_metrics(metrics)
        mlflow.set_tag(DECISION_TAG, verdict)
        mlflow.log_text(markdown_table(decision), "gate/report.md")
        mlflow.log_dict(decision.model_dump(), "gate/decision.json")
    platform.tracker.log_parent_metrics(inputs.mlflow_run_id, metrics)
    platform.tracker.set_parent_tags(
        inputs.mlflow_run_id, {DECISION_TAG: verdict, tracking.DESCRIPTION_TAG: description(decision)}
    )
    platform.tracker.log_parent_params(inputs.mlflow_run_id, inputs.model_dump(include=POLICY_SETTINGS))
    print(report)
    rows = json.dumps(compact_rows(decision), sort_keys=True, separators=(",", ":"))
    return GateOutput(decision=verdict, report=report, rows=rows)
