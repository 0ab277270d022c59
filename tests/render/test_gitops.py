"""The Argo CD setup (argocd/, charts/versions/): strict schemas for every object and every generated
Application, AppProjects that allow exactly what their apps sync, environments that differ only in values,
and the checks themselves catching the mistakes they exist for (on a copy of the repository's files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from workflows.gitops import appsets, checks, inventory

ROOT = Path(__file__).resolve().parents[2]


def _names(apps: list[dict]) -> dict[str, str]:
    """Application name -> destination cluster."""
    return {a["metadata"]["name"]: a["spec"]["destination"]["name"] for a in apps}


def test_objects_and_generated_applications_pass_strict_schemas(schemas):
    assert checks.schema_problems(schemas) == []


def test_projects_allow_exactly_what_their_apps_sync():
    assert checks.project_problems() == []


def test_environments_differ_only_in_values():
    assert checks.environment_problems() == []


def test_each_environment_gets_its_clusters_apps():
    apps = {env: _names(found) for env, found in inventory.apps_by_env().items()}
    management = {"llmops-root", "llmops-runs", "llmops-templates", "argo-workflows", "mlflow", "mlflow-postgres"}
    management |= {"cloudnative-pg", "minio", "llmops-flywheels"}
    assert set(apps["kind"]) == management, "kind: one cluster, no GPU apps"
    for env in ("dev", "prod"):
        assert apps[env] == dict.fromkeys(management, "in-cluster") | {"nemo": "gpu", "llmops-nim": "gpu"}
    generated = {a["metadata"]["name"]: a for a in inventory.apps_by_env()["prod"]}
    helm = generated["mlflow"]["spec"]["sources"][0]["helm"]
    assert helm["valueFiles"] == ["$values/charts/values/mlflow.yaml", "$values/argocd/env/prod/charts/mlflow.yaml"]
    assert generated["llmops-nim"]["spec"]["source"]["path"] == "argocd/env/prod/nim"


def test_every_upstream_chart_has_its_values_and_a_kinds_inventory():
    for entry in inventory.versions():
        assert (ROOT / "charts" / "values" / f"{entry['release']}.yaml").is_file(), entry["release"]
        assert entry["kinds"].get("namespaced") or entry["kinds"].get("cluster"), entry["release"]
        assert set(entry) <= {
            "release",
            "repoURL",
            "chart",
            "version",
            "namespace",
            "alsoNamespaces",
            "kinds",
            "rendered",
        }, "a key the ApplicationSets' parameters could clash on"


def test_nim_resources_serve_the_run_specs_base_model_with_adapters_from_the_entity_store():
    for env in ("dev", "prod"):
        docs = {d["kind"]: d for d in inventory.documents(ROOT / "argocd" / "env" / env / "nim" / "base-model.yaml")}
        cache, service = docs["NIMCache"], docs["NIMService"]
        assert service["spec"]["storage"]["nimCache"]["name"] == cache["metadata"]["name"]
        assert cache["spec"]["source"]["ngc"]["model"]["lora"] is True
        env_vars = {e["name"]: e["value"] for e in service["spec"]["env"]}
        assert env_vars["NIM_PEFT_SOURCE"].startswith("http://nemo-entity-store.")
        nim_url = yaml.safe_load((ROOT / "argocd" / "env" / env / "values.yaml").read_text())["config"]["nimUrl"]
        host = service["spec"]["expose"]["ingress"]["spec"]["rules"][0]["host"]
        assert nim_url == f"http://{host}", "the pipeline's NIM_URL is this NIMService's ingress"
        spec = yaml.safe_load((ROOT / "workflows" / "runs" / "bill-explainer-nim.yaml").read_text())
        assert service["spec"]["image"]["repository"] == f"nvcr.io/nim/{spec['base_model']}"


# ---------------------------------------------------------------- the checks catch mistakes
@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what the checks read: argocd/, charts/ and manifests/runs."""
    for folder in ("argocd", "charts", "manifests"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def _edit(path: Path, change) -> None:
    docs = list(yaml.safe_load_all(path.read_text()))
    change(docs)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def _project(docs: list[dict], name: str) -> dict:
    return next(d for d in docs if d["metadata"]["name"] == name)["spec"]


def test_a_kind_no_app_syncs_and_a_kind_not_allowed_are_both_reported(repo):
    def change(docs):
        platform = _project(docs, "llmops-platform")
        platform["namespaceResourceWhitelist"].append({"group": "apps", "kind": "DaemonSet"})
        gpu = _project(docs, "llmops-gpu")
        gpu["namespaceResourceWhitelist"] = [k for k in gpu["namespaceResourceWhitelist"] if k["kind"] != "NIMService"]

    _edit(repo / "argocd" / "project.yaml", change)
    problems = checks.project_problems(repo)
    assert any("llmops-platform: namespaceResourceWhitelist allows ['DaemonSet.apps']" in p for p in problems)
    assert any("llmops-gpu: apps sync ['NIMService.apps.nvidia.com']" in p for p in problems)


def test_an_unused_destination_and_a_chart_without_inventory_are_reported(repo):
    _edit(
        repo / "argocd" / "project.yaml",
        lambda docs: _project(docs, "llmops")["destinations"].append({"name": "in-cluster", "namespace": "default"}),
    )
    _edit(
        repo / "argocd" / "apps" / "gpu.yaml",
        lambda docs: docs[0]["spec"]["template"]["spec"]["sources"][0].update(targetRevision="25.9.0"),
    )  # a version that is not the one charts/versions/ describes
    problems = checks.project_problems(repo)
    assert any("AppProject/llmops: destinations should be exactly" in p and "'default'" in p for p in problems)
    assert any(
        "Application/nemo: chart nemo-microservices-helm-chart 25.9.0 not in charts/versions/" in p for p in problems
    )


def test_dev_and_prod_differing_in_structure_and_stray_values_files_are_reported(repo):
    _edit(repo / "argocd" / "env" / "prod" / "charts" / "minio.yaml", lambda docs: docs[0].update(replicas=4))
    (repo / "argocd" / "env" / "kind" / "charts" / "nemo.yaml").write_text("ingress: {enabled: false}\n")
    problems = checks.environment_problems(repo)
    assert "argocd/env/{dev,prod}/charts/minio.yaml: differ in structure, not only in values" in problems
    assert "argocd/env/kind/charts/nemo.yaml: no app nemo in kind reads it" in problems


def test_typos_in_applicationsets_and_nim_resources_fail_the_schemas(repo, schemas):
    _edit(
        repo / "argocd" / "apps" / "platform.yaml",
        lambda docs: docs[0]["spec"]["template"]["spec"].update(syncPolicyy={}),
    )
    _edit(repo / "argocd" / "env" / "dev" / "nim" / "base-model.yaml", lambda docs: docs[1]["spec"].update(replica=2))
    problems = checks.schema_problems(schemas, repo)
    assert any(
        p.startswith("argocd/apps/platform.yaml: ApplicationSet/llmops-platform") and "syncPolicyy" in p
        for p in problems
    )
    assert any("NIMService/meta-llama-3-2-1b-instruct" in p and "'replica' was unexpected" in p for p in problems)
    assert any(p.startswith("[dev] Application/minio") and "syncPolicyy" in p for p in problems)


# ---------------------------------------------------------------- the ApplicationSet parameter rules
def test_matrix_parameters_merge_and_clash():
    left = {"list": {"elements": [{"release": "a", "namespace": "x"}]}}
    right = {"list": {"elements": [{"chart": "c"}, {"namespace": "y"}]}}
    matrix = {"matrix": {"generators": [left, right]}}
    with pytest.raises(appsets.AppSetError, match=r"both set \['namespace'\]"):
        appsets.generate(matrix, [], ROOT, inventory.REPO_URL)
    right["list"]["elements"].pop()
    assert appsets.generate(matrix, [], ROOT, inventory.REPO_URL) == [{"release": "a", "namespace": "x", "chart": "c"}]


def test_fill_replaces_known_parameters_and_leaves_others():
    template = {"name": "{{ release }}-{{unknown}}", "n": 1, "list": ["{{release}}"]}
    assert appsets.fill(template, {"release": "mlflow"}) == {"name": "mlflow-{{unknown}}", "n": 1, "list": ["mlflow"]}
    assert appsets.flatten({"a": {"b": [1, True]}}) == {"a.b.0": "1", "a.b.1": "true"}


def test_generators_this_expansion_does_not_know_are_refused():
    with pytest.raises(appsets.AppSetError, match="scmProvider generator: not expanded offline"):
        appsets.generate({"scmProvider": {}}, [], ROOT, inventory.REPO_URL)
