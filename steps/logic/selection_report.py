"""The candidates of a run as people read them: a ranking with scores, intervals, rule outcomes and cost.

`selection_lines` is the short text form (the gate's printed report, the run's description);
`markdown_ranking` the table of the run report. Pure: no I/O.
"""

from __future__ import annotations

from steps.logic.selection import CHAMPION_PREFIX, Selection, Verdict

HEADERS = ("rank", "candidate", "base model", "headline", "vs base", "vs champion", "cost", "outcome")


def _headline_cells(v: Verdict) -> tuple[str, str]:
    """(delta and interval against the base, the same against the champion) of the headline row."""
    cells = []
    headline = _headline(v)
    for prefix in ("", CHAMPION_PREFIX):
        row = next((r for r in v.decision.rows if r.name == prefix + headline), None)
        if row is None or row.delta is None:
            cells.append("—")
            continue
        interval = f" [{row.interval[0]:+.3f}, {row.interval[1]:+.3f}]" if row.interval else ""
        cells.append(f"{row.delta:+.3f}{interval}")
    return cells[0], cells[1]


def _headline(v: Verdict) -> str:
    return next(
        (
            r.name
            for r in v.decision.rows
            if r.kind == "business" and r.rule != "info" and CHAMPION_PREFIX not in r.name
        ),
        "",
    )


def _cost(v: Verdict) -> str:
    parts = []
    if v.cost.trainable_parameters is not None:
        parts.append(f"{v.cost.trainable_parameters:,} params")
    parts.append(f"r{v.cost.lora_rank}")
    if v.cost.steps is not None:
        parts.append(f"{v.cost.steps} steps")
    if v.cost.gpu_seconds is not None:
        parts.append(f"{v.cost.gpu_seconds:.0f} GPU s")
    elif v.cost.seconds is not None:
        parts.append(f"{v.cost.seconds:.0f} s")
    return ", ".join(parts)


def _outcome(v: Verdict, winner: str | None) -> str:
    if v.name == winner:
        return "released" + (f" ({v.note})" if v.note else "")
    if v.decision.passed:
        return "passed, not chosen"
    failed = [r.name for r in v.decision.rows if not r.passed and r.rule != "info"]
    return "blocked: " + ", ".join(failed) if failed else "blocked"


def ranking_rows(selection: Selection) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for v in selection.verdicts:
        vs_base, vs_champion = _headline_cells(v)
        rows.append(
            (
                str(v.rank) if v.rank else "—",
                v.name or "(the run's)",
                v.base_model,
                "—" if v.headline is None else f"{v.headline:.4f}",
                vs_base,
                vs_champion,
                _cost(v),
                _outcome(v, selection.winner),
            )
        )
    rows += [("—", name, "", "", "", "", "", "failed: no result") for name in selection.failed]
    return rows


def selection_lines(selection: Selection) -> list[str]:
    """A line per candidate (and per failed one), then why the winner won; nothing for a lone candidate."""
    if len(selection.verdicts) + len(selection.failed) < 2:
        return []
    lines = ["candidates:"]
    for rank, name, base, headline, vs_base, vs_champion, cost, outcome in ranking_rows(selection):
        lines.append(
            f"  {rank:>2} {name} on {base}: {headline} (vs base {vs_base}; vs champion {vs_champion}; {cost}) {outcome}"
        )
    return lines + [f"  {reason}" for reason in selection.reasons]


def markdown_ranking(selection: Selection) -> list[str]:
    rows = ranking_rows(selection)
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines + [""] + [f"- {reason}" for reason in selection.reasons]
