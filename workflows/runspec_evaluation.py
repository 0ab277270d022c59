"""The run spec's evaluation sections: regression benchmarks, the business evaluation's metrics, the gate."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from steps.io import Benchmark, GateRule
from steps.logic.metrics import MetricSpec, score_names
from steps.logic.metrics.text_metrics import ExactMatchSpec
from workflows import benchmark_check
from workflows.runspec_fields import HEADLINE_PATTERN, KEY_PATTERN, Param, Strict, conflict


class Benchmarks(Strict):
    suites: Annotated[list[Benchmark], Param("benchmarks")] = Field(
        default_factory=benchmark_check.built_in,
        min_length=1,
        description="Regression benchmarks: built-in or lm-evaluation-harness tasks (as a workflow parameter: "
        "a JSON list)",
    )
    limit: Annotated[int, Param("benchmark_limit")] = Field(50, ge=0, description="Items per benchmark (0 = all)")
    data: Annotated[str, Param("benchmark_data")] = Field(
        "smoke",
        pattern=KEY_PATTERN,
        description="Benchmark data: 'smoke' (synthetic) or the name of a data set in the workspace",
    )
    num_fewshot: Annotated[int, Param("benchmark_fewshot")] = Field(
        -1, ge=-1, description="Few-shot examples (-1 = the task's default)"
    )


def _default_metrics() -> list[MetricSpec]:
    return [ExactMatchSpec(type="exact-match", name="exact", reference="{{item.reference}}")]


class BusinessEval(Strict):
    metrics: Annotated[list[MetricSpec], Param("business_metrics")] = Field(
        default_factory=_default_metrics,
        min_length=1,
        description="Metrics of the business evaluation, each {name, type, parameters} (docs/metrics.md); "
        "as a workflow parameter: a JSON list",
    )
    limit: Annotated[int, Param("business_limit")] = Field(
        0, ge=0, description="Test rows for the business evaluation (0 = all)"
    )
    max_tokens: Annotated[int, Param("business_max_tokens")] = Field(
        64, ge=1, le=4096, description="Generation budget per answer (business evaluation and guardrails check)"
    )
    headline: Annotated[str, Param("business_headline")] = Field(
        "",
        pattern=HEADLINE_PATTERN,
        description="Score the gate compares, <metric name>.<score name> (e.g. answer.all_fields_exact); "
        "empty: the first score of the first metric",
    )

    @model_validator(mode="after")
    def _names(self) -> BusinessEval:
        names = [metric.name for metric in self.metrics]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise conflict(f"metrics.{index}.name", f"metric name {name!r} is used twice; names must be unique")
        available = [score for metric in self.metrics for score in score_names(metric)]
        if self.headline and self.headline not in available:
            raise conflict(
                "headline", f"{self.headline!r} is not a score of the metrics; choose one of: {', '.join(available)}"
            )
        return self


class Gate(Strict):
    min_business_gain: Annotated[float, Param("min_business_gain")] = Field(
        0.0, ge=-1, le=1, description="Gate: minimum candidate - base on the business headline metric"
    )
    max_regression: Annotated[float, Param("max_regression")] = Field(
        0.05, ge=0, le=1, description="Gate: maximum allowed drop on any benchmark"
    )
    max_regression_per_benchmark: Annotated[dict[Benchmark, float], Param("max_regression_per_benchmark")] = Field(
        default_factory=dict,
        description="Gate: maximum drop per benchmark (one of the suites), overriding max_regression (as a "
        "workflow parameter: a JSON object)",
    )
    max_business_regression: Annotated[
        dict[str, Annotated[float, Field(ge=0, le=1)]], Param("max_business_regression")
    ] = Field(
        default_factory=dict,
        description="Gate: business scores besides the headline (<metric>.<score>) and the largest drop allowed on "
        "each (as a workflow parameter: a JSON object); empty: the other scores are shown, not gated",
    )
    min_samples: Annotated[int, Param("min_samples")] = Field(
        20, ge=1, description="Gate: minimum items behind every compared score (paired items, when reported)"
    )
    gain_rule: Annotated[GateRule, Param("gain_rule")] = Field(
        "point", description="Gate: what must reach min_business_gain: the delta, or its interval's lower bound"
    )
    regression_rule: Annotated[GateRule, Param("regression_rule")] = Field(
        "point", description="Gate: what must reach -max_regression: the delta, or its interval's lower bound"
    )
    min_gain_over_champion: Annotated[float, Param("min_gain_over_champion")] = Field(
        0.01,
        ge=0,
        le=1,
        description="Gate: minimum candidate - champion on the business headline (the registered model's "
        "current champion, evaluated on the same items); a tie keeps the champion",
    )
    confidence: Annotated[float, Param("gate_confidence")] = Field(
        0.95, ge=0.5, lt=1, description="Gate: confidence of the intervals of the deltas (paired bootstrap)"
    )


def check_business_regressions(business_eval: BusinessEval, gate: Gate) -> None:
    """Each business score the gate holds to a regression tolerance is a score of the metrics, and not the
    headline (which min_business_gain gates); raises at `gate.max_business_regression.<score>`."""
    available = [score for metric in business_eval.metrics for score in score_names(metric)]
    headline = business_eval.headline or available[0]
    for name in gate.max_business_regression:
        where = f"gate.max_business_regression.{name}"
        if name == headline:
            raise conflict(where, f"{name!r} is the headline, which gate.min_business_gain gates; list other scores")
        if name not in available:
            raise conflict(
                where, f"{name!r} is not a score of business_eval.metrics; choose one of: {', '.join(available)}"
            )
