"""The run report, verdict first: what a run decided and why, from plain data (no I/O).

Line 1 is the verdict: `PASS`, `BLOCKED` or `NO VERDICT` (the gate never ran), then the rule that
decided. Then the comparison table (base, candidate, delta, interval, threshold, rule, pass/fail), the
charts, the worst regressions with examples, the reasons, the steps and the run's identity. The same
data renders as Markdown (`markdown`), HTML (`run_report_html`) and a few terminal lines (`short_text`).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from steps.logic.gate_policy import GateDecision, GateRow
from steps.logic.regression_examples import Regressions
from steps.logic.report import fixed_width, row_cells
from steps.logic.selection import Selection
from steps.logic.selection_report import markdown_ranking, selection_lines

PASS, BLOCKED, NO_VERDICT = "PASS", "BLOCKED", "NO VERDICT"
TABLE_HEADERS = ("metric", "kind", "base", "candidate", "delta", "interval", "threshold", "rule", "result")
MAX_IDS = 10  # benchmark item ids listed per row


class StepStatus(BaseModel):
    name: str
    status: str


class Chart(BaseModel):
    title: str
    path: str  # relative to the report
    caption: str


class RunReport(BaseModel):
    workflow: str
    run_id: str
    workflow_status: str
    details: list[tuple[str, str]]  # identity of the run: run spec, base model, dataset revision, ...
    steps: list[StepStatus]
    decision: GateDecision | None  # None: the gate never ran
    headline: str | None
    regressions: list[Regressions]  # business scores with per-item texts, headline first
    charts: list[Chart]
    notes: list[str]  # what could not be shown, and why
    selection: Selection | None = None  # the candidates, when the gate compared several (or a champion)

    def ranking(self) -> bool:
        """Whether the report shows the candidates' ranking: several candidates, or one that met a champion."""
        s = self.selection
        return s is not None and (len(s.verdicts) + len(s.failed) > 1 or any(v.is_champion for v in s.verdicts))


def _first_failing(decision: GateDecision) -> GateRow | None:
    return next((row for row in decision.rows if not row.passed), None)


def _pass_reason(decision: GateDecision, headline: str | None) -> str:
    row = next((r for r in decision.rows if r.name == headline), None)
    if row is None:
        row = next((r for r in decision.rows if r.threshold is not None), None)
    if row is None or row.threshold is None or row.delta is None:
        return ": every rule held"
    measured = (
        f"the lower bound {row.interval[0]:+.4f} of its {row.interval_kind} interval"
        if row.rule == "interval" and row.interval is not None
        else f"the delta {row.delta:+.4f}"
    )
    benchmarks = [r for r in decision.rows if r.kind == "benchmark" and r.threshold is not None]
    within = f"; {len(benchmarks)} benchmark(s) within their regression limits" if benchmarks else ""
    return (
        f" on {row.name} ({row.rule} rule): {measured} (base {row.base:.4f} -> candidate {row.candidate:.4f}) "
        f"clears the required {row.threshold:+.4f}{within}"
    )


def verdict(report: RunReport) -> str:
    """The first line: the verdict and the rule that decided."""
    decision = report.decision
    if decision is None:
        failed = [s.name for s in report.steps if s.status == "FAILED"]
        where = f"step {', '.join(failed)} failed" if failed else f"the workflow ended {report.workflow_status}"
        return f"{NO_VERDICT}: the gate never ran ({where} before it)"
    if decision.passed:
        return PASS + _pass_reason(decision, report.headline)
    row = _first_failing(decision)
    first = decision.reasons[0] if decision.reasons else "a rule failed"
    rule = ""
    if row is not None:
        rule = f" on {row.name} ({row.rule} rule)" if row.threshold is not None else f" on {row.name}"
        first = first.removeprefix(f"{row.name}: ")
    more = len(decision.reasons) - 1
    return f"{BLOCKED}{rule}: {first}" + (f" (+{more} more reason{'s' * (more > 1)})" if more > 0 else "")


