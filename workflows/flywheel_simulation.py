"""`llmops flywheel simulate <flywheel> --rounds N`: the closed loop on this machine, round by round.

Each round, synthetic customers ask the deployed model (the registered model's champion, answering through the
platform's inference port as the deployment would) their bill questions (`steps.data.drifting_traffic`); from
the drift's first round on, a new kind of charge appears that the champion never saw (a workspace without a
champion is refused: release one first, e.g. with the bill-explainer example). Their answers, people's
feedback and a reference model's labels become the round's production log drop. The flywheel's drift check
(the real step) scores the champion on it; when it drifted, the flywheel's run spec runs with trigger `drift` on
every drop so far (curated by prepare-data as any production-logs source), its gate compares the new adapter
with the champion, and a pass releases it: the next round is answered by the new champion.

Nothing in a round is scripted: whether the score falls, the check fires, the gate passes and the score comes
back is what the models do. The rounds, a chart and the traffic are logged to one MLflow run
(`simulation_report`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from steps.errors import InvalidInputError
from steps.logic.flywheel_rounds import Round

TRAFFIC_FORMAT = "production-logs"  # what the flywheel's run spec must train on: the loop's own logs


@dataclass(frozen=True)
class Settings:
    rounds: int
    requests: int = 150  # per round
    drift_from: int = 2  # the first round with the new kind of charge
    new_charge_share: float = 0.6  # of bills, from drift_from on
    reference_share: float = 1.0  # of requests a reference model labels
    seed: int = 0

    def share(self, round_no: int) -> float:
        return self.new_charge_share if round_no >= self.drift_from else 0.0


def check(settings: Settings, spec, auto_approve: bool) -> None:
    """Refuse what cannot close the loop, before anything runs."""
    if min(settings.rounds, settings.requests, settings.drift_from) < 1:
        raise InvalidInputError("--rounds, --requests and --drift-from must be at least 1")
    if not 0.0 <= settings.new_charge_share <= 1.0 or not 0.0 <= settings.reference_share <= 1.0:
        raise InvalidInputError("--new-charge-share and --reference-share are shares: between 0 and 1")
    if spec.dataset.format != TRAFFIC_FORMAT:
        raise InvalidInputError(
            f"the flywheel's run spec {spec.name} trains on dataset.format {spec.dataset.format!r}; a simulation "
            f"retrains on the traffic it logs, so the run spec must read {TRAFFIC_FORMAT!r} (e.g. "
            "workflows/runs/bill-explainer-from-logs.yaml, flywheel workflows/flywheels/bill-explainer-loop.yaml)"
        )
    if spec.approval.required and not auto_approve:
        raise InvalidInputError(
            f"{spec.name} asks a person to approve each release; a simulation does not wait: pass --auto-approve"
        )


def _answers(platform, model: str, requests, max_tokens: int) -> tuple[str, list[str]]:
    """The champion's version and its answers to the requests (as the deployment would answer them)."""
    from steps.open_run import champion

    version, adapter, base = champion(platform.tracker.client(), model)
    chat = platform.inference.chat_model(base, adapter)
    replies = chat.create_batch([r.messages for r in requests], max_tokens=max_tokens)
    return version, [reply["choices"][0]["message"].get("content") or "" for reply in replies]


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def _retrain(flywheel, source: Path, auto_approve: bool, parallelism: int, workspace: Path, row: Round) -> None:
    """Run the flywheel's run spec on `source` with trigger drift; note the run, its gate and its release."""
    from workflows import run_command, summary

    print(f"  drifted: running {flywheel.run_spec} on {source.name} (trigger drift)", flush=True)
    result = run_command.run_spec(
        Path(flywheel.run_spec), auto_approve, parallelism, trigger="drift", dataset_source=str(source)
    )
    summary.report(result, workspace)
    gate, rollout = summary.task_node(result, "gate"), summary.task_node(result, "rollout")
    opened = summary.task_node(result, "open-run")
    row.run, row.run_phase = result.workflow_name, result.phase
    row.run_id = opened.outputs.get("mlflow_run_id", "") if opened is not None else ""
    row.gate = gate.outputs.get("decision", "") if gate is not None and gate.phase == "Succeeded" else ""
    if rollout is not None and rollout.phase == "Succeeded":
        row.released_version = rollout.outputs.get("model_version", "")


def _require_champion(spec) -> None:
    """Refuse to start without a deployed model: the traffic needs one to answer it."""
    from steps import platforms, tracking
    from steps.open_run import champion

    tracking.prepare_store()
    model = spec.release.registered_model_name
    if not champion(platforms.build().tracker.client(), model)[0]:
        raise InvalidInputError(
            f"{model} has no champion in this workspace, and the simulated traffic needs a deployed model to answer "
            f"it; release one first, e.g. `llmops run workflows/runs/bill-explainer.yaml --auto-approve` (`make run`)"
        )


@dataclass
class Simulation:
    rounds: list[Round]
    traffic: Path  # the folder of the rounds' drops
    metric: str  # the watched score (<metric>.<score>)


def simulate(
    flywheel, spec, settings: Settings, workspace: Path, auto_approve: bool = False, parallelism: int = 2
) -> Simulation:
    """Run the rounds."""
    from steps import platforms
    from steps.data.drifting_traffic import answered_right, round_logs, round_requests
    from workflows.flywheel_drift import check_drift

    check(settings, spec, auto_approve)
    _require_champion(spec)
    folder = workspace / "flywheel" / flywheel.name / f"simulation-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    model, rounds, traffic, metric = spec.release.registered_model_name, [], [], ""
    for n in range(1, settings.rounds + 1):
        share = settings.share(n)
        requests = round_requests(n, settings.requests, settings.seed, share, datetime.now(UTC))
        version, answers = _answers(platforms.build(), model, requests, spec.business_eval.max_tokens)
        logs = round_logs(requests, answers, settings.seed, n, settings.reference_share)
        right = sum(answered_right(a, r.expected) for r, a in zip(requests, answers, strict=True))
        drop = folder / f"round-{n:02d}.jsonl"
        _write_jsonl(drop, logs)
        traffic += logs
        print(
            f"round {n}/{settings.rounds}: {len(requests)} requests ({share:.0%} of bills with the new charge); "
            f"{model} v{version} answered {right / len(requests):.1%} right",
            flush=True,
        )
        out = check_drift(flywheel, spec, source=str(drop))
        metric, score, threshold = _verdict(out.mlflow_run_id)
        row = Round(
            round=n,
            new_charge_share=share,
            requests=len(requests),
            champion_version=version,
            answered_right=right / len(requests),
            verdict=out.status,
            score=score,
            threshold=threshold,
            reason=out.reason,
            check_run_id=out.mlflow_run_id,
        )
        if out.drifted == "true":
            source = folder / f"through-round-{n:02d}.jsonl"
            _write_jsonl(source, traffic)
            _retrain(flywheel, source, auto_approve, parallelism, workspace, row)
        rounds.append(row)
    return Simulation(rounds, folder, metric)


def _verdict(run_id: str) -> tuple[str, float | None, float | None]:
    """The drift check's watched metric, score and threshold (its MLflow run's tag and metrics)."""
    from steps import tracking

    data = tracking.client().get_run(run_id).data
    return data.tags["llmops.drift.metric"], data.metrics.get("drift_score"), data.metrics.get("drift_threshold")
