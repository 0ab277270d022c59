"""Run spec validation of dataset.test_source, business_eval.headline and platform, their workflow arguments,
and the preflight that refuses a run spec for another platform."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from steps.errors import InvalidInputError
from workflows import parameters, runspec

SPEC = """\
name: demo
base_model: llmops/tiny-llama
dataset:
  source: examples/bill-explainer/bills.jsonl
{dataset_extra}  name: telecom-bills
  split:
    validation: 0.1
{split_extra}    seed: 0
business_eval:
  max_tokens: 48
{business_extra}"""


def _load(tmp_path: Path, dataset_extra: str = "", split_extra: str = "", business_extra: str = ""):
    path = tmp_path / "demo.yaml"
    path.write_text(SPEC.format(dataset_extra=dataset_extra, split_extra=split_extra, business_extra=business_extra))
    return path, runspec.load(path)


def _error(tmp_path: Path, **extra) -> tuple[Path, str]:
    path = tmp_path / "demo.yaml"
    with pytest.raises(InvalidInputError) as info:
        _load(tmp_path, **extra)
    return path, str(info.value)


def test_defaults_keep_the_test_split_in_source_and_the_task_headline(tmp_path):
    _, spec = _load(tmp_path)
    assert spec.dataset.test_source == "" and spec.dataset.split.test == 0.2
    assert spec.business_eval.headline == ""
    args = parameters.arguments(spec)
    assert args["dataset_test_source"] == "" and args["test_fraction"] == "0.2"
    assert args["business_headline"] == ""


def test_a_test_source_sets_the_test_share_of_source_to_zero(tmp_path):
    _, spec = _load(tmp_path, dataset_extra="  test_source: examples/bill-explainer/heldout.jsonl\n")
    assert spec.dataset.split.test == 0.0
    args = parameters.arguments(spec)
    assert args["dataset_test_source"] == "examples/bill-explainer/heldout.jsonl"
    assert float(args["test_fraction"]) == 0.0
    _, explicit_zero = _load(tmp_path, dataset_extra="  test_source: held.jsonl\n", split_extra="    test: 0\n")
    assert explicit_zero.dataset.split.test == 0.0
    _, other = _load(tmp_path, dataset_extra="  test_source: other.jsonl\n")
    assert other.spec_hash() != spec.spec_hash()


def test_a_test_source_with_a_test_share_is_rejected_at_the_field(tmp_path):
    path, message = _error(tmp_path, dataset_extra="  test_source: held.jsonl\n", split_extra="    test: 0.2\n")
    assert f"{path}:9: dataset.split.test: not used with dataset.test_source" in message
    assert "remove split.test" in message


def test_a_zero_test_share_without_a_test_source_is_rejected(tmp_path):
    path, message = _error(tmp_path, split_extra="    test: 0\n")
    assert f"{path}:8: dataset.split.test: must be greater than 0" in message and "test_source" in message


def test_headline_is_passed_to_both_business_evaluations(tmp_path):
    _, spec = _load(tmp_path, business_extra="  headline: exact.exact-match\n")
    assert parameters.arguments(spec)["business_headline"] == "exact.exact-match"
    path, message = _error(tmp_path, business_extra="  headline: exact.f1\n")
    assert f"{path}:11: business_eval.headline: 'exact.f1' is not a score of the metrics" in message
    assert "choose one of: exact.exact-match" in message


@pytest.mark.parametrize("bad", ["'All Fields'", "'1st'", "all-fields", "'x;y'", "exact"])
def test_headline_must_look_like_a_metric_name(tmp_path, bad):
    path, message = _error(tmp_path, business_extra=f"  headline: {bad}\n")
    assert f"{path}:11: business_eval.headline:" in message and "pattern" in message


TWO_METRICS = """\
  metrics:
    - {name: tools, type: tool-calling}
  headline: tools.function_name_accuracy
gate:
  max_business_regression:
