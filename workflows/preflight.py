"""Checks of a run spec that need more than its schema: run before anything is written or uploaded.

`llmops run` calls `check`; a problem raises one clear error naming the file, line and field.
"""

from __future__ import annotations

from pathlib import Path

from steps.contracts import TESTING_FILE
from steps.errors import InvalidInputError, LlmopsError, PlatformNotAvailableError
from workflows.runspec import RunSpec
from workflows.spec_files import where


def _check_templates(path: Path, spec: RunSpec, testing: list[dict]) -> None:
    """Every `{{item.<field>}}` a metric names exists in every test row."""
    from steps.logic.metrics import item_fields

    common = set.intersection(*(set(row) for row in testing)) if testing else set()
    problems = []
    for index, metric in enumerate(spec.business_eval.metrics):
        missing = sorted(item_fields(metric) - common)
        if missing:
            problems.append(
                f"{where(path, ('business_eval', 'metrics', index))}: metric {metric.name!r} reads "
                f"{', '.join('item.' + field for field in missing)}, which the test rows lack; they have: "
                f"{', '.join(sorted(common))}"
            )
    if problems:
        raise InvalidInputError("invalid run spec\n  " + "\n  ".join(problems))


def _check_calibration(path: Path, spec: RunSpec) -> None:
    """The human labels of every calibrated llm-judge metric exist and are valid for each criterion."""
    from steps import judging
    from steps.logic.metrics.llm_judge import LlmJudgeSpec

    for index, metric in enumerate(spec.business_eval.metrics):
        if isinstance(metric, LlmJudgeSpec) and metric.calibration is not None:
            for criterion in metric.criteria:
                try:
                    judging.calibration_rows(metric, criterion)
                except LlmopsError as exc:
                    raise type(exc)(
                        f"{where(path, ('business_eval', 'metrics', index, 'calibration'))}: {exc}"
                    ) from None


def check(path: Path, spec: RunSpec) -> None:
    """The platform, the dataset (every row) and the evaluation's templates against the test rows."""
    from steps import platforms
    from steps.prepare_data import prepare_splits

    try:  # the open-run step refuses it too; here it is refused before anything runs
        platforms.require(spec.platform)
    except PlatformNotAvailableError as exc:
        raise PlatformNotAvailableError(f"{path}: {exc}") from None
    d = spec.dataset
    files, _, _ = prepare_splits(
        d.source, d.format, d.group_by, d.split.validation, d.split.test, d.split.seed, d.test_source, d.curation
    )
    _check_templates(path, spec, files[TESTING_FILE])
    _check_calibration(path, spec)