def table_cells(row: GateRow) -> tuple[str, ...]:
    """One row of the comparison table, in TABLE_HEADERS order."""
    name, base, candidate, delta, interval, limit, rule, result = row_cells(row)
    return (name, row.kind, base, candidate, delta, interval, limit, rule, result)


def interval_note(decision: GateDecision) -> str:
    return (
        f"interval: {decision.confidence * 100:g}% interval of the delta (paired bootstrap over the items both "
        "sides answered; * unpaired normal interval when a side gave no per-item values)"
    )


def regression_title(found: Regressions) -> str:
    kind = "right → wrong" if found.binary else "score dropped"
    return f"{found.metric}: {found.total} of {found.compared} items {kind}"


def benchmark_regressions(decision: GateDecision) -> list[tuple[str, int, list[str]]]:
    """(benchmark, right -> wrong count, first ids) of the benchmarks whose items were paired."""
    return [
        (row.name, len(row.paired.right_to_wrong), row.paired.right_to_wrong[:MAX_IDS])
        for row in decision.rows
        if row.kind == "benchmark" and row.paired is not None and row.paired.binary and row.paired.right_to_wrong
    ]


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell or line: no pipes, no line breaks, no HTML tags."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\r", " ").replace("\n", " ⏎ ")


def _md_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]


def markdown(report: RunReport) -> str:
    lines = [verdict(report), "", f"# Run {_md(report.workflow)}: {report.workflow_status}", ""]
    decision = report.decision
    if decision is not None:
        lines += _md_table(TABLE_HEADERS, [table_cells(row) for row in decision.rows])
        lines += ["", interval_note(decision), ""]
        if decision.reasons:
            lines += ["## Reasons", "", *(f"- {_md(reason)}" for reason in decision.reasons), ""]
    if report.selection is not None and report.ranking():
        lines += ["## Candidates", "", *markdown_ranking(report.selection), ""]
    for chart in report.charts:
        lines += [f"![{_md(chart.title)}]({chart.path})", "", f"*{_md(chart.caption)}*", ""]
    if report.regressions or (decision is not None and benchmark_regressions(decision)):
        lines += ["## Worst regressions", ""]
    for found in report.regressions:
        lines += [f"### {_md(regression_title(found))}", ""]
        for ex in found.examples:
            lines += [
                f"- **{_md(ex.id)}** (score {ex.base_score:g} → {ex.candidate_score:g})",
                f"  - input: {_md(ex.input)}",
                f"  - base answer: {_md(ex.base_answer)}",
                f"  - candidate answer: {_md(ex.candidate_answer)}",
                f"  - reference: {_md(ex.reference)}",
            ]
        lines.append("")
    if decision is not None:
        for name, count, ids in benchmark_regressions(decision):
            shown = ", ".join(f"`{_md(i)}`" for i in ids) + (" …" if count > len(ids) else "")
            lines += [f"- **{_md(name)}**: {count} items right → wrong: {shown}", ""]
    lines += [f"*{_md(note)}*" for note in report.notes]
    lines += ["", "## Steps", "", *_md_table(("step", "status"), [(s.name, s.status) for s in report.steps])]
    lines += ["", "## Run", "", f"- MLflow run: `{report.run_id}`"]
    lines += [f"- {_md(key)}: {_md(value)}" for key, value in report.details]
    return "\n".join(lines) + "\n"


def short_text(report: RunReport, max_reasons: int = 3) -> str:
    """The report in a few lines for a terminal: the verdict, the table, the first reasons, the worst items."""
    lines = [verdict(report)]
    decision = report.decision
    if decision is not None:
        lines += ["", *fixed_width(TABLE_HEADERS, [table_cells(row) for row in decision.rows])]
        extra = decision.reasons[1 : 1 + max_reasons]
        lines += [f"  - {reason}" for reason in extra]
    if report.selection is not None and report.ranking():
        lines += selection_lines(report.selection)
    for found in report.regressions[:1]:
        lines.append(
            regression_title(found) + (": " + ", ".join(e.id for e in found.examples) if found.examples else "")
        )
    return "\n".join(lines)
