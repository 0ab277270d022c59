"""The llmops Helm chart, rendered and linted by Helm itself (helm-python-sdk, Helm v4's Go SDK), with its default
values and with each environment's values: every object validates strictly, the rendered templates are shipped
byte-identical to `make render`, and the names are the ones the components use."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import helm_python as helm
import pytest
import yaml

from components.common import CACHE_CONFIG_MAP, CONFIG_ENV, CONFIG_MAP, SECRET, SECRET_ENV
from tests.render import helm_chart
from tests.render.helm_chart import CHART, ENVS, ROOT, VALUE_SETS
from tests.render.strict_validation import KUBERNETES_VERSION, core_errors, custom_errors, is_custom
from workflows.pipeline import NAME, NAMESPACE

CLUSTER_SCOPED = {"ClusterWorkflowTemplate"}
ERROR, WARNING = 3, 2  # helm lint severities (1: info)


def _load(path):
    return yaml.safe_load(path.read_text())


# ---------------------------------------------------------------- Helm renders and lints the chart
def test_chart_metadata():
    with helm.Chart.load(CHART) as chart:
        meta = chart.metadata
    assert (meta["apiVersion"], meta["name"], meta["version"], str(meta["appVersion"])) == (
        "v2",
        "llmops",
        "0.1.0",
        "0.1.0",
    )


@pytest.mark.parametrize("env", VALUE_SETS, ids=lambda env: env or "defaults")
def test_helm_lint_is_clean(env):
    report = helm_chart.lint(env, KUBERNETES_VERSION)
    assert report["total_charts_linted"] == 1
    problems = [m for m in report["messages"] if m["severity"] >= WARNING]
    assert problems == [] and report["errors"] == [], problems


def test_helm_enforces_the_values_schema():
    bad = {"config": {"platform": "nemoo"}}
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmValuesError, match="/config/platform"):
        chart.render(bad, name=helm_chart.RELEASE)
    report = helm.lint(CHART, bad, strict=True)
    assert any(m["severity"] == ERROR and "/config/platform" in m["error"] for m in report["messages"]), report


def test_release_renders_the_expected_kinds(release):
    kinds = {d["kind"] for d in release.objects()}
    assert {
        "ClusterWorkflowTemplate",
        "WorkflowTemplate",
        "ConfigMap",
        "ServiceAccount",
        "Role",
        "RoleBinding",
    } <= kinds
    assert "Secret" not in kinds
    assert release.values["namespace"] in release.notes and release.values["secret"]["name"] in release.notes


# ---------------------------------------------------------------- every rendered object validates strictly
def test_rendered_core_objects_pass_kubernetes_schemas(release):
    errors = [e for d in release.objects() if not is_custom(d) for e in core_errors(d)]
    assert errors == [], "\n".join(errors)


def test_rendered_custom_objects_pass_strict_crd_schemas(release, schemas):
    errors = [e for d in release.objects() if is_custom(d) for e in custom_errors(d, schemas)]
    assert errors == [], "\n".join(errors)


def test_core_validation_rejects_unknown_fields_and_wrong_types(release):
    config = next(d for d in release.objects("configmap.yaml") if d["kind"] == "ConfigMap")
    config["dat"] = config.pop("data")
    assert any("'dat' was unexpected" in e for e in core_errors(config))
    role = next(d for d in release.objects("rbac.yaml") if d["kind"] == "Role")
    role["rules"][0]["verb"] = role["rules"][0].pop("verbs")
    assert any("'verbs' is a required property" in e for e in core_errors(role))
    account = next(d for d in release.objects("rbac.yaml") if d["kind"] == "ServiceAccount")
    account["metadata"]["labels"]["app.kubernetes.io/part-of"] = 7
    assert any("must be a string" in e for e in core_errors(account))


def test_namespaced_objects_are_in_the_pipeline_namespace(release):
    assert release.values["namespace"] == NAMESPACE
    docs = [d for d in release.objects() if d["kind"] not in CLUSTER_SCOPED]
    assert {d["metadata"].get("namespace") for d in docs} == {NAMESPACE}


# ---------------------------------------------------------------- the rendered templates ship verbatim
def test_every_file_is_shipped_exactly_once(release):
    with helm.Chart.load(CHART) as chart:
        files = {f["name"]: f["data"] for f in chart.files if f["name"].startswith("files/")}
    assert files, "the chart ships no files/"
    counts = {name: sum(text.count(data) for text in release.manifests.values()) for name, data in files.items()}
    assert all(n == 1 for n in counts.values()), f"files/ shipped twice or not at all: {counts}"


def test_templates_are_included_byte_identical(release, rendered):
    expected = {rel: text for rel, text in rendered.items() if rel.parts[0] == "charts"}
    for template in ("cluster-workflow-templates.yaml", "workflow-templates.yaml"):
        out = release.manifests[f"templates/{template}"]
        folder = template.removesuffix(".yaml")
        files = {rel: text for rel, text in expected.items() if rel.parent.name == folder}
        assert files and all(text in out for text in files.values()), f"{template} does not ship {folder} verbatim"
        assert len(release.objects(template)) == len(files)
    docs = release.objects("cluster-workflow-templates.yaml") + release.objects("workflow-templates.yaml")
    assert {f"{d['metadata']['name']}.yaml": d for d in docs} == {
        rel.name: yaml.safe_load(text) for rel, text in expected.items()
    }
    assert any("{{inputs.parameters" in json.dumps(d) for d in docs), (
        "Argo expressions must reach the cluster unchanged"
    )


# ---------------------------------------------------------------- names shared with the components
def test_environments_select_the_platform():
    assert {"kind", "dev", "prod"} <= set(ENVS)
    config = {env: helm_chart.render(env).values["config"] for env in ("kind", "dev", "prod")}
    assert config["kind"]["platform"] == "local", "kind: one cluster, the embedded platform"
    for env in ("dev", "prod"):  # two clusters: NeMo and NIM on the GPU cluster
        assert config[env]["platform"] == "nemo"
        assert all(config[env][k].startswith("http") for k in ("nemoUrl", "ndsUrl", "nimUrl"))


def test_config_map_carries_every_key_the_steps_read(release):
    (config,) = release.objects("configmap.yaml")
    assert config["metadata"]["name"] == CONFIG_MAP
    assert set(config["data"]) == {e.config_map_key for e in CONFIG_ENV}
    assert all(isinstance(v, str) for v in config["data"].values())
    assert config["data"]["platform"] == release.values["config"]["platform"]


def test_secret_is_named_and_documented_but_not_shipped(release):
    assert release.values["secret"]["name"] == SECRET
    assert release.values["secret"]["keys"] == {e.secret_key: e.name for e in SECRET_ENV}
    assert not any(d["kind"] == "Secret" for d in release.objects())


def test_memo_cache_is_the_one_the_components_use(release, docs):
    (cache,) = release.objects("memo-cache.yaml")
    assert cache["metadata"]["name"] == release.values["memoCache"]["name"] == CACHE_CONFIG_MAP
    assert cache["metadata"]["labels"]["workflows.argoproj.io/configmap-type"] == "Cache"
    caches = {
        t["memoize"]["cache"]["configMap"]["name"]
        for d in docs
        for t in d["spec"].get("templates", [])
        if "memoize" in t
    }
    assert caches == {CACHE_CONFIG_MAP}


def test_rbac_lets_the_executor_report_results(release):
    docs = {d["kind"]: d for d in release.objects("rbac.yaml")}
    name = release.values["serviceAccount"]["name"]
    assert docs["ServiceAccount"]["metadata"]["name"] == name
    assert {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]} in docs[
        "Role"
    ]["rules"]
    binding = docs["RoleBinding"]
    assert binding["roleRef"]["name"] == docs["Role"]["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_event_sender_may_only_list_bindings_read_the_pipeline_and_create_runs(enabled):
    release = helm_chart.render_values(None, {"events": {"enabled": enabled}})
    docs = {d["kind"]: d for d in release.objects("events-rbac.yaml")}
    if not enabled:
        assert docs == {}
        return
    name = release.values["events"]["serviceAccount"]
    assert docs["ServiceAccount"]["metadata"]["name"] == name == "llmops-events"
    assert docs["Role"]["rules"] == [
        {"apiGroups": ["argoproj.io"], "resources": ["workfloweventbindings"], "verbs": ["list"]},
        {"apiGroups": ["argoproj.io"], "resources": ["workflowtemplates"], "resourceNames": [NAME], "verbs": ["get"]},
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": ["create"]},
    ]
    binding = docs["RoleBinding"]
    assert binding["roleRef"]["name"] == docs["Role"]["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}]


def test_pipeline_runs_as_the_chart_service_account(docs):
    pipeline = next(d for d in docs if d["kind"] == "WorkflowTemplate" and d["metadata"]["name"] == NAME)
    assert pipeline["spec"].get("serviceAccountName") == helm_chart.render(None).values["serviceAccount"]["name"], (
        "set service_account_name on the WorkflowTemplate (workflows/pipeline.py): the namespace's default "
        "ServiceAccount may not create workflowtaskresults, so every step would fail to report its outputs"
    )


# ---------------------------------------------------------------- values of the upstream charts
def test_argo_workflows_values():
    values = _load(ROOT / "charts" / "values" / "argo-workflows.yaml")
    controller = values["controller"]
    assert {"argo", NAMESPACE} <= set(controller["workflowNamespaces"])
    assert controller["rbac"]["writeConfigMaps"] is True, "memoization needs the controller to write the cache"
    assert controller["workflowRestrictions"] == {"templateReferencing": "Strict"}
    assert values["server"]["authModes"] and set(values["server"]["authModes"]) <= {"server", "client", "sso"}
    assert values["crds"]["full"] is True


def test_mlflow_values_persist_runs_and_allow_the_in_cluster_host():
    values = _load(ROOT / "charts" / "values" / "mlflow.yaml")
    store = values["backendStore"]
    assert (
        any((store.get(db) or {}).get("enabled") for db in ("postgres", "mysql", "mssql"))
        or store.get("defaultSqlitePath", ":memory:") != ":memory:"
    ), "the chart's default backend store is in memory"
    for env in ENVS:
        host = urlparse(helm_chart.render(env).values["config"]["mlflowTrackingUri"]).netloc
        assert host in values["serverAllowedHosts"], f"{env}: MLflow would answer 403 to {host}"


NIM_OPERATOR_RULES = [
    {"apiGroups": ["apps.nvidia.com"], "resources": ["nimservices"], "verbs": ["get", "list", "create", "patch"]},
    {"apiGroups": ["apps.nvidia.com"], "resources": ["nimcaches"], "verbs": ["get", "create", "patch"]},
]


@pytest.mark.parametrize("enabled", [False, True])
def test_rbac_grants_the_nim_operator_verbs_only_when_enabled(enabled):
    release = helm_chart.render_values(None, {"nimOperator": {"enabled": enabled}})
    (role,) = [d for d in release.objects("rbac.yaml") if d["kind"] == "Role"]
    nim_rules = [r for r in role["rules"] if "apps.nvidia.com" in r["apiGroups"]]
    assert nim_rules == (NIM_OPERATOR_RULES if enabled else [])
    assert not any(verb in r["verbs"] for r in role["rules"] for verb in ("delete", "deletecollection", "*"))


def test_the_deployer_setting_reaches_the_steps():
    defaults = helm_chart.render(None).values
    (config,) = helm_chart.render_values(None, {"config": {"deployer": "nim-operator"}}).objects("configmap.yaml")
    assert config["data"]["deployer"] == "nim-operator"
    assert defaults["config"]["deployer"] == "nemo-deployment" and defaults["nimOperator"] == {"enabled": False}
    assert any(e.name == "LLMOPS_DEPLOYER" and e.config_map_key == "deployer" for e in CONFIG_ENV)
