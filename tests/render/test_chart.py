"""The llmops Helm chart, checked without helm: a small renderer for the subset of the template
language the chart uses, so the file inclusion and the names shared with the components are tested."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest
import yaml

from components.common import CACHE_CONFIG_MAP, CONFIG_ENV, CONFIG_MAP, SECRET, SECRET_ENV
from workflows.manifest_checks import metadata_errors
from workflows.pipeline import NAME, NAMESPACE

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "llmops"
ENVS = sorted(p.parent.name for p in (ROOT / "argocd" / "env").glob("*/values.yaml"))
ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
GLOB_RANGE = re.compile(r'^range \$path, \$_ := \.Files\.Glob "([^"]+)"$')
IF_VALUE = re.compile(r"if \.Values((?:\.\w+)+)")


def _load(path: Path):
    return yaml.safe_load(path.read_text())


def _merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in (override or {}).items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _values(env: str | None = None) -> dict:
    values = _load(CHART / "values.yaml")
    return _merge(values, _load(ROOT / "argocd" / "env" / env / "values.yaml")) if env else values


def _chart_files() -> dict[str, str]:
    return {p.relative_to(CHART).as_posix(): p.read_text() for p in sorted((CHART / "files").rglob("*")) if p.is_file()}


def _glob(pattern: str, paths) -> list[str]:
    regex = re.compile("^" + ".*?".join(re.escape(part).replace(r"\*", "[^/]*") for part in pattern.split("**")) + "$")
    return sorted(p for p in paths if regex.match(p))


def helm_template(text: str, values: dict, files: dict[str, str]) -> str:
    """Render the template subset the chart uses: comments, `.Values.x.y [| quote]`, `if .Values.x.y`,
    `.Release/.Chart` fields, and `range $path, $_ := .Files.Glob "..."` with `$.Files.Get $path`.
    Anything else fails."""
    parts, pos = [], 0
    for m in ACTION.finditer(text):
        parts += [
            ["text", text[pos : m.start()].rstrip() if m.group(1) else text[pos : m.start()]],
            ["action", m.group(2), bool(m.group(3))],
        ]
        pos = m.end()
    parts.append(["text", text[pos:]])
    for i, part in enumerate(parts[:-1]):
        if part[0] == "action" and part[2]:
            parts[i + 1][1] = parts[i + 1][1].lstrip()
    chart = _load(CHART / "Chart.yaml")
    scalars = {
        ".Release.Service": "Helm",
        ".Release.Name": "llmops",
        ".Chart.Name": chart["name"],
        ".Chart.Version": chart["version"],
        ".Chart.AppVersion": chart["appVersion"],
    }

    def lookup(path: str):
        value = values
        for key in path.split(".")[1:]:
            value = value[key]
        return value

    def block_end(items: list, i: int) -> int:
        """The index after the `end` that closes the block opened just before `i`."""
        depth, j = 1, i
        while depth:
            word = items[j][1].split(" ")[0] if items[j][0] == "action" else ""
            depth += 1 if word in ("range", "if", "with") else -1 if word == "end" else 0
            j += 1
        return j

    def run(items: list, env: dict) -> str:
        out, i = [], 0
        while i < len(items):
            kind, body = items[i][0], items[i][1]
            i += 1
            if kind == "text":
                out.append(body)
            elif body.startswith("/*"):
                continue
            elif m := GLOB_RANGE.match(body):
                j = block_end(items, i)
                for path in _glob(m.group(1), files):
                    out.append(run(items[i : j - 1], {**env, "$path": path}))
                i = j
            elif m := IF_VALUE.fullmatch(body):
                j = block_end(items, i)
                if lookup(m.group(1)):
                    out.append(run(items[i : j - 1], env))
                i = j
            elif body == "$.Files.Get $path":
                out.append(files[env["$path"]])
            elif m := re.fullmatch(r"\.Values((?:\.\w+)+)(\s*\|\s*quote)?", body):
                value = lookup(m.group(1))
                out.append(json.dumps(str(value)) if m.group(2) else str(value))
            elif body in scalars:
                out.append(str(scalars[body]))
            else:
                raise AssertionError(
                    f"helm_template does not support {{{{ {body} }}}}; extend it or simplify the chart"
                )
        return "".join(out)

    return run(parts, {})


def _render(name: str, env: str | None = None, overrides: dict | None = None) -> list[dict]:
    values = _merge(_values(env), overrides or {})
    text = helm_template((CHART / "templates" / name).read_text(), values, _chart_files())
    return [d for d in yaml.safe_load_all(text) if d]


def test_chart_metadata():
    chart = _load(CHART / "Chart.yaml")
    assert (chart["apiVersion"], chart["name"], chart["version"], str(chart["appVersion"])) == (
        "v2",
        "llmops",
        "0.1.0",
        "0.1.0",
    )


@pytest.mark.parametrize("env", [None, *ENVS])
def test_values_match_the_values_schema(env):
    schema = json.loads((CHART / "values.schema.json").read_text())
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(_values(env))]
    assert errors == []


def test_environments_select_the_platform():
    assert {"kind", "dev", "prod"} <= set(ENVS)
    assert _values("kind")["config"]["platform"] == "local", "kind: one cluster, the embedded platform"
    for env in ("dev", "prod"):  # two clusters: NeMo and NIM on the GPU cluster
        config = _values(env)["config"]
        assert config["platform"] == "nemo"
        assert all(config[k].startswith("http") for k in ("nemoUrl", "ndsUrl", "nimUrl"))


def test_every_rendered_file_is_shipped_exactly_once():
    patterns = [
        m.group(1)
        for p in (CHART / "templates").glob("*.yaml")
        for m in re.finditer(r'\.Files\.Glob "([^"]+)"', p.read_text())
    ]
    files = _chart_files()
    matched = [path for pattern in patterns for path in _glob(pattern, files)]
    assert sorted(matched) == sorted(files), "a file under files/ is shipped twice or not at all"
    assert all(_glob(pattern, files) for pattern in patterns), "a Glob in templates/ matches nothing"


def test_templates_are_included_verbatim(rendered):
    expected = {rel.name: yaml.safe_load(text) for rel, text in rendered.items() if "charts" in rel.parts}
    docs = _render("cluster-workflow-templates.yaml") + _render("workflow-templates.yaml")
    assert {f"{d['metadata']['name']}.yaml": d for d in docs} == expected
    assert any("{{inputs.parameters" in json.dumps(d) for d in docs), (
        "Argo expressions must reach the cluster unchanged"
    )


@pytest.mark.parametrize("env", [None, *ENVS])
def test_config_map_carries_every_key_the_steps_read(env):
    (config,) = _render("configmap.yaml", env)
    assert config["metadata"]["name"] == CONFIG_MAP
    assert set(config["data"]) == {e.config_map_key for e in CONFIG_ENV}
    assert all(isinstance(v, str) for v in config["data"].values())
    assert config["data"]["platform"] == _values(env)["config"]["platform"]


def test_secret_is_named_and_documented_but_not_shipped():
    values = _values()
    assert values["secret"]["name"] == SECRET
    assert values["secret"]["keys"] == {e.secret_key: e.name for e in SECRET_ENV}
    assert not any(d["kind"] == "Secret" for p in (CHART / "templates").glob("*.yaml") for d in _render(p.name))


def test_memo_cache_is_the_one_the_components_use(docs):
    (cache,) = _render("memo-cache.yaml")
    assert cache["metadata"]["name"] == _values()["memoCache"]["name"] == CACHE_CONFIG_MAP
    assert cache["metadata"]["labels"]["workflows.argoproj.io/configmap-type"] == "Cache"
    caches = {
        t["memoize"]["cache"]["configMap"]["name"]
        for d in docs
        for t in d["spec"].get("templates", [])
        if "memoize" in t
    }
    assert caches == {CACHE_CONFIG_MAP}


def test_rbac_lets_the_executor_report_results():
    docs = {d["kind"]: d for d in _render("rbac.yaml")}
    name = _values()["serviceAccount"]["name"]
    assert docs["ServiceAccount"]["metadata"]["name"] == name
    assert {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"], "verbs": ["create", "patch"]} in docs[
        "Role"
    ]["rules"]
    binding = docs["RoleBinding"]
    assert binding["roleRef"]["name"] == docs["Role"]["metadata"]["name"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": NAMESPACE}]


def test_chart_objects_have_valid_metadata_in_the_pipeline_namespace():
    assert _values()["namespace"] == NAMESPACE
    docs = [d for name in ("configmap.yaml", "memo-cache.yaml", "rbac.yaml") for d in _render(name)]
    assert [e for d in docs for e in metadata_errors(d)] == []
    assert {d["metadata"]["namespace"] for d in docs} == {NAMESPACE}


def test_pipeline_runs_as_the_chart_service_account(docs):
    pipeline = next(d for d in docs if d["kind"] == "WorkflowTemplate" and d["metadata"]["name"] == NAME)
    assert pipeline["spec"].get("serviceAccountName") == _values()["serviceAccount"]["name"], (
        "set service_account_name on the WorkflowTemplate (workflows/pipeline.py): the namespace's default "
        "ServiceAccount may not create workflowtaskresults, so every step would fail to report its outputs"
    )


def test_argo_workflows_values():
    values = _load(ROOT / "charts" / "values" / "argo-workflows.yaml")
    controller = values["controller"]
    assert {"argo", NAMESPACE} <= set(controller["workflowNamespaces"])
    assert controller["rbac"]["writeConfigMaps"] is True, "memoization needs the controller to write the cache"
    assert values["server"]["authModes"] and set(values["server"]["authModes"]) <= {"server", "client", "sso"}
    assert values["crds"]["full"] is True and values["workflow"]["serviceAccount"]["name"]


def test_mlflow_values_persist_runs_and_allow_the_in_cluster_host():
    values = _load(ROOT / "charts" / "values" / "mlflow.yaml")
    store = values["backendStore"]
    assert (
        any((store.get(db) or {}).get("enabled") for db in ("postgres", "mysql", "mssql"))
        or store.get("defaultSqlitePath", ":memory:") != ":memory:"
    ), "the chart's default backend store is in memory"
    for env in ENVS:
        host = urlparse(_values(env)["config"]["mlflowTrackingUri"]).netloc
        assert host in values["serverAllowedHosts"], f"{env}: MLflow would answer 403 to {host}"


NIM_OPERATOR_RULES = [
    {"apiGroups": ["apps.nvidia.com"], "resources": ["nimservices"], "verbs": ["get", "list", "create", "patch"]},
    {"apiGroups": ["apps.nvidia.com"], "resources": ["nimcaches"], "verbs": ["get", "create", "patch"]},
]


@pytest.mark.parametrize("enabled", [False, True])
def test_rbac_grants_the_nim_operator_verbs_only_when_enabled(enabled):
    (role,) = [d for d in _render("rbac.yaml", overrides={"nimOperator": {"enabled": enabled}}) if d["kind"] == "Role"]
    nim_rules = [r for r in role["rules"] if "apps.nvidia.com" in r["apiGroups"]]
    assert nim_rules == (NIM_OPERATOR_RULES if enabled else [])
    assert not any(verb in r["verbs"] for r in role["rules"] for verb in ("delete", "deletecollection", "*"))


def test_the_deployer_setting_reaches_the_steps():
    (config,) = _render("configmap.yaml", overrides={"config": {"deployer": "nim-operator"}})
    assert config["data"]["deployer"] == "nim-operator"
    assert _values()["config"]["deployer"] == "nemo-deployment" and _values()["nimOperator"] == {"enabled": False}
    assert any(e.name == "LLMOPS_DEPLOYER" and e.config_map_key == "deployer" for e in CONFIG_ENV)
