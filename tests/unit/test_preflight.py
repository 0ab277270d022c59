"""Preflight: the metrics' templates against the test rows, and an llm-judge's calibration labels."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from steps.errors import InvalidInputError, NotFoundError
from workflows import preflight, runspec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "workflows" / "runs" / "support-tickets.yaml"


def _spec(tmp_path: Path, metrics: list[dict], monkeypatch) -> tuple[Path, runspec.RunSpec]:
    monkeypatch.setenv("LLMOPS_PROJECT_DIR", str(ROOT))
    data = yaml.safe_load(EXAMPLE.read_text())
    data["business_eval"]["metrics"] = metrics
    data["business_eval"].pop("headline")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path, runspec.load(path)


def test_a_template_naming_a_field_the_test_rows_lack_is_refused_with_file_line_and_field(tmp_path, monkeypatch):
    metrics = [
        {"name": "team", "type": "string-check", "check": ["{{sample.output_text}}", "contains", "{{item.team}}"]},
        {"name": "plan", "type": "exact-match", "reference": "{{item.plan}} {{item['tier']}}"},
    ]
    path, spec = _spec(tmp_path, metrics, monkeypatch)
    with pytest.raises(InvalidInputError) as info:
        preflight.check(path, spec)
    message = str(info.value)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "name: plan" in text)
    assert f"{path}:{line}: business_eval.metrics.1: metric 'plan' reads item.plan, item.tier" in message
    assert "team" not in message.split("lack")[0].split("metrics.1")[0]  # the first metric is fine


def test_calibration_labels_must_exist(tmp_path, monkeypatch):
    judge = {
        "name": "judge",
        "type": "llm-judge",
        "judge": {"url": "http://127.0.0.1:9/v1", "model": "m"},
        "reference": "{{item.reference}}",
        "calibration": {"labels": "nope/labels.jsonl", "min_kappa": 0.5},
    }
    path, spec = _spec(tmp_path, [judge], monkeypatch)
    with pytest.raises(NotFoundError) as info:
        preflight.check(path, spec)
    assert f"{path}:" in str(info.value) and "business_eval.metrics.0.calibration" in str(info.value)
    assert "nope/labels.jsonl not found" in str(info.value)


def test_an_unknown_metric_type_or_missing_parameter_is_a_schema_error_at_its_line(tmp_path, monkeypatch):
    with pytest.raises(InvalidInputError) as info:
        _spec(tmp_path, [{"name": "x", "type": "bleurt"}, {"name": "y", "type": "number-check"}], monkeypatch)
    message = str(info.value)
    assert "business_eval.metrics.0: Input tag 'bleurt'" in message
    assert "business_eval.metrics.1.left_template: Field required" in message
