"""The whole pipeline on the `nemo-platform` backend: the REAL NeMo Platform services for everything they can
do on a CPU (files, entities, workspaces, models, adapters, Inference Gateway, Evaluator, Guardrails, jobs),
the schema-checked fake (tests/fakes/nmp/) for customization jobs and model deployments, and a routing,
fault-injecting proxy (tests/fakes/nmp/proxy.py) between the backend and both: NMP_URL points at it.

Same rendered manifests, same local runner (`workflows.cli run`), same steps as the local platform; only
LLMOPS_PLATFORM and the endpoints differ. The proxy plays an ingress checking NMP_API_KEY (the real services
run with auth off). What the deployments plugin, models controller and customization backend would do is
done by the harness (tests/nmp/controllers.py), inside the fake's answers: when the base model's deployment
turns READY, the real gateway routes the base model to the project's tiny model (`llmops serve`'s OpenAI
server); when a customization job completes, its adapter fileset is written to the real Files service and
the adapter's model name routed to the same server. The fake trains nothing, so the adapter answers as the
base model: its benchmark rows equal the base's and the Evaluator's content-addressed job is reused; the
gate of `fast_spec` tolerates no gain, as the v1 e2e's does. The content-safety model of the guardrails
check is a deterministic stand-in (tests/fakes/safety_model.py) behind the real gateway.

One services daemon and one Platform workspace serve the module; the second run changes the data split
(a new dataset revision, customization job and adapter) and the benchmark limit (a new evaluation job), so
each injected fault meets a create that really happens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from steps import tracking
from tests.e2e.conftest import fast_spec
from tests.fakes.faults import Fault, FaultPlan
from tests.fakes.nmp import FakeNmp, openapi
from tests.fakes.nmp.proxy import RoutingProxy
from tests.fakes.safety_model import FakeSafetyModel
from tests.nmp.conftest import BASE_MODEL, local_model_server, nmp_services  # noqa: F401 - session fixtures
from tests.nmp.controllers import Controllers, real_client
from workflows import cli

WORKSPACE = "llmops"
SAFETY = f"{WORKSPACE}/content-safety"
SECRETS = {
    "NMP_API_KEY": "nmp-e2e-secret-4b7e",
    "NGC_API_KEY": "nvapi-nmp-e2e-9d21",
    "HF_TOKEN": "hf_nmp_e2e_6a0f",
    "JUDGE_API_KEY": "judge-nmp-e2e-2c88",
    "MLFLOW_TRACKING_TOKEN": "mlflow-nmp-e2e-71d3",
}
PUBLIC = {"/apis/auth/discovery"}  # the SDK asks how to authenticate before it sends a token; an ingress lets it by
EVAL_JOBS = f"/apis/evaluator/v2/workspaces/{WORKSPACE}/evaluate/jobs"
CUSTOMIZATION_JOBS = f"/apis/customization/v2/workspaces/{WORKSPACE}/automodel/jobs"


@dataclass
class Stack:
    fake: FakeNmp
    proxy: RoutingProxy
    controllers: Controllers
    client: Any  # straight to the real services
    services: Any


@pytest.fixture(scope="module")
def stack(nmp_services, local_model_server) -> Iterator[Stack]:  # noqa: F811
    if not openapi.available():
        pytest.skip(f"NeMo Platform OpenAPI documents not found in {openapi.REFERENCE.resolve()}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NMP_WORKSPACE", WORKSPACE)  # the harness's calls name the workspace through settings
        mp.setenv("NMP_URL", nmp_services.base_url)
        mp.setenv("LLMOPS_NMP_TIME_SCALE", "0.05")
        client = real_client(nmp_services.base_url, WORKSPACE)
        controllers = Controllers(client, WORKSPACE, local_model_server.url, BASE_MODEL)
        with FakeNmp() as fake, FakeSafetyModel() as safety:
            controllers.seed_base_model(BASE_MODEL)
            assert Controllers(client, WORKSPACE, safety.base_url, "safety").route("content-safety") == SAFETY
            fake.on("deployment_ready", controllers.deployment_ready)
            fake.on("customization_job_completed", controllers.customization_job_completed)
            with RoutingProxy(nmp_services.base_url, fake.base_url, FaultPlan(), SECRETS["NMP_API_KEY"]) as proxy:
                yield Stack(fake, proxy, controllers, client, nmp_services)
        assert fake.violations == []


@pytest.fixture
def nmp_run(stack: Stack, llmops_env, monkeypatch, tmp_path) -> Stack:
    env = {
        "LLMOPS_PLATFORM": "nemo-platform",
        "NMP_URL": stack.proxy.base_url,
        "NMP_WORKSPACE": WORKSPACE,
        "LLMOPS_NMP_TIME_SCALE": "0.05",
        "LLMOPS_NMP_SAFETY_MODEL": SAFETY,
        **SECRETS,  # as Kubernetes would inject them from the Secret
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return stack


def spec(tmp_path: Path, name: str, **overrides: dict[str, Any]) -> Path:
    """fast_spec on nemo-platform: one benchmark suite (2 evaluations), a small business eval, guardrails."""
    sections: dict[str, dict[str, Any]] = {
        "benchmarks": {"suites": ["squad"], "limit": 5},
        "business_eval": {"limit": 6},
        "guardrails": {"check": True, "limit": 2},
        "release": {"registered_model_name": f"{name}-model"},
    }
    for section, values in overrides.items():
        sections.setdefault(section, {}).update(values)
    path = fast_spec(tmp_path, name, **sections)
    data = yaml.safe_load(path.read_text())
    data["platform"] = "nemo-platform"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def parent_run(name: str) -> Any:
    client = tracking.client()
    [run] = client.search_runs(
        [client.get_experiment_by_name("llmops").experiment_id],
        filter_string=f"tags.`llmops.run_spec` = '{name}'",
        max_results=1,
    )
    return run


def real_list(client: Any, path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = client.get(path, cast_to=object, options={"params": {"page": page, "page_size": 100}})
        found += answer.get("data") or []
        if page >= int((answer.get("pagination") or {}).get("total_pages") or 1):
            return found
        page += 1


def assert_no_duplicates(stack: Stack) -> None:
    """No customization job, deployment (config), evaluation job or fileset content was created twice."""
    fake = stack.fake
    keys = [c.body["custom_fields"]["llmops_job_key"] for c in fake.creations("customization_job")]
    assert len(keys) == len(set(keys)), f"duplicate customization jobs: {keys}"
    for kind in ("deployment", "deployment_config"):
        assert len(fake.creations(kind)) == 1, kind
    jobs = real_list(stack.client, EVAL_JOBS)
    eval_keys = Counter((j.get("custom_fields") or {}).get("llmops_eval_key") for j in jobs)
    assert jobs and max(eval_keys.values()) == 1, f"duplicate evaluation jobs: {eval_keys}"
    created = [r for r in stack.proxy.records if r.method == "POST" and r.path == EVAL_JOBS and r.upstream_status]
    assert sum(1 for r in created if r.upstream_status in (200, 201)) == len(jobs)
    filesets = real_list(stack.client, f"/apis/files/v2/workspaces/{WORKSPACE}/filesets")
    datasets = Counter(
        repr(sorted((f.get("custom_fields") or {}).get("llmops_files", {}).items()))
        for f in filesets
        if (f.get("custom_fields") or {}).get("llmops_files")
    )
    assert datasets and max(datasets.values()) == 1, f"filesets with the same content: {datasets}"
    unauthorized = {f"{r.method} {r.path}" for r in stack.proxy.records if not r.authorized and r.path not in PUBLIC}
    assert not unauthorized, f"requests without the Platform's bearer token: {sorted(unauthorized)}"


def assert_no_secret_leaked(stack: Stack, workspace: Path, out: str) -> None:
    """No secret value in run state, step logs, the MLflow database or artifacts, the services' state, or
    the output."""
    folders = [workspace, stack.services.state]
    leaked = [
        (path, key)
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and path.stat().st_size < 50_000_000
        for key, value in SECRETS.items()
        if value.encode() in path.read_bytes()
    ]
    assert leaked == [] and not any(value in out for value in SECRETS.values())


def test_pipeline_completes_on_nemo_platform(nmp_run, tmp_path, capsys, workspace):
    stack = nmp_run
    assert cli.main(["run", str(spec(tmp_path, "nmp-ok")), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "gate: PASS" in out and "released as version" in out, out[-3000:]

    parent = parent_run("nmp-ok")
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["llmops.gate.decision"] == "pass"
    assert parent.data.tags["llmops.platform"] == "nemo-platform"
    assert parent.data.tags["llmops.nemo_platform.sdk"] == "0.3.0"
    assert parent.data.tags["llmops.nemo_platform.server"] not in ("", "unknown")
    assert parent.data.tags["llmops.dataset_uri"].startswith(f"nmp://{WORKSPACE}/datasets/llmops/telecom-bills@")
    children = {c.info.run_name: c for c in tracking.children(parent.info.run_id)}
    assert {
        "prepare-data",
        "deploy-base",
        "customize",
        "wait-for-adapter",
        "benchmark-squad-base",
        "benchmark-squad-candidate",
        "business-eval-base",
        "business-eval-candidate",
        "gate",
        "rollout",
        "guardrails",
    } <= set(children)
    assert all(c.data.tags["mlflow.parentRunId"] == parent.info.run_id for c in children.values())
    assert all(c.info.status == "FINISHED" for c in children.values())
    assert children["customize"].data.metrics["train_loss"] > 0  # the fake job's curve, through MLflow
    assert "base.squad" in parent.data.metrics and "candidate.squad" in parent.data.metrics
    assert children["guardrails"].data.metrics["guardrails_checked"] == 2

    assert len(stack.fake.creations("customization_job")) == 1
    adapter = children["rollout"].data.tags["adapter_id"]
    version = tracking.client().get_model_version_by_alias("nmp-ok-model", "champion")
    assert version.source.startswith(f"{stack.proxy.base_url}/apis/models/v2/workspaces/{WORKSPACE}/adapters/")
    released = stack.client.models.retrieve(BASE_MODEL.split("/")[1], workspace=BASE_MODEL.split("/")[0])
    assert (released.custom_fields or {}).get("llmops_released_adapter") == adapter  # on the REAL models service
    assert_no_duplicates(stack)
    assert_no_secret_leaked(stack, workspace, out)


def test_injected_faults_are_survived_without_duplicates(nmp_run, tmp_path, capsys, workspace):
    stack = nmp_run
    jobs_before = len(stack.fake.creations("customization_job"))
    faults = [
        # a 5xx burst on the upload of the new dataset revision's files
        Fault("http_5xx", "PUT", rf"/apis/files/v2/workspaces/{WORKSPACE}/filesets/llmops\.telecom-bills\.", times=3),
        # the customization job is created, then the connection is reset: the client never hears
        Fault("reset", "POST", rf"^{CUSTOMIZATION_JOBS}$", commit_before_reset=True),
        # the evaluation job is created, then no answer until the connection closes
        Fault("timeout", "POST", rf"^{EVAL_JOBS}$", seconds=2, commit_before_timeout=True),
        Fault("http_5xx", "POST", rf"/apis/guardrails/v2/workspaces/{WORKSPACE}/checks$", times=2, status=502),
        Fault("reset", "GET", rf"^{CUSTOMIZATION_JOBS}/[^/]+/status$", times=2),
    ]
    for fault in faults:
        stack.proxy.faults.add(fault)
    run = spec(
        tmp_path,
        "nmp-faults",
        dataset={"split": {"validation": 0.1, "seed": 1}},
        benchmarks={"suites": ["squad"], "limit": 6},
    )
    assert cli.main(["run", str(run), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "gate: PASS" in out, out[-3000:]
    unfired = [(f.kind, f.match_method, f.match_path_regex) for f in faults if f.fired == 0]
    assert unfired == [], f"faults that met no request: {unfired}; requests: {sorted(_routes(stack))}"
    assert len(stack.fake.creations("customization_job")) == jobs_before + 1  # the lost answer was not re-posted
    assert_no_duplicates(stack)
    assert_no_secret_leaked(stack, workspace, out)


def _routes(stack: Stack) -> set[str]:
    """The requests seen, with hex keys blurred (for a fault-matching message)."""
    return {f"{r.method} {re.sub(r'[0-9a-f]{12,}', '<key>', r.path)}" for r in stack.proxy.records}
