"""NimOperatorDeployer against a stub Kubernetes API server (tests/nemo/kube_stub.py) through the real
`kubernetes` client and a kubeconfig: create, find, patch, wait for Ready, fail clearly; the Role the chart
grants is what the stub enforces, and every body sent is checked against the NIM Operator's CRD schemas."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import pytest

from steps.errors import NotFoundError, PlatformNotAvailableError, StepFailedError
from steps.nemo.nim_operator import NimOperatorDeployer
from steps.nemo.settings import Timing
from tests.nemo.conftest import assert_no_secrets
from tests.nemo.kube_stub import TOKEN, KubeApi, chart_nim_rules
from tests.nemo.stub import Stub

BASE = "meta/llama-3.2-1b-instruct"
SERVICE, CACHE = "meta-llama-3-2-1b-instruct", "meta-llama-3-2-1b-instruct-1-8-3"
ENTITY_STORE = "http://nemo-entity-store.nemo.svc.cluster.local:8000"
FAST = Timing(poll=2, stall=3000, cap=30000)  # x LLMOPS_NEMO_TIME_SCALE=0.001: 2 ms polls, 3 s stall


@pytest.fixture
def kube(nemo_env, monkeypatch, tmp_path):
    api = KubeApi(Stub()).start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        f"""apiVersion: v1
