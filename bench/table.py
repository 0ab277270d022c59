"""One row per figure of `make bench`: what was measured, against what, and whether the target is met."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    area: str  # e.g. "end to end", "step start-up"
    name: str  # what was measured
    value: float
    unit: str  # "s", "x", "share", "req/s", ...
    target: str  # e.g. "<= 90 s", ">= 0.95"; empty: reported, no target
    met: bool | None  # None: no target
    detail: str = ""  # how: the side-by-side numbers behind a ratio


def at_most(area: str, name: str, value: float, unit: str, limit: float, detail: str = "") -> Figure:
    return Figure(area, name, value, unit, f"<= {limit:g}", value <= limit, detail)


def at_least(area: str, name: str, value: float, unit: str, limit: float, detail: str = "") -> Figure:
    return Figure(area, name, value, unit, f">= {limit:g}", value >= limit, detail)


def reported(area: str, name: str, value: float, unit: str, detail: str = "") -> Figure:
    return Figure(area, name, value, unit, "", None, detail)


def _value(figure: Figure) -> str:
    if figure.unit == "share":
        return f"{figure.value:.1%}"
    return f"{figure.value:.2f} {figure.unit}" if figure.unit != "x" else f"{figure.value:.2f} x"


def render(figures: list[Figure]) -> str:
    rows = [("area", "figure", "measured", "target", "met", "how")]
    for f in figures:
        verdict = "-" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.area, f.name, _value(f), f.target, verdict, f.detail))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row[:5])) + "  " + row[5])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ---")
    targets = [f for f in figures if f.met is not None]
    lines.append(f"{sum(bool(f.met) for f in targets)} of {len(targets)} targets met")
    return "\n".join(lines)


def write_json(figures: list[Figure], path: Path) -> None:
    path.write_text(json.dumps([asdict(f) for f in figures], indent=2))
