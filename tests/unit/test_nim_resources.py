"""The NIM Operator resource bodies and how their status is read (steps/nemo/nim_resources.py, pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from steps.nemo.nim_resources import (
    NimTarget,
    cache_body,
    dns_label,
    env_value,
    is_managed,
    patch_body,
    readiness,
    serves_model,
    service_body,
    spec_differences,
)
from workflows.manifest_checks import metadata_errors, schema_errors, strict_schema

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"


def target(**changes) -> NimTarget:
    values = {
        "base_model": "meta/llama-3.2-1b-instruct",
        "namespace": "llmops",
        "image_tag": "1.8.3",
        "gpu": 1,
        "pvc_size": "25Gi",
        "storage_class": None,
        "pull_secret": "ngc-secret",
        "auth_secret": "ngc-api-secret",
        "peft_source": "http://nemo.test",
    }
    return NimTarget(**{**values, **changes})


def test_names_are_dns_labels_and_the_cache_is_named_after_the_image_tag():
    assert (target().service_name, target().cache_name) == (
        "meta-llama-3-2-1b-instruct",
        "meta-llama-3-2-1b-instruct-1-8-3",
    )
    assert dns_label("7b/Model_X") == "m-7b-model-x"
    long = dns_label("org/" + "a" * 80)
    assert len(long) <= 63 and long != dns_label("org/" + "a" * 81)  # truncated, still distinct


def test_bodies_carry_lora_the_peft_source_and_the_llmops_label():
    cache, service = cache_body(target(storage_class="fast", gpu=2)), service_body(target(gpu=2))
    assert cache["spec"]["source"]["ngc"]["model"] == {"lora": True, "tensorParallelism": "2"}
    assert cache["spec"]["storage"]["pvc"]["storageClass"] == "fast"
    assert "storageClass" not in cache_body(target())["spec"]["storage"]["pvc"]
    assert env_value(service, "NIM_PEFT_SOURCE") == "http://nemo.test"
    assert service["spec"]["resources"] == {"limits": {"nvidia.com/gpu": 2}}
    assert is_managed(cache) and is_managed(service) and serves_model(service, "meta/llama-3.2-1b-instruct")
    assert patch_body(service) == {
        "metadata": {"labels": service["metadata"]["labels"], "annotations": service["metadata"]["annotations"]},
        "spec": service["spec"],
    }
    assert metadata_errors(cache) == metadata_errors(service) == []


@pytest.mark.skipif(not (SCHEMAS / "index.json").is_file(), reason=f"CRD schemas not found at {SCHEMAS}")
@pytest.mark.parametrize("storage_class", [None, "fast"])
def test_bodies_match_the_nim_operator_crds_with_unknown_fields_rejected(storage_class):
    for body in (cache_body(target(storage_class=storage_class)), service_body(target())):
        schema = strict_schema(json.loads((SCHEMAS / f"apps.nvidia.com_v1alpha1_{body['kind']}.json").read_text()))
        assert schema_errors(body, schema) == []
        typo = {**body, "spec": {**body["spec"], "replica": 1}}
        assert any("replica" in e for e in schema_errors(typo, schema))


def test_spec_differences_ignore_server_defaults_but_see_changed_values_and_lists():
    desired = service_body(target())["spec"]
    server = json.loads(json.dumps(desired))
    server["inferencePlatform"] = "standalone"  # a default the API server filled in
    assert spec_differences(desired, server) == []
    server["env"][0]["value"] = "http://elsewhere"
    server["image"]["tag"] = "1.9"
    assert spec_differences(desired, server) == ["spec.image.tag", "spec.env[0].value"]
    server["env"] = server["env"][:1]
    assert "spec.env" in spec_differences(desired, server)


def condition(kind, status, message, when="2026-01-01T00:00:00Z", generation=None):
    found = {"type": kind, "status": status, "reason": "R", "message": message, "lastTransitionTime": when}
    return found if generation is None else {**found, "observedGeneration": generation}


def test_readiness_of_a_service_follows_its_ready_condition():
    waiting = {"status": {"state": "NotReady", "conditions": [condition("Ready", "False", "scheduling")]}}
    state = readiness(waiting)
    assert (state.ready, state.failed, state.message) == (False, False, "Ready=False (R): scheduling")
    assert readiness({"status": {"state": "Ready", "conditions": [condition("Ready", "True", "up")]}}).ready
    failed = readiness(
        {
            "status": {
                "state": "Failed",
                "conditions": [
                    condition("Ready", "False", "x", "2026-01-01T00:00:09Z"),
                    condition("Failed", "True", "image pull failed"),
                ],
            }
        }
    )
    assert failed.failed and failed.message == "Failed=True (R): image pull failed"  # the failure, not the latest
    assert readiness({}).message == "the operator has reported no condition yet"


def test_readiness_of_a_cache_follows_its_state_and_shows_its_latest_condition():
    cache = {
        "status": {
            "state": "InProgress",
            "conditions": [
                condition("NIM_CACHE_JOB_CREATED", "True", "job created", "2026-01-01T00:00:02Z"),
                condition("NIM_CACHE_PVC_CREATED", "True", "pvc created", "2026-01-01T00:00:01Z"),
            ],
        }
    }
    assert readiness(cache).message == "NIM_CACHE_JOB_CREATED=True (R): job created"
    assert not readiness(cache).ready
    assert readiness({"status": {"state": "Ready"}}).ready and readiness({"status": {"state": "Failed"}}).failed


def test_a_status_written_for_an_older_spec_is_not_taken_for_the_new_one():
    patched = {
        "metadata": {"generation": 2},
        "status": {"state": "Ready", "conditions": [condition("Ready", "True", "old", generation=1)]},
    }
    assert not readiness(patched).ready and not readiness(patched).failed
    patched["status"]["conditions"][0]["observedGeneration"] = 2
    assert readiness(patched).ready
