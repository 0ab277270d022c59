"""Flywheel specs (workflows/flywheels): validated with file, line and field; the schedule checked as Argo's cron
parser and timezone loader would; the run spec must be a file of workflows/runs; names are unique; and a value
an event binding cannot pass unchanged is refused at render time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from steps.errors import InvalidInputError, NotFoundError
from workflows import flywheel_render, flywheel_spec, render
from workflows.cron_schedule import schedule_problem, timezone_problem

ROOT = Path(__file__).resolve().parents[2]
RUN_SPEC = ROOT / "workflows" / "runs" / "bill-explainer.yaml"
GOOD = """\
name: demo
run_spec: runs/bill-explainer.yaml
schedule:
  cron: "0 2 * * 1"
  timezone: Europe/Madrid
on_new_data: {}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A repository root with workflows/runs/bill-explainer.yaml (as `runs/`) and a flywheels folder."""
    (tmp_path / "runs").mkdir()
    (tmp_path / "flywheels").mkdir()
    shutil.copy(RUN_SPEC, tmp_path / "runs" / RUN_SPEC.name)
    return tmp_path


def _load(tree: Path, text: str, name: str = "demo.yaml"):
    path = tree / "flywheels" / name
    path.write_text(text)
    return flywheel_spec.load(path, tree / "runs", tree)


def _error(tree: Path, text: str) -> str:
    with pytest.raises(InvalidInputError) as info:
        _load(tree, text)
    return str(info.value)


def test_a_good_spec_loads_with_argos_defaults_where_it_says_nothing(tree):
    flywheel, spec = _load(tree, GOOD)
    assert spec.name == "bill-explainer" and flywheel.schedule is not None
    assert flywheel.schedule.cron == ["0 2 * * 1"]  # one string or a list
    assert (flywheel.schedule.concurrency_policy, flywheel.schedule.starting_deadline_seconds) == ("Forbid", 0)
    assert (flywheel.schedule.successful_jobs_history_limit, flywheel.schedule.failed_jobs_history_limit) == (3, 1)
    assert flywheel.discriminator(spec) == "telecom-bills"  # the run spec's dataset.name
    named, _ = _load(tree, GOOD.replace("on_new_data: {}", "on_new_data: {discriminator: bills-drop}"))
    assert named.discriminator(spec) == "bills-drop"


@pytest.mark.parametrize(
    ("change", "line", "field", "message"),
    [
        (("  timezone: Europe/Madrid", "  timezone: Europe/Madird"), 5, "schedule.timezone", "not an IANA timezone"),
        (('  cron: "0 2 * * 1"', '  cron: ["0 2 * * 1", "0 2 * *"]'), 4, "schedule.cron", "has 4 fields"),
        (("schedule:", "schedule:\n  concurrency_policy: Skip"), 4, "schedule.concurrency_policy", "'Forbid'"),
        (("on_new_data: {}", "on_new_data: {enabled: true, selector: x}"), 6, "on_new_data.selector", "unknown field"),
        (("name: demo", "name: Demo_1"), 1, "name", "should match pattern"),
        (("on_new_data: {}", "on_new_data: {discriminator: 'a/b'}"), 6, "on_new_data.discriminator", "pattern"),
    ],
)
def test_a_bad_field_is_reported_with_its_file_line_and_field(tree, change, line, field, message):
    text = _error(tree, GOOD.replace(*change))
    assert text.startswith("invalid flywheel spec") and f"demo.yaml:{line}: {field}: " in text and message in text


def test_a_flywheel_needs_a_trigger(tree):
    text = _error(tree, "name: demo\nrun_spec: runs/bill-explainer.yaml\non_new_data: {enabled: false}\n")
    assert "schedule: " in text and "a flywheel needs a trigger" in text


def test_the_run_spec_must_be_a_valid_file_of_the_runs_folder(tree):
    text = _error(tree, GOOD.replace("runs/bill-explainer.yaml", "runs/missing.yaml"))
    assert "demo.yaml:2: run_spec: 'runs/missing.yaml' is not a run spec file of runs" in text
    outside = tree / "flywheels" / "bill-explainer.yaml"
    shutil.copy(RUN_SPEC, outside)
    assert "is not a run spec file of runs" in _error(tree, GOOD.replace("runs/", "flywheels/"))
    (tree / "runs" / "bill-explainer.yaml").write_text("name: bill-explainer\n")
    assert "demo.yaml:2: run_spec: its run spec is not valid" in _error(tree, GOOD)


def test_missing_file_and_non_mapping_are_reported(tree):
    with pytest.raises(NotFoundError, match="flywheel spec not found"):
        flywheel_spec.load(tree / "flywheels" / "none.yaml", tree / "runs", tree)
    assert "a flywheel spec is a YAML mapping" in _error(tree, "- name: demo\n")


def test_two_flywheels_with_one_name_are_refused(tree, monkeypatch):
    monkeypatch.setattr(render, "ROOT", tree)
    _load(tree, GOOD, "a.yaml")
    _load(tree, GOOD, "b.yaml")
    with pytest.raises(InvalidInputError, match="both name the flywheel 'demo'"):
        render.flywheel_documents(tree / "flywheels", tree / "runs")


def test_a_value_an_event_binding_would_escape_is_refused_unless_it_is_json():
    assert flywheel_render.event_value("experiment", "llmops <&> x") == '"llmops <&> x"'
    assert flywheel_render.event_value("benchmarks", '["gsm8k"]') == 'fromJSON("[\\"gsm8k\\"]")'
    with pytest.raises(InvalidInputError, match=r"argument experiment='say \"hi\"' cannot be passed"):
        flywheel_render.event_value("experiment", 'say "hi"')


@pytest.mark.parametrize(
    "schedule",
    ["0 2 * * 1", "*/15 8-18 * * MON-FRI", "0 0 1 jan,jul ?", "5/10 * * * *", "@daily", "@every 1h30m"],
)
def test_schedules_robfig_cron_accepts(schedule):
    assert schedule_problem(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("0 2 * * 7", "day of week '7': outside 0-6"),
        ("60 * * * *", "minute '60': outside 0-59"),
        ("0 5-3 * * *", "the range ends before it starts"),
        ("0 2 * * 1/0", "positive whole number"),
        ("0 2 * * mon tue", "has 6 fields"),
        ("@fortnightly", "unknown descriptor"),
        ("@every 0s", "unknown descriptor"),
        ("CRON_TZ=UTC 0 2 * * *", "timezone in its own field"),
        ("0 2 * smarch *", "not a number from 1 to 12"),
    ],
)
def test_schedules_argo_would_refuse(schedule, message):
    problem = schedule_problem(schedule)
    assert problem is not None and message in problem, problem


def test_timezones():
    assert timezone_problem("") is None and timezone_problem("UTC") is None
    assert timezone_problem("America/New_York") is None
    assert "not an IANA timezone name" in str(timezone_problem("Mars/Olympus_Mons"))


DRIFT = """\
name: demo
run_spec: runs/bill-explainer.yaml
drift:
  source: logs.jsonl
  max_drop: 0.1
  schedule:
    cron: "0 */6 * * *"
