"""NmpDeployer against the schema-checked fake: create once, READY wait, ERROR, adapters served and released."""

from __future__ import annotations

import pytest

from steps.contracts import Deployer
from steps.errors import NotFoundError, StepFailedError
from steps.nmp.client import platform_client
from steps.nmp.deployer import RELEASE_FIELD, NmpDeployer
from tests.fakes.faults import Fault
from tests.fakes.nmp import FakeNmp
from tests.nmp.fake_nmp import WORKSPACE

BASE = "system/llama-3.2-1b-instruct"
DEPLOYMENTS = f"/apis/models/v2/workspaces/{WORKSPACE}/deployments"


def seed_adapter(fake: FakeNmp, name: str, enabled: bool = True) -> str:
    fake.models.adapters[(WORKSPACE, name)] = {
        "name": name,
        "workspace": WORKSPACE,
        "fileset": f"{WORKSPACE}/{name}",
        "finetuning_type": "lora",
        "enabled": enabled,
        "model": BASE,
    }
    return f"{WORKSPACE}/{name}"


def test_is_a_deployer(fake: FakeNmp) -> None:
    assert isinstance(NmpDeployer(), Deployer)


def test_ensure_base_creates_config_and_deployment_once_and_waits_for_ready(fake: FakeNmp) -> None:
    deployment = NmpDeployer().ensure_base(BASE)
    assert deployment.model_id == BASE
    assert deployment.path == f"{fake.base_url}{DEPLOYMENTS}/system-llama-3.2-1b-instruct"
    assert deployment.endpoint.endswith(f"/inference-gateway/v2/workspaces/{WORKSPACE}/openai/-/v1")
    [config] = fake.creations("deployment_config")
    assert config.body["model_spec"]["lora_enabled"] is True and config.body["model_entity_id"] == BASE
    assert fake.models.deployments[(WORKSPACE, "system-llama-3.2-1b-instruct")]["status"] == "READY"
    again = NmpDeployer().ensure_base(BASE)
    assert again == deployment
    assert len(fake.creations("deployment")) == 1 and len(fake.posts(DEPLOYMENTS)) == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault("http_5xx", "POST", f"{DEPLOYMENTS}$", times=2),
        Fault("reset", "POST", f"{DEPLOYMENTS}$", commit_before_reset=True),
        Fault("timeout", "POST", f"{DEPLOYMENTS}$", seconds=0.3, commit_before_timeout=True),
        Fault("http_5xx", "POST", "/deployment-configs$", times=3),
    ],
    ids=["5xx-burst", "reset-after-create", "timeout-after-create", "config-5xx"],
)
def test_faults_on_create_still_make_exactly_one_deployment(fake: FakeNmp, fault: Fault) -> None:
    fake.faults.add(fault)
    NmpDeployer(client=platform_client(timeout=0.3)).ensure_base(BASE)
    assert len(fake.creations("deployment")) == 1 and len(fake.creations("deployment_config")) == 1


def test_a_deployment_in_error_is_a_clear_error(fake: FakeNmp) -> None:
    fake.faults.add(Fault("deployment_fails", "POST", f"{DEPLOYMENTS}$", detail="image pull failed"))
    with pytest.raises(
        StepFailedError, match=r"deployment llmops-test/system-llama-3.2-1b-instruct is ERROR: image pull"
    ):
        NmpDeployer().ensure_base(BASE)


def test_serve_adapter_enables_it_once(fake: FakeNmp) -> None:
    adapter = seed_adapter(fake, "billing-lora-abc", enabled=False)
    deployer = NmpDeployer()
    assert deployer.serve_adapter(BASE, adapter) is True
    assert fake.models.adapters[(WORKSPACE, "billing-lora-abc")]["enabled"] is True
    assert deployer.serve_adapter(BASE, adapter) is False
    with pytest.raises(NotFoundError, match="run the customize step first"):
        deployer.serve_adapter(BASE, f"{WORKSPACE}/missing")


def test_release_records_the_adapter_on_the_model_entity(fake: FakeNmp) -> None:
    fake.models.add_model("system", "llama-3.2-1b-instruct", custom_fields={"owner": "team-a"})
    first, second = seed_adapter(fake, "lora-one"), seed_adapter(fake, "lora-two")
    deployer = NmpDeployer()
    assert deployer.released_adapter(BASE) is None
    assert deployer.release_adapter(BASE, first) is True
    assert deployer.released_adapter(BASE) == first
    assert deployer.release_adapter(BASE, first) is False
    assert deployer.release_adapter(BASE, second) is True  # rollout of the next one
    assert deployer.released_adapter(BASE) == second
    fields = fake.models.models[("system", "llama-3.2-1b-instruct")]["custom_fields"]
    assert fields == {"owner": "team-a", RELEASE_FIELD: second}
    assert deployer.release_adapter(BASE, first) is True  # rollback
    assert deployer.released_adapter(BASE) == first


def test_release_on_an_unknown_model_fails_clearly(fake: FakeNmp) -> None:
    adapter = seed_adapter(fake, "lora-one")
    assert NmpDeployer().released_adapter(BASE) is None
    with pytest.raises(NotFoundError, match=r"model entity system/llama-3\.2-1b-instruct does not exist"):
        NmpDeployer().release_adapter(BASE, adapter)
