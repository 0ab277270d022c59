"""The run spec's production-logs format and dataset.curation section: validation at file:line, the one
JSON workflow parameter, and the spec hash of every other run spec left as it was."""

import json
from pathlib import Path

import pytest

from steps.errors import InvalidInputError
from steps.logic.curation import CurationSection
from tests.unit.test_runspec import MINIMAL, MINIMAL_HASH
from workflows import parameters, runspec

ROOT = Path(__file__).resolve().parents[2]
SPEC = """\
name: demo
base_model: llmops/tiny-llama
dataset:
  source: examples/bill-explainer/production-logs.jsonl
  format: {format}
  name: logs
{extra}"""


def _write(tmp_path: Path, extra: str = "", fmt: str = "production-logs") -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(SPEC.format(format=fmt, extra=extra))
    return path


def _error(path: Path) -> str:
    with pytest.raises(InvalidInputError) as info:
        runspec.load(path)
    return str(info.value)


def test_a_curation_section_becomes_one_json_parameter(tmp_path):
    extra = "  curation:\n    keep_feedback: [corrected]\n    max_per_intent: 5\n    on_invalid: skip\n"
    spec = runspec.load(_write(tmp_path, extra))
    assert spec.dataset.curation == CurationSection(keep_feedback=["corrected"], max_per_intent=5, on_invalid="skip")
    args = parameters.arguments(spec)
    assert json.loads(args["dataset_curation"]) == {
        "keep_feedback": ["corrected"],
        "require_disagreement": False,
        "max_per_intent": 5,
        "on_invalid": "skip",
    }
    # The split is dataset.split's, passed as for every format: no second place to set it
    assert (args["validation_fraction"], args["test_fraction"], args["split_seed"]) == ("0.1", "0.2", "0")
    rules = spec.dataset.curation.rules(spec.dataset.split.validation, spec.dataset.split.test, spec.dataset.split.seed)
    assert (rules.validation_fraction, rules.test_fraction, rules.max_per_intent) == (0.1, 0.2, 5)


def test_production_logs_without_a_section_curate_with_the_defaults_written_out(tmp_path):
    spec = runspec.load(_write(tmp_path))
    written = runspec.load(_write(tmp_path, "  curation: {on_invalid: fail}\n"))
    assert spec.dataset.curation == CurationSection()
    assert spec.spec_hash() == written.spec_hash()  # the defaults, left out or written out: one run
    assert json.loads(parameters.arguments(spec)["dataset_curation"]) == CurationSection().model_dump(mode="json")


def test_other_formats_keep_their_spec_hash_and_arguments():
    spec = runspec.RunSpec.model_validate(MINIMAL)
    assert spec.dataset.curation is None and "curation" not in spec.canonical()["dataset"]
    assert spec.spec_hash() == MINIMAL_HASH
    assert "dataset_curation" not in parameters.arguments(spec)  # the template's empty default applies
    for path in sorted((ROOT / "workflows" / "runs").glob("*.yaml")):
        committed = runspec.load(path)
        if committed.dataset.format != "production-logs":
            assert "curation" not in committed.canonical()["dataset"], path.name


@pytest.mark.parametrize(
    ("extra", "line", "field", "message"),
    [
        ("  curation:\n    keep_feedback: [up, up]\n", 8, "dataset.curation.keep_feedback", "lists a kind twice"),
        ("  curation:\n    keep_feedback: [thumbs]\n", 8, "dataset.curation.keep_feedback.0", "'corrected', 'up'"),
        ("  curation:\n    max_per_intent: 0\n", 8, "dataset.curation.max_per_intent", "greater than or equal to 1"),
        ("  curation:\n    on_invalid: ignore\n", 8, "dataset.curation.on_invalid", "'fail' or 'skip'"),
        ("  curation:\n    since: 2025-01-01\n", 8, "dataset.curation.since", "unknown field"),
        ("  curation: [up]\n", 7, "dataset.curation", "valid dictionary"),
        ("  group_by: customer.id\n", 7, "dataset.group_by", "splits the logs by intent"),
        ("  test_source: held.jsonl\n", 7, "dataset.test_source", "not used with format production-logs"),
        ("  split: {validation: 0, test: 0.2}\n", 7, "dataset.split.validation", "greater than 0"),
        ("  split: {validation: 0.5, test: 0.5}\n", 7, "dataset.split.validation", "validation + test must be below 1"),
    ],
)
def test_bad_curation_settings_name_file_line_and_field(tmp_path, extra, line, field, message):
    path = _write(tmp_path, extra)
    error = _error(path)
    assert f"{path}:{line}: {field}:" in error and message in error, error


def test_a_curation_section_needs_the_production_logs_format(tmp_path):
    path = _write(tmp_path, "  curation: {max_per_intent: 3}\n", fmt="openai-chat")
    error = _error(path)
    assert f"{path}:7: dataset.curation: only used with format production-logs" in error


def test_the_committed_example_curates(tmp_path):
    from steps.prepare_data import prepare_splits

    spec = runspec.load(ROOT / "workflows" / "runs" / "bill-explainer-from-logs.yaml")
    d = spec.dataset
    assert d.format == "production-logs" and d.curation is not None and d.curation.max_per_intent == 60
    files, pii, report = prepare_splits(
        str(ROOT / d.source), d.format, d.group_by, d.split.validation, d.split.test, d.split.seed, "", d.curation
    )
    assert report is not None and report.invalid == 0 and report.exact_duplicates > 0 and report.records_with_pii > 0
    assert report.dropped_by_rule["rated_down"] > 0 and report.corrections_used > 0 and pii["name"] > 0
    assert all(
        counts["testing"] + counts["validation"] + counts["training"] <= 60 for counts in report.intents.values()
    )
    assert len(files["testing/testing.jsonl"]) >= spec.gate.min_samples
