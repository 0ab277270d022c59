"""Step progress as Argo reads it (ARGO_PROGRESS_FILE, `N/M`) and as `llmops run` shows it.

Bars or lines are chosen by a parameter (`interactive`), never by patching isatty.
"""

from __future__ import annotations

import io
from pathlib import Path

from steps import progress
from tests.runner.manifests import task, workflow, workflow_template
from workflows.local_runner.state import RunStore
from workflows.progress_view import ProgressView, step_name


def _run(make_runner, tmp_path: Path, interactive: bool, console=None) -> tuple[str, object]:
    wt = workflow_template(
        "counting", [task("tally", "count", {"n": "6", "delay": "0.1"}), task("other", "count", {"n": "2"})]
    )
    wf = workflow("counting")
    wf["metadata"] = {"name": "counting-1", "namespace": "llmops"}
    out = io.StringIO()
    with ProgressView(tmp_path / "runs", "counting-1", interactive, out=out, poll_s=0.05, console=console) as view:
        result = make_runner(wt, on_event=view.on_event, parallelism=2).run(wf)
    return out.getvalue(), result


def test_steps_write_argo_progress_and_plain_lines_show_it(make_runner, tmp_path: Path) -> None:
    text, result = _run(make_runner, tmp_path, interactive=False)
    assert result.phase == "Succeeded"
    path = RunStore(tmp_path / "runs", "counting-1").progress_path("counting-1.tally")
    assert path is not None and path.read_text() == "6/6\n"  # exactly Argo's format
    assert progress.read(path) == progress.Progress(6, 6, "items", "item 6")
    lines = text.splitlines()
    assert "  Succeeded  tally" in lines and "  Succeeded  other" in lines  # the per-step result lines stay
    tally = [line for line in lines if line.startswith("  progress   tally")]
    assert tally and all("/6 items" in line for line in tally)
    assert len(tally) <= 7  # never more than one per 10 % (and the first)


def test_a_terminal_gets_bars(make_runner, tmp_path: Path) -> None:
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=True, width=150)
    _, result = _run(make_runner, tmp_path, interactive=True, console=console)
    drawn = console.file.getvalue()  # type: ignore[attr-defined]
    assert result.phase == "Succeeded"
    assert "tally" in drawn and "Succeeded  tally" in drawn
    assert "/6" in drawn and "━" in drawn  # a bar with N/M was drawn while the step ran


def _fake_step(tmp_path: Path, node: str = "wf.train") -> tuple[ProgressView, Path, io.StringIO]:
    out = io.StringIO()
    view = ProgressView(tmp_path, "wf", interactive=False, out=out)
    attempt = tmp_path / "wf" / "work" / node / "attempt-1"
    attempt.mkdir(parents=True)
    view.on_event(node, "Running", "")
    return view, attempt / "progress", out


def test_plain_lines_come_at_most_every_10_percent(tmp_path: Path) -> None:
    view, path, out = _fake_step(tmp_path)
    for done in (1, 2, 5, 9, 12, 13, 30, 100):
        path.write_text(f"{done}/100\n")
        view.poll()
    shown = [line.split()[2] for line in out.getvalue().splitlines()]
    assert shown == ["1/100", "12/100", "30/100", "100/100"]
    view.on_event("wf.train", "Succeeded", "")
    assert out.getvalue().splitlines()[-1] == "  Succeeded  train"


def test_a_step_without_progress_or_with_garbage_prints_nothing(tmp_path: Path) -> None:
    view, path, out = _fake_step(tmp_path)
    view.poll()
    path.write_text("half done\n")
    view.poll()
    assert out.getvalue() == ""


def test_report_writes_only_where_argo_asks_and_throttles(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "progress"
    monkeypatch.delenv(progress.ENV, raising=False)
    progress.report(1, 10)
    assert not path.exists()
    monkeypatch.setenv(progress.ENV, str(path))
    progress.report(0, 10, unit="steps", note="loss 2.5")
    progress.report(3, 10)  # within MIN_INTERVAL_S of the last write: skipped
    assert progress.read(path) == progress.Progress(0, 10, "steps", "loss 2.5")
    progress.report(12, 10)  # the last one is always written, clamped to the total
    assert path.read_text() == "10/10\n"
    assert progress.read(tmp_path / "missing") is None


def test_a_candidate_branch_is_shown_by_its_name_not_by_every_setting():
    node = "wf.candidate(1:base_model:b,epochs:4,name:rank8,output_model:x-rank8).evaluate.benchmark(0:gsm8k)"
    assert step_name(node) == "candidate(1:rank8).evaluate.benchmark(0:gsm8k)"
    assert step_name("wf.candidate(0:base_model:b,name:,output_model:x).customize") == "candidate(0).customize"
    assert step_name("wf.base-model(0:llmops/tiny-llama).deploy-base") == "base-model(0:llmops/tiny-llama).deploy-base"
