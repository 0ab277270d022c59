"""The flywheel spec: when a run spec runs again by itself (`workflows/flywheels/<name>.yaml`, docs/flywheel.md).

A flywheel names a run spec of `workflows/runs` and its triggers: a schedule (rendered as a CronWorkflow), new
data (a WorkflowEventBinding: an event on the Argo Server's events endpoint names a new dataset source) and
drift (a CronWorkflow that runs the drift check, `steps.logic.drift`, which submits the run when the champion
has drifted). The triggered runs are the run spec's Workflow with `trigger` set to `schedule`, `new-data` or
`drift`; a new-data run also takes its dataset source from the event. The schedule fields follow Argo's
CronWorkflow options, in snake case. Unknown fields are rejected; errors name the file, line and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from steps.errors import InvalidInputError, LlmopsError
from steps.logic.drift import DriftPolicy
from steps.logic.metrics import score_names
from workflows import runspec, spec_files
from workflows.cron_schedule import schedule_problem, timezone_problem
from workflows.runspec_fields import NAME_PATTERN, Strict, conflict

DISCRIMINATOR_PATTERN = r"^[A-Za-z0-9][-._A-Za-z0-9]*$"  # one segment of the events URL


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


class Schedule(Strict):
    cron: Annotated[list[str], BeforeValidator(_as_list)] = Field(
        min_length=1,
        description="Cron schedules (minute hour day-of-month month day-of-week, or @daily, @every 6h, ...); "
        "one string or a list. CronWorkflow spec.schedules",
    )
    timezone: str = Field(
        "", description="IANA timezone of the schedules (e.g. Europe/Madrid); empty: the workflow controller's"
    )
    concurrency_policy: Literal["Forbid", "Replace", "Allow"] = Field(
        "Forbid",
        description="When the previous scheduled run is still going: Forbid skips the new one, Replace stops the "
        "old one, Allow runs both",
    )
    starting_deadline_seconds: int = Field(
        0, ge=0, description="How late a missed schedule (controller down) may still start; 0: it is skipped"
    )
    suspend: bool = Field(False, description="Stop scheduling (the CronWorkflow stays, its history too)")
    successful_jobs_history_limit: int = Field(3, ge=0, description="Succeeded scheduled Workflows Argo keeps")
    failed_jobs_history_limit: int = Field(1, ge=0, description="Failed scheduled Workflows Argo keeps")

    @field_validator("cron")
    @classmethod
    def _cron(cls, schedules: list[str]) -> list[str]:
        problems = [p for p in map(schedule_problem, schedules) if p]
        if problems:
            raise ValueError("; ".join(problems))
        return schedules

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, timezone: str) -> str:
        problem = timezone_problem(timezone)
        if problem:
            raise ValueError(problem)
        return timezone


class OnNewData(Strict):
    enabled: bool = Field(True, description="Render the event binding; false: keep the section, bind nothing")
    discriminator: str | None = Field(
        None,
        pattern=DISCRIMINATOR_PATTERN,
        max_length=253,
        description="Last segment of the events URL (/api/v1/events/<namespace>/<discriminator>) the binding "
        "answers; default: the run spec's dataset.name",
    )


class Drift(DriftPolicy):
    """The drift trigger: the check's policy (`steps.logic.drift.DriftPolicy`) and its own schedule."""

    model_config = ConfigDict(extra="forbid")

    schedule: Schedule = Field(description="When the drift check runs (its own CronWorkflow, <name>-drift)")

    def policy(self) -> DriftPolicy:
        """The check's policy, without the schedule: what the drift-check step receives."""
        return DriftPolicy.model_validate(self.model_dump(exclude={"schedule"}))


class FlywheelSpec(Strict):
    name: str = Field(
        pattern=NAME_PATTERN,
        max_length=40,
        description="Flywheel name (git: workflows/flywheels/<name>.yaml); names the CronWorkflow and the binding",
    )
    description: str = ""  # for people
    run_spec: str = Field(
        description="The run spec whose arguments the triggered runs use: a file of workflows/runs, relative to "
        "the repository root (e.g. workflows/runs/bill-explainer.yaml)"
    )
    schedule: Schedule | None = None
    on_new_data: OnNewData | None = None
    drift: Drift | None = None

    @model_validator(mode="after")
    def _some_trigger(self) -> FlywheelSpec:
        if self.schedule is None and self.drift is None and not (self.on_new_data and self.on_new_data.enabled):
            raise conflict(
                "schedule",
                "a flywheel needs a trigger: add a schedule, an enabled on_new_data section, a drift section, or "
                "several",
            )
        return self

    def discriminator(self, spec: runspec.RunSpec) -> str:
        """The events URL segment of the new-data binding."""
        return (self.on_new_data and self.on_new_data.discriminator) or spec.dataset.name


def load(path: Path, runs_dir: Path, root: Path) -> tuple[FlywheelSpec, runspec.RunSpec]:
    """A flywheel spec and its run spec (which must be a file of `runs_dir`; `run_spec` is relative to `root`)."""
    path = Path(path)
    flywheel = spec_files.load(path, FlywheelSpec, "flywheel spec", "name, run_spec, schedule, on_new_data, drift")
    target = (root / flywheel.run_spec).resolve()
    if target.parent != runs_dir.resolve() or not target.is_file():
        raise InvalidInputError(
            f"{spec_files.where(path, ('run_spec',))}: {flywheel.run_spec!r} is not a run spec file of "
            f"{runs_dir.relative_to(root) if runs_dir.is_relative_to(root) else runs_dir}; name one relative to the "
            "repository root (e.g. workflows/runs/bill-explainer.yaml)"
        )
    try:
        spec = runspec.load(target)
    except LlmopsError as exc:
        raise InvalidInputError(f"{spec_files.where(path, ('run_spec',))}: its run spec is not valid: {exc}") from None
    if flywheel.drift is not None and flywheel.drift.metric:
        available = [name for metric in spec.business_eval.metrics for name in score_names(metric)]
        if flywheel.drift.metric not in available:
            raise InvalidInputError(
                f"{spec_files.where(path, ('drift', 'metric'))}: {flywheel.drift.metric!r} is not a score of the run "
                f"spec's business_eval metrics; choose one of: {', '.join(available)} (empty: the gate's headline)"
            )
    return flywheel, spec