"""


def test_a_business_score_tolerance_is_a_json_parameter_and_names_another_score_of_the_metrics(tmp_path):
    _, plain = _load(
        tmp_path, business_extra=TWO_METRICS.replace("  max_business_regression:\n", "  min_samples: 20\n")
    )
    ok = TWO_METRICS + "    tools.function_name_and_args_accuracy: 0.05\n"
    _, spec = _load(tmp_path, business_extra=ok)
    assert parameters.arguments(spec)["max_business_regression"] == '{"tools.function_name_and_args_accuracy": 0.05}'
    assert "max_business_regression" not in plain.canonical()["gate"]  # a spec without it keeps its hash
    assert "max_business_regression" not in parameters.arguments(plain)  # and its workflow arguments
    path, message = _error(tmp_path, business_extra=TWO_METRICS + "    tools.function_name_accuracy: 0.05\n")
    assert f"{path}:16: gate.max_business_regression.tools.function_name_accuracy: " in message
    assert "is the headline, which gate.min_business_gain gates" in message
    path, message = _error(tmp_path, business_extra=TWO_METRICS + "    tools.args: 0.05\n")
    assert f"{path}:16: gate.max_business_regression.tools.args: 'tools.args' is not a score" in message
    assert "choose one of: tools.function_name_accuracy, tools.function_name_and_args_accuracy" in message
    path, message = _error(tmp_path, business_extra=TWO_METRICS + "    tools.function_name_and_args_accuracy: 2\n")
    assert f"{path}:16: gate.max_business_regression.'tools.function_name_and_args_accuracy': " in message
    assert "less than or equal to 1" in message


def test_unknown_fields_still_name_file_line_and_field(tmp_path):
    path, message = _error(tmp_path, business_extra="  headlne: bill_id\n")
    assert f"{path}:11: business_eval.headlne: unknown field" in message


# ---------------------------------------------------------------- platform
MINIMAL = {"name": "demo", "base_model": "llmops/tiny-llama", "dataset": {"source": "x.jsonl", "name": "d"}}
MINIMAL_HASH = "7a2d4c9723b064f20ef09c1338cafee4732ffd96497187cf35314284a51336ce"  # since metrics became data


def test_an_unset_platform_leaves_the_spec_hash_and_the_arguments_as_before():
    spec = runspec.RunSpec.model_validate(MINIMAL)
    assert spec.platform is None and "platform" not in spec.canonical()
    assert spec.spec_hash() == MINIMAL_HASH
    assert "platform" not in parameters.arguments(spec)  # the template's empty default applies


@pytest.mark.parametrize("platform", ["local", "nemo"])
def test_a_named_platform_is_hashed_and_passed(platform):
    spec = runspec.RunSpec.model_validate(MINIMAL | {"platform": platform})
    assert spec.spec_hash() != MINIMAL_HASH
    assert parameters.arguments(spec)["platform"] == platform


def test_an_unknown_platform_names_file_line_and_field(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(SPEC.format(dataset_extra="", split_extra="", business_extra="") + "platform: cloud\n")
    with pytest.raises(InvalidInputError) as info:
        runspec.load(path)
    assert f"{path}:11: platform:" in str(info.value) and "'local', 'nemo' or 'nemo-platform'" in str(info.value)


def test_closed_sets_of_the_schema_are_those_of_the_step_library():
    from typing import get_args

    from steps import platforms
    from steps.io import DatasetFormat, Platform
    from steps.logic.dataset_formats import ALL_FORMATS

    assert get_args(DatasetFormat) == ALL_FORMATS and get_args(Platform) == tuple(platforms.BACKENDS)


def test_preflight_refuses_a_run_spec_for_another_platform(tmp_path, monkeypatch, capsys):
    from workflows import cli

    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("LLMOPS_PROJECT_DIR", str(tmp_path))
    path = tmp_path / "demo.yaml"
    path.write_text(SPEC.format(dataset_extra="", split_extra="", business_extra="") + "platform: nemo\n")
    assert cli.main(["--workspace", str(tmp_path / "ws"), "run", str(path)]) == cli.EXIT_USAGE
    message = capsys.readouterr().err
    assert message.startswith(f"error: {path}: the run spec names platform 'nemo'")
    assert "configured for 'local'" in message and "set LLMOPS_PLATFORM=nemo" in message
    assert "change `platform:` in the run spec" in message
    assert not (tmp_path / "ws" / "runs").exists()  # refused before the dataset check and any run


# ---------------------------------------------------------------- gate rules
@pytest.mark.parametrize("gate", [{}, {"gain_rule": "point", "regression_rule": "point", "confidence": 0.95}])
def test_gate_rules_at_their_default_leave_the_spec_hash_and_the_arguments_as_before(gate):
    spec = runspec.RunSpec.model_validate(MINIMAL | {"gate": gate})
    assert spec.spec_hash() == MINIMAL_HASH
    assert not {"gain_rule", "regression_rule", "gate_confidence"} & set(parameters.arguments(spec))


def test_gate_rules_chosen_in_the_spec_are_hashed_and_passed():
    gate = {"gain_rule": "interval", "regression_rule": "interval", "confidence": 0.9}
    spec = runspec.RunSpec.model_validate(MINIMAL | {"gate": gate})
    assert spec.spec_hash() != MINIMAL_HASH
    args = parameters.arguments(spec)
    assert (args["gain_rule"], args["regression_rule"], args["gate_confidence"]) == ("interval", "interval", "0.9")
    with pytest.raises(ValidationError, match="gain_rule"):
        runspec.RunSpec.model_validate(MINIMAL | {"gate": {"gain_rule": "bound"}})
