"""The run report as one self-contained HTML page (no I/O, no external assets).

The charts are embedded as base64 `data:` URIs rather than linked as sibling files: MLflow's artifact
viewer shows an HTML artifact on its own (relative links to `charts/...` do not resolve there), and a
downloaded or mailed report stays whole. Every text from the run is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from html import escape

from steps.logic.run_report import (
    BLOCKED,
    PASS,
    TABLE_HEADERS,
    RunReport,
    benchmark_regressions,
    interval_note,
    regression_title,
    table_cells,
    verdict,
)
from steps.logic.selection_report import HEADERS, ranking_rows

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
.verdict { font-size: 1.3em; font-weight: 600; padding: .6em .8em; border-radius: 6px; }
.pass { background: #e3f4e6; border-left: 6px solid #2e7d32; }
.blocked { background: #fde7e7; border-left: 6px solid #c62828; }
.none { background: #f1f1f1; border-left: 6px solid #757575; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .55em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.FAIL { color: #c62828; font-weight: 600; } td.pass { color: #2e7d32; }
.example td { max-width: 40em; white-space: pre-wrap; word-break: break-word; }
img { max-width: 100%; } .note { color: #555; font-style: italic; }
"""
NUMERIC = {"base", "candidate", "delta", "interval", "threshold"}


def _e(text: str) -> str:
    return escape(text, quote=True)


def _verdict_class(line: str) -> str:
    if line.startswith(PASS):
        return "pass"
    return "blocked" if line.startswith(BLOCKED) else "none"


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], classes: list[str] | None = None) -> list[str]:
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr>"]
    for row in rows:
        cells = []
        for header, cell, css in zip(headers, row, classes or [""] * len(headers), strict=True):
            kind = css or ("num" if header in NUMERIC else (cell if header == "result" else ""))
            attr = f' class="{_e(kind)}"' if kind else ""
            cells.append(f"<td{attr}>{_e(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return [*out, "</table>"]


def _image(path: str, images: Mapping[str, bytes], title: str) -> str:
    data = images.get(path)
    if data is None:
        return f'<p class="note">{_e(title)}: not drawn</p>'
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return f'<img src="{uri}" alt="{_e(title)}">'


def html(report: RunReport, images: Mapping[str, bytes]) -> str:
    """The report page; `images` maps each chart's path to its PNG bytes."""
    line = verdict(report)
    body = [
        f'<p class="verdict {_verdict_class(line)}" id="verdict">{_e(line)}</p>',
        f"<h1>Run {_e(report.workflow)}: {_e(report.workflow_status)}</h1>",
    ]
    decision = report.decision
    if decision is not None:
        body += _table(TABLE_HEADERS, [table_cells(row) for row in decision.rows])
        body.append(f'<p class="note">{_e(interval_note(decision))}</p>')
        if decision.reasons:
            body += ["<h2>Reasons</h2>", "<ul>", *(f"<li>{_e(r)}</li>" for r in decision.reasons), "</ul>"]
    if report.selection is not None and report.ranking():
        body += ["<h2>Candidates</h2>", *_table(HEADERS, ranking_rows(report.selection))]
        body += ["<ul>", *(f"<li>{_e(r)}</li>" for r in report.selection.reasons), "</ul>"]
    for chart in report.charts:
        body += [
            f"<h2>{_e(chart.title)}</h2>",
            _image(chart.path, images, chart.title),
            f'<p class="note">{_e(chart.caption)}</p>',
        ]
    benchmarks = benchmark_regressions(decision) if decision is not None else []
    if report.regressions or benchmarks:
        body.append("<h2>Worst regressions</h2>")
    for found in report.regressions:
        body.append(f"<h3>{_e(regression_title(found))}</h3>")
        if found.examples:
            headers = ("id", "input", "base answer", "candidate answer", "reference", "score")
            rows = [
                (
                    ex.id,
                    ex.input,
                    ex.base_answer,
                    ex.candidate_answer,
                    ex.reference,
                    f"{ex.base_score:g} → {ex.candidate_score:g}",
                )
                for ex in found.examples
            ]
            body += ['<div class="example">', *_table(headers, rows, ["", "", "", "", "", "num"]), "</div>"]
    if benchmarks:
        body.append("<ul>")
        for name, count, ids in benchmarks:
            shown = ", ".join(ids) + (" …" if count > len(ids) else "")
            body.append(f"<li><b>{_e(name)}</b>: {count} items right → wrong: {_e(shown)}</li>")
        body.append("</ul>")
    body += [f'<p class="note">{_e(note)}</p>' for note in report.notes]
    body += ["<h2>Steps</h2>", *_table(("step", "status"), [(s.name, s.status) for s in report.steps])]
    details = [("MLflow run", report.run_id), *report.details]
    body += ["<h2>Run</h2>", *_table(("field", "value"), details)]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{_e(line)}</title>",
            f"<style>{STYLE}</style></head><body>",
            *body,
            "</body></html>",
            "",
        ]
    )
