"""A flywheel's drift check run here on the local platform: the drift-check step itself (`steps.drift_check`, what
the `<name>-drift` CronWorkflow runs on a cluster) with the flywheel's policy and its run spec's arguments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from steps.errors import InvalidInputError


def load(path: Path):
    """The flywheel spec at `path` and its run spec; a flywheel without a drift section is refused."""
    from workflows import flywheel_spec, render

    flywheel, spec = flywheel_spec.load(path, render.RUNS_DIR, render.ROOT)
    if flywheel.drift is None:
        raise InvalidInputError(f"{path}: the flywheel has no drift section; add one (docs/flywheel.md, Drift)")
    return flywheel, spec


def check_drift(flywheel, spec, source: str = ""):
    """The drift-check step's output for a flywheel (its workspace: LLMOPS_WORKSPACE); `source` replaces the
    drift section's record source (the simulation's latest traffic)."""
    from steps import tracking
    from steps.drift_check import DriftCheckInput, drift_check
    from workflows import flywheel_render, parameters

    policy = flywheel.drift.policy()
    if source:
        policy = policy.model_copy(update={"source": source})
    values = {p.name: p.value(spec) for p in parameters.PARAMETERS}
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    tracking.prepare_store()
    return drift_check(
        DriftCheckInput(
            flywheel=flywheel.name,
            workflow_name=f"{flywheel.name}{flywheel_render.DRIFT_SUFFIX}-{stamp}",
            workflow_uid=str(uuid.uuid4()),
            drift_policy=policy.model_dump_json(),
            **{name: values[name] for name in flywheel_render.DRIFT_ARGUMENTS},
        )
    )
