"""Step drift-check: score the champion on recent labelled production traffic; say whether it has drifted.

The records are the production records curation reads (docs/curation.md), parsed and anonymised the same way;
the labelled ones (a correction or a reference answer, `steps.logic.drift_records`) become testing rows. The
released adapter (registry alias `champion`) answers them through the platform's inference port and the run
spec's metrics score the answers, as business-eval does; the decision is `steps.logic.drift.decide` against
the champion's score at release (the gate row `gate.<metric>` of its version, else its business-eval run).
The check is one MLflow run in the run spec's experiment, tagged `llmops.drift.verdict`; `drifted` tells the
drift-check workflow whether to submit the pipeline with trigger `drift`.
"""

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from hera.workflows import Input, Output, Parameter
from pydantic import ValidationError

from steps import platforms
from steps.business_eval import score_rows, score_values
from steps.contracts import Platform as PlatformPorts
from steps.curated_source import read_lines
from steps.errors import InvalidInputError
from steps.io import choices
from steps.logic import metrics as metric_engine
from steps.logic.curation.parse import parse_lines
from steps.logic.curation.privacy import anonymize_all
from steps.logic.drift import DriftPolicy, Observed, Verdict, decide, no_champion
from steps.logic.drift_records import RecentRows, recent_rows
from steps.logic.evaluation_rows import evaluation_table
from steps.logic.field_paths import dotted, one_line
from steps.open_run import PLATFORM_TAG, PlatformOrUnset, champion
from steps.prepare_data import resolve_source
from steps.register import GATE_ROW_PREFIX

VERDICT_TAG, DRIFTED_TAG = "llmops.drift.verdict", "llmops.drift.drifted"  # every check run has both
RUN_PREFIX = "drift-check"


class DriftCheckInput(Input):
    flywheel: Annotated[str, Parameter(description="Flywheel whose champion is watched")]
    run_spec_name: Annotated[str, Parameter(description="Run spec the flywheel retrains")]
    experiment: Annotated[str, Parameter(description="MLflow experiment (the run spec's)")]
    workflow_name: Annotated[str, Parameter(description="Argo workflow name")]
    workflow_uid: Annotated[str, Parameter(description="Argo workflow uid")]
    platform: Annotated[
        PlatformOrUnset,
        Parameter(
            description="Platform the run spec needs; empty: the one this environment is configured with",
            enum=choices(PlatformOrUnset),
        ),
    ]
    registered_model_name: Annotated[str, Parameter(description="MLflow registered model whose champion is watched")]
    business_metrics: Annotated[str, Parameter(description="JSON list of the run spec's metric specs")]
    business_headline: Annotated[str, Parameter(description="The gate's headline (<metric>.<score>); empty: first")]
    business_max_tokens: Annotated[int, Parameter(description="Generation budget per answer")]
    drift_policy: Annotated[str, Parameter(description="JSON drift policy: the flywheel spec's drift section")]


class DriftCheckOutput(Output):
    drifted: Annotated[
        str, Parameter(name="drifted", description="true when the champion drifted", enum=["true", "false"])
    ]
    status: Annotated[
        str,
        Parameter(
            name="status",
            description="drifted, stable, insufficient-data or no-champion",
            enum=["drifted", "stable", "insufficient-data", "no-champion"],
        ),
    ]
    reason: Annotated[str, Parameter(name="reason", description="One line naming the numbers")]
    mlflow_run_id: Annotated[str, Parameter(name="mlflow_run_id", description="MLflow run of the check")]


def parse_policy(text: str) -> DriftPolicy:
    """The `drift_policy` parameter (the flywheel spec's drift section as JSON, without its schedule)."""
    try:
        return DriftPolicy.model_validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{dotted(e['loc'], '(section)')}: {one_line(e['msg'])}" for e in error.errors(include_url=False)
        )
        raise InvalidInputError(
            f"drift_policy: {problems}. The parameter is a flywheel spec's drift section as JSON (docs/flywheel.md)"
        ) from None


def release_score(platform: PlatformPorts, model: str, version: str, adapter: str, metric: str) -> float | None:
    """The champion's score on `metric` when it was released: its version's gate row, else the metric of the
    business-eval run that scored it as the candidate of its release run; None when neither has it."""
    client = platform.tracker.client()
    details = client.get_model_version(model, version)
    row = details.tags.get(f"{GATE_ROW_PREFIX}{metric}")
    if row:
        value = json.loads(row).get("candidate")
        if isinstance(value, int | float):
            return float(value)
    if not details.run_id:
        return None
    for run in platform.tracker.children(details.run_id):
        params = run.data.params
        if params.get("target") == "candidate" and params.get("adapter_id") == adapter and metric in run.data.metrics:
            return float(run.data.metrics[metric])
    return None


