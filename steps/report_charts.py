"""Charts as PNG files: the run report's (base vs candidate per metric, the training loss curves) and a flywheel
simulation's (the champion's score over rounds).

matplotlib (Agg backend, imported when a chart is drawn) at a fixed size and dpi, without the
software/date metadata, so the same data gives the same file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from steps.logic.flywheel_rounds import Round
from steps.logic.gate_policy import GateRow

SIZE = (9.0, 4.8)  # inches
DPI = 100  # 900 x 480 pixels
BASE_COLOR, CANDIDATE_COLOR, LIMIT_COLOR = "#90a4ae", "#1e88e5", "#c62828"
Curve = list[tuple[int, float]]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


@contextmanager
def _chart(path: Path) -> Iterator[Any]:
    """The axes of a new figure; on leaving, the figure is laid out, written to `path` and closed."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=SIZE, dpi=DPI)
    try:
        yield ax
        fig.tight_layout()
        _save(fig, path)
    finally:
        plt.close(fig)


def metric_bars(rows: list[GateRow], path: Path) -> bool:
    """Grouped bars of base and candidate per compared metric; the delta's interval as error bars on the
    candidate (base + interval), and a tick at the least the candidate needed (base + threshold).
    False (nothing written) when no metric has both scores."""
    shown = [row for row in rows if row.base is not None and row.candidate is not None]
    if not shown:
        return False
    with _chart(path) as ax:
        xs = list(range(len(shown)))
        width = 0.38
        base = [float(row.base or 0.0) for row in shown]
        cand = [float(row.candidate or 0.0) for row in shown]
        ax.bar([x - width / 2 for x in xs], base, width, label="base", color=BASE_COLOR)
        ax.bar([x + width / 2 for x in xs], cand, width, label="candidate", color=CANDIDATE_COLOR)
        for x, row, b, c in zip(xs, shown, base, cand, strict=True):
            if row.interval is not None:
                low, high = b + row.interval[0], b + row.interval[1]
                ax.errorbar(
                    x + width / 2,
                    c,
                    yerr=[[max(c - low, 0.0)], [max(high - c, 0.0)]],
                    fmt="none",
                    ecolor="black",
                    capsize=4,
                    linewidth=1,
                )
            if row.threshold is not None:
                ax.hlines(b + row.threshold, x + 0.02, x + width * 1.2, colors=LIMIT_COLOR, linewidth=2)
            ax.annotate(
                f"{c - b:+.3f}",
                (x + width / 2, c),
                textcoords="offset points",
                xytext=(6, 3),
                ha="left",
                fontsize=8,
            )
        ax.plot([], [], color=LIMIT_COLOR, linewidth=2, label="least the candidate needed")
        ax.set_xticks(xs)
        ax.set_xticklabels(
            [("* " if row.threshold is not None and not row.passed else "") + row.name for row in shown],
            rotation=20 if len(shown) > 3 else 0,
            ha="right" if len(shown) > 3 else "center",
            fontsize=9,
        )
        top = max(
            [1.0, *base, *cand, *(b + row.interval[1] for row, b in zip(shown, base, strict=True) if row.interval)]
        )
        ax.set_ylim(0.0, top * 1.08)
        ax.set_ylabel("score")
        ax.set_title("Base vs candidate (error bars: interval of the delta; * failed its rule)")
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    return True


def loss_curves(curves: dict[str, Curve], path: Path) -> bool:
    """One line per curve (step, loss); False (nothing written) when every curve is empty."""
    drawn = {name: points for name, points in sorted(curves.items()) if points}
    if not drawn:
        return False
    with _chart(path) as ax:
        for name, points in drawn.items():
            steps, values = zip(*sorted(points), strict=True)
            ax.plot(steps, values, marker="o" if len(points) < 30 else None, markersize=3, label=name)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title("Training and validation loss")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return True


def flywheel_rounds(rounds: list[Round], metric: str, path: Path) -> bool:
    """The champion's drift score and share answered right per round, the drift threshold, the share of the new
    charge as bars, and a mark where a run released a new champion. False (nothing written) without rounds."""
    if not rounds:
        return False
    with _chart(path) as ax:
        xs = [r.round for r in rounds]
        ax.bar(
            xs,
            [r.new_charge_share for r in rounds],
            0.5,
            color=BASE_COLOR,
            alpha=0.4,
            label="bills with the new charge",
        )
        scored = [r for r in rounds if r.score is not None]
        ax.plot([r.round for r in scored], [r.score for r in scored], marker="o", color=CANDIDATE_COLOR, label=metric)
        ax.plot(
            xs,
            [r.answered_right for r in rounds],
            marker="s",
            linestyle="--",
            color="#43a047",
            label="answered right (whole answer)",
        )
        limits = [r for r in rounds if r.threshold is not None]
        ax.plot(
            [r.round for r in limits],
            [r.threshold for r in limits],
            color=LIMIT_COLOR,
            linestyle=":",
            drawstyle="steps-mid",
            label="drift threshold",
        )
        for r in rounds:
            if r.run:
                text = f"released v{r.released_version}" if r.released_version else f"run: {r.gate or r.run_phase}"
                ax.axvline(r.round + 0.5, color="black", linewidth=1, alpha=0.6)
                ax.annotate(text, (r.round + 0.5, 0.97), rotation=90, va="top", ha="right", fontsize=8)
        ax.set_xticks(xs)
        ax.set_xlabel("round (drift check after the round's traffic; a triggered run's release serves the next)")
        ax.set_ylim(0.0, 1.0)
        ax.set_ylabel("score / share")
        ax.set_title("Flywheel simulation: the champion on drifting traffic")
        ax.legend(loc="lower left", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    return True
