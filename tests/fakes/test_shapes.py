"""The fake's shape variants (shapes.py): minimal objects, optional fields as null, extra unknown fields."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes import shapes
from tests.fakes.nemo_platform import FakeNemoPlatform

TARGET_FIELDS = {"name", "namespace", "base_model"}
RESULT = {
    "id": "r-1",
    "job": "eval-1",
    "groups": {},
    "description": None,
    "tasks": {"gsm8k": {"metrics": {"em": {"scores": {"em": {"value": 0.5, "stats": {"count": 4}}}}}}},
}


def configs(fake: FakeNemoPlatform) -> dict:
    return httpx.get(f"{fake.nemo_url}/v1/customization/configs", params={"page_size": 100}).json()


def test_minimal_configs_carry_required_fields_only_and_the_state_keeps_its_own():
    with FakeNemoPlatform(shapes="minimal") as fake:
        page = configs(fake)
        stored = fake.state.customization_configs[("meta", "llama-3.2-1b-instruct")]
    assert set(page) == {"data"}
    for config in page["data"]:
        assert set(config["target"]) == TARGET_FIELDS
        assert "training_precision" not in config and "description" not in config
        assert set(config["training_options"][0]) == {
            "training_type",
            "finetuning_type",
            "num_gpus",
            "micro_batch_size",
        }
    assert stored["target"]["model_path"] and stored["target"]["num_parameters"]


def test_nulls_keep_optional_fields_as_null():
    with FakeNemoPlatform(shapes="nulls") as fake:
        page = configs(fake)
    assert page["pagination"] is None
    target = page["data"][0]["target"]
    assert target["model_path"] is None and target["precision"] is None and target["base_model"]


def test_extra_fields_go_on_objects_never_into_name_maps():
    with FakeNemoPlatform(shapes="extra") as fake:
        page = configs(fake)
    config = page["data"][0]
    assert config["x_fake_revision"] == config["target"]["x_fake_revision"] == 7
    assert config["training_options"][0]["x_fake_meta"]["origin"] == "fake"
    assert config["custom_fields"] == {}
    shaped = shapes.reshape("GET", "/v1/evaluation/jobs/eval-1/results", RESULT, frozenset({"extra"}))
    assert list(shaped["tasks"]) == ["gsm8k"] and list(shaped["tasks"]["gsm8k"]["metrics"]) == ["em"]
    assert shaped["tasks"]["gsm8k"]["metrics"]["em"]["scores"]["em"]["x_fake_revision"] == 7
    assert "x_fake_revision" not in RESULT  # the answer itself is not changed


def test_minimal_results_keep_values_and_drop_stats():
    shaped = shapes.reshape("GET", "/v1/evaluation/jobs/eval-1/results", RESULT, frozenset({"minimal"}))
    assert shaped == {
        "id": "r-1",
        "job": "eval-1",
        "tasks": {"gsm8k": {"metrics": {"em": {"scores": {"em": {"value": 0.5}}}}}},
    }


def test_the_data_store_and_nim_keep_their_shapes_and_unknown_variants_are_refused():
    answer = {"id": "x", "sha": None}
    assert shapes.reshape("GET", "/v1/hf/api/datasets/a/b", answer, frozenset(shapes.SHAPES)) is answer
    assert shapes.reshape("GET", "/nim/v1/models", answer, frozenset({"minimal"})) is answer
    with pytest.raises(ValueError, match="unknown shape variants"):
        FakeNemoPlatform(shapes="sparse")