def _records(policy: DriftPolicy, now: datetime) -> RecentRows:
    path = resolve_source(policy.source)
    parsed = parse_lines(read_lines(path), str(path), policy.on_invalid)
    clean, _, _ = anonymize_all(parsed.interactions)
    window = policy.window_length()
    seconds = window.total_seconds() if window is not None else None
    recent = recent_rows(clean, policy.labels, policy.max_records, now, seconds)
    skipped = len({item.line for item in parsed.rejected})
    print(
        f"{policy.source}: {parsed.read} records ({skipped} malformed, skipped), {recent.labelled} labelled, "
        f"{recent.outside_window} outside the window, {len(recent.rows)} scored"
    )
    return recent


def _score(
    platform: PlatformPorts, inputs: DriftCheckInput, specs: list, rows: list[dict], base: str, adapter: str
) -> tuple[metric_engine.EvaluationResult, dict[str, float]]:
    missing = metric_engine.missing_fields(specs, rows)
    if missing:
        raise InvalidInputError(
            "drift-check: the labelled records lack fields the run spec's metrics read: "
            + "; ".join(f"{name}: {', '.join(fields)}" for name, fields in missing.items())
            + " (a record's label gives `reference` and `tool_calls`, its intent `intent`)"
        )
    result, _ = score_rows(platform.inference, specs, rows, base, adapter, inputs.business_max_tokens)
    return result, score_values(result)


def _log(
    platform: PlatformPorts,
    inputs: DriftCheckInput,
    policy: DriftPolicy,
    verdict: Verdict,
    facts: dict[str, Any],
    result: metric_engine.EvaluationResult | None,
) -> str:
    tags = {
        "llmops.flywheel": inputs.flywheel,
        "llmops.run_spec": inputs.run_spec_name,
        VERDICT_TAG: verdict.status,
        DRIFTED_TAG: str(verdict.drifted).lower(),
        "llmops.drift.metric": verdict.metric,
        "llmops.drift.source": policy.source,
        "llmops.champion_version": str(facts.get("champion_version", "")),
        PLATFORM_TAG: platform.name,
        "mlflow.note.content": verdict.reason,
    }
    tracker = platform.tracker
    run_id = tracker.open_parent(inputs.experiment, f"{RUN_PREFIX}-{inputs.flywheel}", inputs.workflow_uid, tags)
    tracker.set_parent_tags(run_id, tags)  # a retried check updates the verdict
    tracker.log_parent_params(run_id, {**policy.model_dump(mode="json"), **{"metric": verdict.metric}})
    measured = {
        "score": verdict.value,
        "score_stderr": verdict.stderr,
        "reference": verdict.reference,
        "threshold": verdict.threshold,
    }
    numbers = {
        "drift_records": float(verdict.records),
        **{f"drift_{key}": value for key, value in measured.items() if value is not None},
        **facts.get("values", {}),
    }
    tracker.log_parent_metrics(run_id, numbers)
    client = tracker.client()
    client.log_dict(run_id, {**verdict.model_dump(mode="json"), **facts.get("window", {})}, "drift/verdict.json")
    if result is not None:
        client.log_table(run_id, evaluation_table(result.rows), artifact_file="drift/items.json")
    tracker.close_parent(run_id, "Succeeded")
    return run_id


def drift_check(inputs: DriftCheckInput) -> DriftCheckOutput:
    name = platforms.require(inputs.platform)
    policy = parse_policy(inputs.drift_policy)
    specs = metric_engine.parse_metric_specs(json.loads(inputs.business_metrics), "business_metrics")
    metric = metric_engine.headline_of(specs, policy.metric or inputs.business_headline)  # before any inference
    platform = platforms.build(name)
    recent = _records(policy, datetime.now(UTC))
    window = {"first_record": str(recent.first or ""), "last_record": str(recent.last or "")}
    model = inputs.registered_model_name
    version, adapter, base = champion(platform.tracker.client(), model)
    result = None
    facts: dict[str, Any] = {"champion_version": version, "window": window}
    if not version:
        verdict = no_champion(metric, model, len(recent.rows))
    elif len(recent.rows) < policy.min_records:  # no inference for a check that cannot decide
        verdict = decide(policy, metric, Observed(value=None, n=len(recent.rows)), None, f"{model} v{version}")
    else:
        result, facts["values"] = _score(platform, inputs, specs, recent.rows, base, adapter)
        score = result.scores[metric]
        reference = release_score(platform, model, version, adapter, metric)
        observed = Observed(value=score.value, stderr=score.stderr, n=score.n)
        verdict = decide(policy, metric, observed, reference, f"{model} v{version}", policy.window)
    run_id = _log(platform, inputs, policy, verdict, facts, result)
    print(verdict.reason)
    return DriftCheckOutput(
        drifted=str(verdict.drifted).lower(), status=verdict.status, reason=verdict.reason, mlflow_run_id=run_id
    )
