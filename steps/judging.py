"""The llm-judge metrics of an evaluation: grade every item once, calibrate the judge, hand `evaluate` a scorer.

Used by the business-eval step and by `llmops score --run-spec`, so both grade the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steps import settings
from steps.errors import NotFoundError
from steps.judge_client import JudgeConfig, JudgeItem, JudgeResult, judge_items
from steps.logic.judge_agreement import CalibrationRow, compute_agreement, read_calibration, rows_for
from steps.logic.metrics import MetricSpecBase, RowContext, Sample, Score, Scorer, score_names
from steps.logic.metrics.llm_judge import LlmJudgeSpec


@dataclass
class Judging:
    """What the judge said: per (metric, criterion) the result of each item, and the judge's agreement per score."""

    results: dict[tuple[str, str], dict[str, JudgeResult]] = field(default_factory=dict)
    agreement: dict[str, dict[str, Any]] = field(default_factory=dict)  # full score name -> agreement summary
    params: dict[str, str] = field(default_factory=dict)  # what identifies each judge (MLflow params)

    def scorer(self, spec: Any, row: RowContext) -> Mapping[str, Score]:
        scores = {}
        for criterion in spec.criteria:
            result = self.results[(spec.name, criterion)][row.row_id]
            detail = result.rationale if result.score is not None else f"judge failure: {result.error}"
            scores[criterion] = Score(result.score, detail=detail)
        return scores

    def scorers(self) -> dict[str, Scorer]:
        return {"llm-judge": self.scorer} if self.results else {}


def config_of(spec: LlmJudgeSpec) -> JudgeConfig:
    judge = spec.judge
    return JudgeConfig.model_validate(
        {
            "base_url": judge.url,
            "model": judge.model,
            "max_tokens": judge.max_tokens,
            "timeout_s": judge.timeout_s,
            "attempts": judge.attempts,
            "concurrency": judge.concurrency,
        }
    )


def calibration_path(spec: LlmJudgeSpec) -> Path | None:
    """The spec's calibration labels file (relative paths are the project's), None without calibration."""
    if spec.calibration is None:
        return None
    path = Path(spec.calibration.labels)
    return path if path.is_absolute() else settings.project_dir() / path


def calibration_rows(spec: LlmJudgeSpec, criterion: str) -> tuple[list[CalibrationRow], str]:
    """The human labels of one criterion from the spec's calibration file (validated, line-numbered errors)."""
    path = calibration_path(spec)
    if path is None:
        raise ValueError(f"{spec.name}: no calibration set")
    source = str(path)
    if not path.is_file():
        raise NotFoundError(f"{spec.name}: calibration labels {source} not found; check calibration.labels")
    rows = read_calibration(path.read_text(encoding="utf-8").splitlines(), source)
    return rows_for(rows, criterion, spec.scale, source), source


def _calibrate(spec: LlmJudgeSpec, config: JudgeConfig) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for criterion, name in zip(spec.criteria, score_names(spec), strict=True):
        if spec.calibration is None:
            out[name] = {
                "meets": False,
                "reason": f"{name}: no calibration set (calibration.labels in the metric spec), so the judge's "
                "agreement with people is unknown",
            }
            continue
        rows, source = calibration_rows(spec, criterion)
        items = [
            JudgeItem(id=r.id, messages=r.conversation(), reference=r.reference, prediction=r.prediction) for r in rows
        ]
        graded = {result.id: result for result in judge_items(items, criterion, config, spec.scale)}
        agreement = compute_agreement([(r.id, r.label, graded[r.id].raw) for r in rows], spec.scale)
        minimum = spec.calibration.min_kappa
        out[name] = {
            "meets": agreement.meets(minimum),
            "reason": f"{name}: {agreement.explain(minimum)}",
            "min_kappa": minimum,
            "labels": source,
            "confusion": agreement.confusion,
            "scale": agreement.labels,
            **agreement.as_metrics(),
        }
    return out


def judge(specs: Sequence[MetricSpecBase], items: Sequence[Mapping[str, Any]], samples: Sequence[Sample]) -> Judging:
    """Grade every item for every llm-judge metric and criterion, and calibrate each judge (no-op without one)."""
    judging = Judging()
    for spec in specs:
        if not isinstance(spec, LlmJudgeSpec):
            continue
        config = config_of(spec)
        to_grade = []
        for item, sample in zip(items, samples, strict=True):
            row = RowContext(row_id=str(item["id"]), item=dict(item), sample=sample.model_dump())
            to_grade.append(
                JudgeItem(
                    id=row.row_id,
                    messages=list(item.get("messages") or []),
                    reference=row.render_text(spec, "reference", spec.reference),
                    prediction=row.render_text(spec, "candidate", spec.candidate),
                )
            )
        for criterion in spec.criteria:
            graded = judge_items(to_grade, criterion, config, spec.scale)
            judging.results[(spec.name, criterion)] = {result.id: result for result in graded}
        judging.agreement.update(_calibrate(spec, config))
        judging.params.update(
            {f"{spec.name}.{key}": value for key, value in config.tracking_params(spec.scale).items()}
        )
    return judging
