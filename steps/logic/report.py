"""Human-readable renderings of a gate decision: fixed-width text tables (an Argo log) and Markdown (MLflow)."""

from __future__ import annotations

from steps.logic.gate_policy import GateDecision, GateRow

HEADERS = ("metric", "base", "candidate", "delta", "interval", "limit", "rule", "verdict")
ITEM_HEADERS = ("metric", "pairs", "base only", "cand only", "r->w", "w->r", "McNemar p")
MAX_IDS = 20  # item ids listed per row and direction in the Markdown report


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.4f}"


def _limit(row: GateRow) -> str:
    return "" if row.threshold is None else f">= {row.threshold:+.4f}"


def _verdict(row: GateRow) -> str:
    if row.threshold is None and row.passed:
        return "info"
    return "pass" if row.passed else "FAIL"


def _interval(row: GateRow) -> str:
    """The interval of the delta; `*` marks an unpaired one (a side gave no per-item values)."""
    if row.interval is None:
        return "-"
    mark = "*" if row.interval_kind == "unpaired" else ""
    return f"[{row.interval[0]:+.4f}, {row.interval[1]:+.4f}]{mark}"


def _p_value(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.0001" if p < 1e-4 else f"{p:.4f}"


def row_cells(row: GateRow) -> tuple[str, ...]:
    """A row's text cells, in HEADERS order."""
    return (
        row.name,
        _number(row.base),
        _number(row.candidate),
        _signed(row.delta),
        _interval(row),
        _limit(row),
        row.rule,
        _verdict(row),
    )


def _item_cells(row: GateRow) -> tuple[str, ...]:
    paired = row.paired
    if paired is None:
        return (row.name, "unpaired", "-", "-", "-", "-", "-")
    counts = (len(paired.right_to_wrong), len(paired.wrong_to_right)) if paired.binary else None
    return (
        row.name,
        str(paired.n),
        str(paired.only_base),
        str(paired.only_candidate),
        "-" if counts is None else str(counts[0]),
        "-" if counts is None else str(counts[1]),
        _p_value(paired.mcnemar_p),
    )


def verdict_line(decision: GateDecision) -> str:
    return "gate: PASS" if decision.passed else "gate: BLOCKED"


def fixed_width(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """First column left-aligned, the others right-aligned, a dashed rule under the headers."""
    table = [headers, *rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(headers))]
    lines = [
        "  ".join([line[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True))]).rstrip()
        for line in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def summary_table(decision: GateDecision) -> str:
    """The comparison, the per-item counts, then the verdict and reasons."""
    lines = fixed_width(HEADERS, [row_cells(row) for row in decision.rows])
    lines.append(
        f"interval: {decision.confidence * 100:g}% interval of delta, paired bootstrap; * unpaired (no per-item values)"
    )
    lines.append("")
    lines.extend(fixed_width(ITEM_HEADERS, [_item_cells(row) for row in decision.rows]))
    lines.append(verdict_line(decision))
    lines.extend(f"  - {reason}" for reason in decision.reasons)
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _ids(ids: list[str]) -> str:
    shown = ", ".join(f"`{_escape(item_id)}`" for item_id in ids[:MAX_IDS])
    return shown + (f" … and {len(ids) - MAX_IDS} more" if len(ids) > MAX_IDS else "")


def _changed_items(decision: GateDecision) -> list[str]:
    lines: list[str] = []
    for row in decision.rows:
        if row.paired is None or not row.paired.binary:
            continue
        for label, ids in (
            ("right → wrong (regressions)", row.paired.right_to_wrong),
            ("wrong → right (improvements)", row.paired.wrong_to_right),
        ):
            if ids:
                lines.append(f"- **{_escape(row.name)}** {label}, {len(ids)}: {_ids(ids)}")
    return lines


def markdown_table(decision: GateDecision) -> str:
    """GitHub-flavoured Markdown for MLflow: every column of both text tables, and the items that changed."""
    lines = [
        f"| metric | kind | base | candidate | delta | {decision.confidence * 100:g}% interval of delta | limit | rule "
        "| pairs | base only | cand only | right → wrong | wrong → right | McNemar p | verdict |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in decision.rows:
        name, base, candidate, delta, interval, limit, rule, verdict = row_cells(row)
        _, pairs, only_base, only_cand, worse, better, p_value = _item_cells(row)
        lines.append(
            f"| {_escape(name)} | {row.kind} | {base} | {candidate} | {delta} | {interval} | "
            f"{limit.replace('>=', '&ge;')} | {rule} | {pairs} | {only_base} | {only_cand} | {worse} | {better} | "
            f"{p_value} | {verdict} |"
        )
    lines.append("")
    lines.append("Intervals are paired bootstrap intervals over the items both sides answered; `*` marks an unpaired")
    lines.append("normal interval (a side reported no per-item values). The rule column names what decided the row.")
    changed = _changed_items(decision)
    if changed:
        lines.extend(["", "### Items that changed", "", *changed])
    lines.append("")
    lines.append(f"**{verdict_line(decision)}**")
    if decision.reasons:
        lines.append("")
        lines.extend(f"- {_escape(reason)}" for reason in decision.reasons)
    return "\n".join(lines) + "\n"
