"""Human-readable renderings of a gate decision: a fixed-width text table and a Markdown table."""

from __future__ import annotations

from steps.logic.gate_policy import GateDecision, GateRow

HEADERS = ("metric", "base", "candidate", "delta", "limit", "verdict")


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


def _cells(row: GateRow) -> tuple[str, ...]:
    return (row.name, _number(row.base), _number(row.candidate), _signed(row.delta), _limit(row), _verdict(row))


def verdict_line(decision: GateDecision) -> str:
    return "gate: PASS" if decision.passed else "gate: BLOCKED"


def summary_table(decision: GateDecision) -> str:
    """Fixed-width table (first column left-aligned, numbers right-aligned), then the verdict and reasons."""
    table = [HEADERS, *(_cells(row) for row in decision.rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(HEADERS))]
    lines = []
    for line in table:
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    lines.append(verdict_line(decision))
    lines.extend(f"  - {reason}" for reason in decision.reasons)
    return "\n".join(lines)


def _ci(row: GateRow) -> str:
    return "-" if row.ci95 is None else f"[{row.ci95[0]:+.4f}, {row.ci95[1]:+.4f}]"


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table(decision: GateDecision) -> str:
    """GitHub-flavoured Markdown for MLflow and Argo outputs (adds the kind and the 95 % CI of the delta)."""
    lines = [
        "| metric | kind | base | candidate | delta | 95% CI of delta | limit | verdict |",
        "| --- | --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for row in decision.rows:
        name, base, candidate, delta, limit, verdict = _cells(row)
        lines.append(
            f"| {_escape(name)} | {row.kind} | {base} | {candidate} | {delta} | {_ci(row)} | "
            f"{limit.replace('>=', '&ge;')} | {verdict} |"
        )
    lines.append("")
    lines.append(f"**{verdict_line(decision)}**")
    if decision.reasons:
        lines.append("")
        lines.extend(f"- {_escape(reason)}" for reason in decision.reasons)
    return "\n".join(lines) + "\n"