"""


def test_a_drift_section_alone_is_a_trigger_with_the_headline_by_default(tree):
    flywheel, _ = _load(tree, DRIFT)
    assert flywheel.drift is not None and flywheel.schedule is None
    policy = flywheel.drift.policy()
    assert (policy.metric, policy.floor, policy.max_drop, policy.min_records) == ("", None, 0.1, 50)
    assert policy.labels == ["corrected", "reference"] and "schedule" not in policy.model_dump()


@pytest.mark.parametrize(
    ("change", "line", "field", "message"),
    [
        (("  max_drop: 0.1", "  max_drop: 2"), 5, "drift.max_drop", "less than or equal to 1"),
        (("  max_drop: 0.1", "  max_drop: 0.1\n  min_records: 0"), 6, "drift.min_records", "greater than or equal"),
        (('    cron: "0 */6 * * *"', '    cron: "0 */6 * *"'), 7, "drift.schedule.cron", "has 4 fields"),
        (("  source: logs.jsonl", "  source: logs.jsonl\n  threshold: 1"), 5, "drift.threshold", "unknown field"),
        (("  max_drop: 0.1", "  labels: [thumbs]"), 5, "drift.labels.0", "'corrected'"),
        (("  max_drop: 0.1\n", ""), 4, "drift", "set floor, max_drop or both"),
        (("  max_drop: 0.1", "  max_drop: 0.1\n  window: 1 week"), 6, "drift.window", "should match pattern"),
    ],
)
def test_a_bad_drift_field_is_reported_with_its_file_line_and_field(tree, change, line, field, message):
    text = _error(tree, DRIFT.replace(*change))
    assert f"demo.yaml:{line}: {field}: " in text and message in text


def test_the_drift_metric_must_be_a_score_of_the_run_specs_metrics(tree):
    good, _ = _load(tree, DRIFT.replace("  max_drop: 0.1", "  max_drop: 0.1\n  metric: answer.bill_found"))
    assert good.drift is not None and good.drift.metric == "answer.bill_found"
    text = _error(tree, DRIFT.replace("  max_drop: 0.1", "  max_drop: 0.1\n  metric: answer.bill_id"))
    assert "demo.yaml:6: drift.metric: 'answer.bill_id' is not a score of the run spec's business_eval metrics" in text
    assert "answer.change_reason_balanced" in text
