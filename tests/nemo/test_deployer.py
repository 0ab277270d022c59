"""NemoDeployer: reuse-or-create a model deployment, `ready` (not `deployed`), then NIM lists the model."""

from __future__ import annotations

import logging
import re

import pytest

from steps.errors import NotFoundError, StepFailedError
from steps.nemo.deployer import NemoDeployer, deployment_name
from steps.nemo.settings import Timing
from tests.nemo.conftest import HF_SECRET, assert_no_secrets, assert_sdk_body, fault

BASE = "meta/llama-3.2-1b-instruct"
FAST = Timing(poll=2, stall=60000, cap=600000)


def test_creates_a_deployment_waits_until_ready_and_listed_then_reuses_it(make_fake, caplog):
    from nemo_microservices.types.deployment.model_deployment_create_params import ModelDeploymentCreateParams

    fake = make_fake()
    with caplog.at_level(logging.DEBUG):
        deployment = NemoDeployer(timing=FAST).ensure_base(BASE)
    assert BASE in fake.served_models()
    created = fake.creations("deployment")
    assert [c.key for c in created] == ["meta/llama-3.2-1b-instruct"]
    body = created[0].body
    assert_sdk_body(ModelDeploymentCreateParams, body)
    assert body["config"]["model"] == BASE and body["config"]["nim_deployment"]["image_name"] == f"nvcr.io/nim/{BASE}"
    assert body["hf_token"] == HF_SECRET  # sent to DMS, and nowhere else:
    assert_no_secrets(caplog.text, deployment.model_dump_json())
    assert deployment.model_id == BASE and deployment.endpoint == fake.nim_url
    assert re.fullmatch(r"[-._a-zA-Z0-9]+", deployment.model_key)
    assert deployment.path.endswith("/v1/deployment/model-deployments/meta/llama-3.2-1b-instruct")

    again = NemoDeployer(timing=FAST).ensure_base(BASE)
    assert again == deployment and len(fake.creations("deployment")) == 1


def test_a_failed_deployment_raises_with_its_description(make_fake):
    make_fake(faults=[fault("deployment_fails", detail="ImagePullBackOff: nvcr.io denied")])
    with pytest.raises(StepFailedError, match=r"failed: .*ImagePullBackOff: nvcr\.io denied"):
        NemoDeployer(timing=FAST).ensure_base(BASE)


def test_a_5xx_on_the_deployment_lookup_is_retried(make_fake):
    fake = make_fake(faults=[fault("http_5xx", "GET", r"/v1/deployment/model-deployments/meta/", status=502)])
    NemoDeployer(timing=FAST).ensure_base(BASE)
    assert ("http_5xx", "GET", "/v1/deployment/model-deployments/meta/llama-3.2-1b-instruct") in fake.faults.log


def deployment(status, deployed):
    return 200, {
        "name": "llama-3.2-1b-instruct",
        "namespace": "meta",
        "config": {"model": BASE},
        "url": "",
        "deployed": deployed,
        "status_details": {"status": status, "description": status},
    }


def test_deployed_true_is_not_ready_only_status_ready_is(stub):
    stub.on(
        "GET",
        r"/v1/deployment/model-deployments/meta/llama-3.2-1b-instruct",
        deployment("pending", True),
        deployment("pending", True),
        deployment("created", True),
        deployment("ready", True),
    )
    stub.on("GET", r"/v1/models", (200, {"object": "list", "data": [{"id": BASE}]}))
    NemoDeployer(timing=FAST).ensure_base(BASE)
    assert len(stub.seen("GET", r"/v1/deployment/model-deployments/meta/.+")) == 4
    assert not stub.seen("POST", r"/v1/deployment/model-deployments")


def test_a_500_already_exists_on_create_is_not_retried_the_deployment_is_looked_up(stub):
    stub.on("GET", r"/v1/deployment/model-deployments", (200, {"data": [], "pagination": {"total_pages": 1}}))
    stub.on(
        "GET",
        r"/v1/deployment/model-deployments/meta/llama-3.2-1b-instruct",
        (404, {"detail": "not found"}),
        deployment("ready", True),
    )
    stub.on("POST", r"/v1/deployment/model-deployments", (500, {"detail": "model deployment already exists"}))
    stub.on("GET", r"/v1/models", (200, {"data": [{"id": BASE}]}))
    NemoDeployer(timing=FAST).ensure_base(BASE)
    assert len(stub.seen("POST", r"/v1/deployment/model-deployments")) == 1


def test_serve_adapter_waits_for_nim_and_reports_whether_it_was_new(stub):
    adapter = "llmops/bill-lora@cust-1"
    stub.on(
        "GET",
        r"/v1/models",
        (200, {"data": [{"id": BASE}]}),
        (200, {"data": [{"id": BASE}]}),
        (200, {"data": [{"id": BASE}, {"id": adapter}]}),
    )
    stub.on(
        "GET",
        r"/v1/models/llmops/bill-lora@cust-1",
        (200, {"name": "bill-lora@cust-1", "namespace": "llmops", "base_model": BASE}),
    )
    deployer = NemoDeployer(timing=FAST)
    assert deployer.serve_adapter(BASE, adapter) is True
    assert deployer.serve_adapter(BASE, adapter) is False


def test_serve_adapter_of_an_unknown_adapter_fails(stub):
    stub.on("GET", r"/v1/models", (200, {"data": [{"id": BASE}]}))
    with pytest.raises(NotFoundError, match="run the customize step"):
        NemoDeployer(timing=FAST).serve_adapter(BASE, "llmops/nope@cust-0")


def test_deployment_names_are_dms_safe():
    assert deployment_name("meta/Llama 3.2@1b") == ("meta", "llama-3.2-1b")
