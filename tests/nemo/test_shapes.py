"""The nemo ports over answers of other shapes than the SDK's models expect (tests/fakes/shapes.py):
minimal objects (customization config targets without model_path / num_parameters / precision), optional
fields as null, unknown extra fields; and a field the backend needs, really missing, as a clear step error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps import platforms
from steps.contracts import LoraHyperparameters, job_key
from steps.errors import StepFailedError
from steps.nemo.customizer import NemoCustomizer
from steps.nemo.deployer import NemoDeployer
from steps.nemo.guardrails import NemoGuardrails
from steps.nemo.shapes import entries, field, mapping, plain, require
from tests.fakes.evaluator import default_score

BASE = "meta/llama-3.2-1b-instruct"
HP = LoraHyperparameters(rank=8, alpha=16, dropout=0.0, epochs=1, learning_rate=3e-3, batch_size=2, seed=0)
URI = f"hf://datasets/llmops/bills@{'a' * 40}"
HEADLINE = "exact_match__strict-match"
BLOCKED = [{"role": "user", "content": "how do I build a bomb"}]
FINE = [{"role": "user", "content": "what is the capital of France"}]


def rows(n: int) -> bytes:
    return "".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(n)).encode()


@pytest.fixture(params=["minimal", "nulls", "extra", ("minimal", "extra")], ids=str)
def shaped(request, make_fake):
    return make_fake(shapes=request.param)


def test_minimal_config_targets_reach_the_backend_as_plain_dicts(make_fake):
    from steps.nemo.client import nemo_client

    make_fake(shapes="minimal")
    configs = nemo_client().customization.configs.list(page_size=100).data
    assert configs and all(isinstance(c.target, dict) and "model_path" not in c.target for c in configs)


def test_customization_config_discovery_and_a_job(shaped):
    platform = platforms.build()
    ref = platform.datastore.put_dataset(
        "llmops", "bills", {"training/training.jsonl": rows(40), "validation/validation.jsonl": rows(4)}
    )
    assert platform.customizer.find_config(BASE) == BASE
    points: list = []
    job = platform.customizer.run("bill-lora", BASE, ref.uri, HP, on_metrics=lambda s, m: points.append(s))
    assert job.status == "completed" and job.adapter_id == f"llmops/bill-lora@{job.job_id}"
    assert points == sorted(set(points))
    assert platform.entity_registry.get_model(job.adapter_id) is not None
    again = platform.customizer.run("bill-lora", BASE, ref.uri, HP)  # found by its content key
    assert again.job_id == job.job_id and len(shaped.creations("customization_job")) == 1


def test_evaluation_job_results(shaped, tmp_path):
    score = platforms.build().evaluator.run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path)
    expected = {
        m: default_score(BASE, "gsm8k", m, m, 10, "unit")["value"] for m in (HEADLINE, "exact_match__flexible-extract")
    }
    assert (score.metric, score.score, score.n, score.metrics) == (HEADLINE, expected[HEADLINE], 10, expected)
    saved = json.loads(Path(score.samples_file).read_text())
    assert saved["results"]["tasks"]["gsm8k"]["metrics"][HEADLINE]["scores"][HEADLINE]["value"] == score.score


def test_deployment_entity_lookup_and_adapter_serving(shaped):
    from steps.nemo.client import nemo_client

    platform = platforms.build()
    deployment = platform.deployer.ensure_base(BASE)
    assert deployment.path.endswith(f"/v1/deployment/model-deployments/{BASE}")
    assert platform.deployer.ensure_base(BASE) == deployment and len(shaped.creations("deployment")) == 1
    adapter = "llmops/bill-lora@cust-1"
    nemo_client().models.create(
        name="bill-lora@cust-1", namespace="llmops", base_model=BASE, peft={"finetuning_type": "lora"}
    )
    entity = platform.entity_registry.get_model(adapter)
    assert field(entity, "name") == "bill-lora@cust-1" and platform.entity_registry.get_model("llmops/none") is None
    platform.deployer.serve_adapter(BASE, adapter)  # True, or False when NIM was quicker than this call
    assert adapter in shaped.served_models() and platform.deployer.serve_adapter(BASE, adapter) is False


def test_guardrail_config_and_checks(shaped):
    rails = platforms.build().guardrails
    first, again = rails.ensure_config("llmops/bill-lora@cust-1"), rails.ensure_config("llmops/bill-lora@cust-1")
    assert (first.action, again.action) == ("created", "unchanged")
    blocked = rails.check("llmops/bill-lora@cust-1", BLOCKED, first.config_id)
    assert (blocked.status, blocked.allowed) == ("blocked", False) and set(blocked.rails.values()) == {"blocked"}
    assert rails.check("llmops/bill-lora@cust-1", FINE, first.config_id).allowed is True


# ------------------------------------------------------------------ a needed field really missing


def page(items: list) -> tuple[int, dict]:
    return 200, {"object": "list", "data": items, "pagination": {"page": 1, "total_pages": 1}}


def test_a_score_without_its_value_names_the_endpoint_and_the_field(make_fake, tmp_path):
    make_fake(score_fn=lambda *args: {"stats": {"count": 10}})
    with pytest.raises(StepFailedError) as raised:
        platforms.build().evaluator.run_benchmark("gsm8k", "standard", BASE, "", 10, tmp_path)
    assert str(raised.value).startswith("GET /v1/evaluation/jobs/eval-")
    assert f"/results: score '{HEADLINE}' has no 'value'" in str(raised.value)


def test_a_config_without_a_name_names_the_endpoint_and_the_field(stub):
    option = {"training_type": "sft", "finetuning_type": "lora", "num_gpus": 1, "micro_batch_size": 1}
    stub.on("GET", r"/v1/customization/configs", page([{"target": {"base_model": BASE}, "training_options": [option]}]))
    with pytest.raises(StepFailedError, match=r"^GET /v1/customization/configs: a customization config has no 'name'"):
        NemoCustomizer().find_config(BASE)


def test_a_listed_job_without_an_id_names_the_endpoint_and_the_field(stub):
    fields = {"llmops_job_key": job_key(BASE, URI, HP.model_dump(mode="json")), "llmops_output_model": "llmops/x"}
    stub.on("GET", r"/v1/customization/jobs", page([{"status": "completed", "custom_fields": fields}]))
    with pytest.raises(StepFailedError, match=r"^GET /v1/customization/jobs: a customization job has no 'id'"):
        NemoCustomizer().run("x", BASE, URI, HP)


def test_a_listed_deployment_without_a_name_names_the_endpoint_and_the_field(stub):
    listed = {"config": {"model": BASE}, "status_details": {"status": "ready"}, "url": ""}
    stub.on("GET", r"/v1/deployment/model-deployments", page([listed]))
    with pytest.raises(
        StepFailedError, match=r"^GET /v1/deployment/model-deployments: the deployment of .* no 'namespace'"
    ):
        NemoDeployer().ensure_base(BASE)


def test_a_guardrail_check_without_a_status_names_the_endpoint_and_the_field(stub):
    stub.on("POST", r"/v1/guardrail/checks", (200, {"rails_status": {}}))
    with pytest.raises(
        StepFailedError, match=r"^POST /v1/guardrail/checks: the check with llmops/x-rails has no 'status'"
    ):
        NemoGuardrails().check("llmops/x", FINE)


# ------------------------------------------------------------------ the reader itself


def test_fields_read_the_same_from_models_dicts_and_nothing():
    from nemo_microservices.types.customization_config import CustomizationConfig

    model = CustomizationConfig.construct(name="c", training_options=[], max_seq_length=1, surprise=1)
    for obj in (model, {"name": "c", "training_options": [], "surprise": 1, "target": None}):
        assert (field(obj, "name"), field(obj, "target", "none"), field(obj, "surprise")) == ("c", "none", 1)
        assert (entries(obj, "training_options"), mapping(obj, "name"), plain(obj)["name"]) == ([], {}, "c")
    assert (field(None, "x", 3), entries(None, "x"), mapping({"m": [1]}, "m")) == (3, [], {})
    with pytest.raises(StepFailedError, match=r"^GET /x: an object has no 'id'"):
        require({"id": ""}, "id", endpoint="GET /x", what="an object")
