"""Metrics as data: NeMo Evaluator's metric types (plus `json-fields`), scored per item over a dataset.

A metric spec is `{name, type, ...parameters}` with Jinja templates over `item` (the dataset row) and
`sample` (the model's answer); see docs/metrics.md. `parse_metric_specs` reads a run spec's list,
`evaluate` scores items and samples with them, `score_names` / `item_fields` serve preflight checks.
"""

from steps.logic.metrics.engine import EvaluationResult, ScoreResult, evaluate
from steps.logic.metrics.registry import (
    SCORERS,
    TYPES,
    MetricSpec,
    Scorer,
    headline_of,
    item_fields,
    missing_fields,
    parse_metric_specs,
    score_names,
)
from steps.logic.metrics.spec_base import MetricSpecBase, RowContext, Sample, Score
from steps.logic.metrics.templates import check_template, render_template, template_fields

__all__ = [
    "SCORERS",
    "TYPES",
    "EvaluationResult",
    "MetricSpec",
    "MetricSpecBase",
    "RowContext",
    "Sample",
    "Score",
    "ScoreResult",
    "Scorer",
    "check_template",
    "evaluate",
    "headline_of",
    "item_fields",
    "missing_fields",
    "parse_metric_specs",
    "render_template",
    "score_names",
    "template_fields",
]
