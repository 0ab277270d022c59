"""The run spec's dataset.augmentation section: validation at file:line, the one JSON workflow parameter, no
change to the hash or the arguments of a spec without it."""

import json
from pathlib import Path

import pytest

from steps.augmented_source import parse_section
from steps.errors import InvalidInputError
from tests.unit.test_runspec import MINIMAL, MINIMAL_HASH
from workflows import parameters, runspec

SPEC = """\
name: demo
base_model: llmops/tiny-llama
dataset:
  source: examples/bill-explainer/bills.jsonl
  format: bill-json
  name: bills
{extra}"""


def _write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(SPEC.format(extra=extra))
    return path


def _error(path: Path) -> str:
    with pytest.raises(InvalidInputError) as info:
        runspec.load(path)
    return str(info.value)


def test_a_section_becomes_one_json_parameter_and_is_hashed(tmp_path):
    extra = "  augmentation:\n    model: llmops/tiny-llama\n    paraphrases: 2\n    max_rows: 50\n"
    spec = runspec.load(_write(tmp_path, extra))
    args = parameters.arguments(spec)
    section = json.loads(args["dataset_augmentation"])
    assert section["model"] == "llmops/tiny-llama" and section["paraphrases"] == 2 and section["max_rows"] == 50
    assert parse_section(args["dataset_augmentation"]) == spec.dataset.augmentation
    assert spec.spec_hash() != runspec.load(_write(tmp_path, "")).spec_hash()


def test_without_a_section_the_hash_and_the_arguments_are_as_before(tmp_path):
    spec = runspec.RunSpec.model_validate(MINIMAL)
    assert spec.dataset.augmentation is None and spec.spec_hash() == MINIMAL_HASH
    assert "dataset_augmentation" not in parameters.arguments(spec)
    default = next(p for p in parameters.PARAMETERS if p.name == "dataset_augmentation")
    assert default.default == "" and parse_section(default.default) is None


@pytest.mark.parametrize(
    ("extra", "line", "field", "message"),
    [
        ("paraphrases: 2", 8, "model", "Field required"),
        ("model: m\n    paraphrases: 0", 9, "paraphrases", "greater than or equal to 1"),
        ("model: m\n    api_key: sk-1", 9, "api_key", "unknown field"),
        ("model: m\n    prompt: Rephrase it.", 9, "prompt", "must contain {request}"),
        ("model: m\n    paraphrases: 3\n    temperature: 0", 10, "temperature", "with temperature 0"),
        ("model: m\n    api_key_env: KEY", 9, "api_key_env", "only used with endpoint"),
        ("model: m\n    endpoint: ftp://host/v1", 9, "endpoint", "should match pattern"),
    ],
)
def test_errors_name_the_file_line_and_field(tmp_path, extra, line, field, message):
    path = _write(tmp_path, "  augmentation:\n    " + extra + "\n")
    error = _error(path)
    assert f"{path}:{line}: dataset.augmentation.{field}: " in error and message in error


def test_a_malformed_parameter_says_what_it_is():
    with pytest.raises(InvalidInputError, match=r"dataset_augmentation: model: Field required.*dataset.augmentation"):
        parse_section('{"paraphrases": 1}')