kind: Config
clusters: [{{name: stub, cluster: {{server: "{api.url}"}}}}]
users: [{{name: steps, user: {{token: {TOKEN}}}}}]
contexts: [{{name: stub, context: {{cluster: stub, user: steps, namespace: llmops}}}}]
current-context: stub
"""
    )
    for var in ("KUBERNETES_SERVICE_HOST", "LLMOPS_NIM_NAMESPACE", "LLMOPS_NIM_PEFT_SOURCE", "NIM_GPU"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("NIM_URL", api.url)
    monkeypatch.setenv("NEMO_URL", ENTITY_STORE)
    monkeypatch.setenv("NIM_IMAGE_TAG", "1.8.3")
    yield api
    api.stub.stop()
    assert api.problems == [], "requests the NIM Operator's API would reject"


def deployer(**kwargs) -> NimOperatorDeployer:
    return NimOperatorDeployer(**{"timing": FAST, "cache_timing": FAST, **kwargs})


def cache_status(state: str, message: str = "") -> dict:
    kind = {"Ready": "NIM_CACHE_JOB_COMPLETED", "Failed": "NIM_CACHE_RECONCILE_FAILED"}.get(
        state, "NIM_CACHE_JOB_CREATED"
    )
    condition = {"type": kind, "status": "True", "reason": state, "message": message or f"caching {state}"}
    return {"state": state, "conditions": [{**condition, "lastTransitionTime": "2026-01-01T00:00:00Z"}]}


def service_status(state: str, message: str = "", when: str = "2026-01-01T00:00:01Z") -> dict:
    ready = {"type": "Ready", "status": str(state == "Ready"), "reason": state, "message": message or state}
    return {
        "state": state,
        "conditions": [{**ready, "lastTransitionTime": when}],
        "model": {"name": BASE, "clusterEndpoint": f"{SERVICE}.llmops:8000", "externalEndpoint": ""},
    }


def ready(kube: KubeApi, cache: str = CACHE) -> None:
    kube.script("nimcaches", cache, cache_status("Ready"))
    kube.script("nimservices", SERVICE, service_status("Ready"))


def sent(kube: KubeApi, method: str, plural: str) -> list[dict]:
    return [r.json for r in kube.stub.requests if r.method == method and r.path.split("/")[6:7] == [plural]]


def test_creates_the_cache_and_the_service_then_waits_for_both_to_be_ready(kube, caplog):
    kube.script("nimcaches", CACHE, cache_status("Pending"), cache_status("InProgress"), cache_status("Ready"))
    kube.script(
        "nimservices", SERVICE, service_status("NotReady", "Deployment is progressing"), service_status("Ready")
    )
    with caplog.at_level(logging.INFO):
        deployment = deployer().ensure_base(BASE)

    (cache,) = sent(kube, "POST", "nimcaches")
    (service,) = sent(kube, "POST", "nimservices")
    assert cache["metadata"]["name"] == CACHE and service["metadata"]["name"] == SERVICE
    ngc = cache["spec"]["source"]["ngc"]
    assert ngc["modelPuller"] == "nvcr.io/nim/meta/llama-3.2-1b-instruct:1.8.3" and ngc["model"]["lora"] is True
    env = {e["name"]: e["value"] for e in service["spec"]["env"]}
    assert env["NIM_PEFT_SOURCE"] == ENTITY_STORE  # LoRA adapters come from the Entity Store
    assert service["spec"]["storage"] == {"nimCache": {"name": CACHE}}
    assert service["spec"]["image"] == {
        "repository": "nvcr.io/nim/meta/llama-3.2-1b-instruct",
        "tag": "1.8.3",
        "pullPolicy": "IfNotPresent",
        "pullSecrets": ["ngc-secret"],
    }
    assert kube.objects[("nimcaches", CACHE)]["metadata"]["namespace"] == "llmops"  # the kubeconfig's namespace
    assert len(kube.seen("get", "nimcaches")) >= 4 and len(kube.seen("get", "nimservices")) >= 3
    assert deployment.model_id == BASE and deployment.endpoint == kube.url
    assert re.fullmatch(r"[-._a-zA-Z0-9]+", deployment.model_key) and "1.8.3" in deployment.model_key
    assert deployment.path == f"{kube.url}/apis/apps.nvidia.com/v1alpha1/namespaces/llmops/nimservices/{SERVICE}"
    assert_no_secrets(caplog.text, cache, service, deployment.model_dump_json())


def test_a_rerun_finds_both_resources_and_creates_or_changes_nothing(kube):
    ready(kube)
    first = deployer().ensure_base(BASE)
    calls = len(kube.calls)
    again = deployer().ensure_base(BASE)
    later = kube.calls[calls:]
    assert again == first
    assert ("create", "nimcaches") not in later and ("create", "nimservices") not in later
    assert not [c for c in kube.calls if c[0] == "patch"] and len(kube.objects) == 2
    assert ("list", "nimservices") not in later  # found by its name


def test_a_changed_spec_is_patched_and_a_new_image_gets_a_new_cache_nothing_is_deleted(kube, monkeypatch):
    ready(kube)
    deployer().ensure_base(BASE)
    monkeypatch.setenv("NIM_GPU", "2")
    deployer().ensure_base(BASE)
    (cache_patch,) = sent(kube, "PATCH", "nimcaches")
    (service_patch,) = sent(kube, "PATCH", "nimservices")
    assert cache_patch["spec"]["source"]["ngc"]["model"]["tensorParallelism"] == "2"
    assert service_patch["spec"]["resources"] == {"limits": {"nvidia.com/gpu": 2}}
    assert kube.objects[("nimservices", SERVICE)]["metadata"]["generation"] == 2

    monkeypatch.setenv("NIM_IMAGE_TAG", "1.9.0")
    ready(kube, cache="meta-llama-3-2-1b-instruct-1-9-0")
    deployer().ensure_base(BASE)
    assert {name for plural, name in kube.objects if plural == "nimcaches"} == {CACHE, f"{SERVICE}-1-9-0"}
    assert kube.objects[("nimservices", SERVICE)]["spec"]["storage"]["nimCache"]["name"] == f"{SERVICE}-1-9-0"
    assert not [r for r in kube.stub.requests if r.method in ("DELETE", "PUT")]
    # Across create, find and update, the deployer used exactly the verbs the chart's Role grants, and no others.
    assert set(kube.calls) == chart_nim_rules() and not kube.denied


def test_a_nimservice_someone_else_made_is_found_used_as_it_is_and_never_changed(kube):
    theirs = {
        "apiVersion": "apps.nvidia.com/v1alpha1",
        "kind": "NIMService",
        "metadata": {"name": "llama-1b", "namespace": "llmops"},
        "spec": {
            "image": {"repository": "nvcr.io/nim/meta/llama-3.2-1b-instruct", "tag": "1.8.0"},
            "env": [{"name": "NIM_PEFT_SOURCE", "value": ENTITY_STORE}],
        },
    }
    kube.put("nimservices", theirs, service_status("Ready"))
    deployment = deployer().ensure_base(BASE)
    assert deployment.path.endswith("/nimservices/llama-1b") and "1.8.0" in deployment.model_key
    assert ("list", "nimservices") in kube.calls
    assert not [c for c in kube.calls if c[0] in ("create", "patch")]


def test_a_resource_that_never_becomes_ready_fails_with_the_operators_last_condition(kube):
    ready(kube)
    reason = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
    kube.script("nimservices", SERVICE, service_status("NotReady", reason))
    with pytest.raises(StepFailedError) as failure:
        deployer(timing=Timing(poll=2, stall=60, cap=30000)).ensure_base(BASE)
    message = str(failure.value)
    assert f"NIMService llmops/{SERVICE}: no progress for" in message
    assert reason in message and f"kubectl -n llmops describe nimservice {SERVICE}" in message
    assert not [c for c in kube.calls if c[0] == "delete"]


def test_a_failed_cache_fails_at_once_with_its_message(kube):
    pull = "Back-off pulling image nvcr.io/nim/meta/llama-3.2-1b-instruct:1.8.3: 401 Unauthorized"
    kube.script("nimcaches", CACHE, cache_status("InProgress"), cache_status("Failed", pull))
    with pytest.raises(StepFailedError, match=rf"NIMCache llmops/{CACHE} failed \(state Failed\): .*401 Unauthorized"):
        deployer().ensure_base(BASE)
    assert len(kube.seen("get", "nimcaches")) <= 3  # no waiting for a stall


@pytest.mark.parametrize("verb", ["get", "create"])
def test_a_forbidden_call_names_the_verb_the_service_account_lacks(kube, verb):
    kube.allowed.discard((verb, "nimservices"))
    with pytest.raises(PlatformNotAvailableError) as failure:
        deployer().ensure_base(BASE)
    message = str(failure.value)
    assert f"lacks the {verb!r} verb on nimservices.apps.nvidia.com in namespace llmops" in message
    assert "cannot" in message and "nimOperator.enabled=true" in message
    assert kube.denied == [(verb, "nimservices")]


def test_a_cluster_without_the_nim_operator_says_so(kube):
    kube.known = set()
    with pytest.raises(PlatformNotAvailableError, match=r"install the NVIDIA NIM Operator"):
        deployer().ensure_base(BASE)


def test_a_5xx_on_a_read_is_retried_and_a_lost_create_answer_is_read_back(kube):
    ready(kube)
    kube.faults += [("get", "nimservices", 503), ("list", "nimservices", 429), ("create", "nimcaches", 500, True)]
    deployer().ensure_base(BASE)
    assert kube.faults == [] and len(kube.objects) == 2
    assert len(sent(kube, "POST", "nimcaches")) == 2  # the second answered 409: the first had created it


def test_without_a_kubeconfig_the_error_says_what_to_set(kube, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nowhere"))
    with pytest.raises(PlatformNotAvailableError, match=r"KUBECONFIG"):
        deployer().ensure_base(BASE)


class Entities:
    def __init__(self, kube: KubeApi) -> None:
        self.kube = kube

    def get_model(self, model_id: str):
        if not model_id.startswith("llmops/"):
            return None
        self.kube.adapters.append(model_id)  # NIM picks it up from the Entity Store soon after
        return SimpleNamespace(base_model=BASE)


def test_serve_adapter_waits_for_nim_to_load_it_from_the_entity_store(kube):
    ready(kube)
    nim = deployer(entity_store=Entities(kube))
    nim.ensure_base(BASE)
    assert nim.serve_adapter(BASE, "llmops/bill@cust-1") is True
    assert nim.serve_adapter(BASE, "llmops/bill@cust-1") is False
    assert nim.release_adapter(BASE, "llmops/bill@cust-1") is False and nim.released_adapter(BASE) is None
    with pytest.raises(NotFoundError, match="not in the Entity Store"):
        nim.serve_adapter(BASE, "other/nope@cust-0")


def test_serve_adapter_refuses_a_nim_that_cannot_load_adapters(kube):
    nim = deployer(entity_store=Entities(kube))
    with pytest.raises(NotFoundError, match="run deploy-base first"):
        nim.serve_adapter(BASE, "llmops/bill@cust-1")
    kube.adapters.clear()
    plain = {
        "kind": "NIMService",
        "metadata": {"name": "llama"},
        "spec": {"image": {"repository": f"nvcr.io/nim/{BASE}"}},
    }
    kube.put("nimservices", plain, service_status("Ready"))
    with pytest.raises(StepFailedError, match="has no NIM_PEFT_SOURCE"):
        nim.serve_adapter(BASE, "llmops/bill@cust-2")


def test_the_nemo_platform_picks_its_deployer_from_llmops_deployer(nemo_env, monkeypatch):
    from steps import platforms
    from steps.nemo.deployer import NemoDeployer
    from tests.unit.test_port_contracts import conformance

    for var in ("NEMO_URL", "NDS_URL", "NIM_URL"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")  # never called: building the ports sends nothing
    monkeypatch.setenv("LLMOPS_DEPLOYER", "nim-operator")
    chosen = platforms.build("nemo").deployer
    assert isinstance(chosen, NimOperatorDeployer) and conformance("deployer", chosen) == []
    monkeypatch.delenv("LLMOPS_DEPLOYER")
    assert isinstance(platforms.build("nemo").deployer, NemoDeployer)
    monkeypatch.setenv("LLMOPS_DEPLOYER", "kserve")
    with pytest.raises(PlatformNotAvailableError, match=r"use one of: nemo-deployment, nim-operator"):
        _ = platforms.build("nemo").deployer
