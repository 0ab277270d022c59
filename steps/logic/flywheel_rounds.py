"""What each round of a flywheel simulation did (`llmops flywheel simulate`), and the table that shows it."""

from __future__ import annotations

from pydantic import BaseModel


class Round(BaseModel):
    """One simulated round: traffic answered by the champion, the drift check on it, and the run it started."""

    round: int
    new_charge_share: float  # share of bills with the new kind of charge
    requests: int
    champion_version: str  # the registered version that answered the traffic
    answered_right: float  # share of requests the champion answered right (what customers saw)
    verdict: str  # the drift check's: drifted, stable, insufficient-data, no-champion
    score: float | None = None  # the watched metric on the labelled traffic
    threshold: float | None = None
    reason: str = ""
    check_run_id: str = ""  # the drift check's MLflow run
    run: str = ""  # the workflow the trigger started, if any
    run_id: str = ""  # its MLflow parent run
    run_phase: str = ""
    gate: str = ""  # pass | block, when the run got that far
    released_version: str = ""  # the version the run released, if any


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def table(rounds: list[Round], metric: str) -> str:
    """The rounds as a fixed-width text table (one line per round), `metric` naming the score column."""
    header = (
        "round",
        "new charge",
        "champion",
        "answered right",
        metric,
        "threshold",
        "drift check",
        "run (trigger drift)",
        "gate",
        "released",
    )
    lines = [
        (
            str(r.round),
            f"{r.new_charge_share:.0%}",
            f"v{r.champion_version}" if r.champion_version else "-",
            f"{r.answered_right:.1%}",
            _number(r.score),
            _number(r.threshold),
            r.verdict,
            r.run or "-",
            r.gate.upper() if r.gate else ("-" if not r.run else r.run_phase.lower()),
            f"v{r.released_version}" if r.released_version else "-",
        )
        for r in rounds
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *lines]
    )


def outcome(rounds: list[Round]) -> str:
    """One line: whether the champion's score fell, a run was triggered and released, and the score came back."""
    scored = [r for r in rounds if r.score is not None]
    if not scored:
        return "no round was scored (too few labelled records or no champion)"
    releases = [r for r in rounds if r.released_version]
    first, low = scored[0], min(scored, key=lambda r: r.score or 0.0)
    parts = [f"score {first.score:.3f} in round {first.round}, lowest {low.score:.3f} in round {low.round}"]
    triggered = [r for r in rounds if r.run]
    parts.append(f"{len(triggered)} run(s) triggered by drift, {len(releases)} released")
    if releases:
        after = [r for r in scored if r.round > releases[-1].round]
        if after:
            parts.append(f"after the last release {after[-1].score:.3f} in round {after[-1].round}")
    return "; ".join(parts)
