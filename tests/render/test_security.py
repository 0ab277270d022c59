"""Locked down (docs/security.md): step pods run as the image's non-root user on a read-only root filesystem with
no capabilities and no privilege escalation, writing only to mounted volumes; every run Workflow is one the
controller accepts under `templateReferencing: Strict`; the chart grants only the RBAC verbs the document lists
with their reasons; and no rendered or committed object carries a secret-looking literal."""

from __future__ import annotations

import re

import pytest

from components.common import STEP_UID, TMP_DIR, WORKSPACE_DIR, WORKSPACE_VOLUME
from tests.render.helm_chart import ROOT
from tests.render.repo_manifests import argocd_documents
from workflows.security_checks import reference_mode_errors, secret_literal_errors, secret_named

SECURITY_DOC = ROOT / "docs" / "security.md"
WRITABLE_ENV = {"LLMOPS_WORKSPACE": WORKSPACE_DIR, "XDG_CACHE_HOME": f"{TMP_DIR}/.cache"}


def _script_templates(docs: list[dict]):
    for doc in docs:
        for t in doc["spec"].get("templates", []) if doc["kind"] != "Workflow" else []:
            if "script" in t or "container" in t:
                yield f"{doc['metadata']['name']}/{t['name']}", t


def _under(path: str, mounts: set[str]) -> bool:
    return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts)


# ---------------------------------------------------------------- pod security
def test_every_step_pod_runs_locked_down(docs):
    templates = list(_script_templates(docs))
    assert len(templates) >= 10
    problems = []
    for where, t in templates:
        pod = t.get("securityContext") or {}
        container = (t.get("script") or t.get("container"))["securityContext"]
        expected_pod = {
            "runAsNonRoot": True,
            "runAsUser": STEP_UID,
            "runAsGroup": STEP_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        }
        if {k: pod.get(k) for k in expected_pod} != expected_pod:
            problems.append(f"{where}: pod securityContext {pod}")
        if (
            container.get("allowPrivilegeEscalation") is not False
            or container.get("capabilities") != {"drop": ["ALL"]}
            or container.get("readOnlyRootFilesystem") is not True
            or container.get("privileged")
        ):
            problems.append(f"{where}: container securityContext {container}")
    assert problems == [], "\n".join(problems)


def test_steps_write_only_to_mounted_scratch(docs):
    """With a read-only root filesystem, every path a step is told to write must be a mounted volume."""
    problems = []
    for where, t in _script_templates(docs):
        body = t.get("script") or t.get("container")
        volumes = {v["name"]: v for v in t.get("volumes") or []}
        mounts = {m["mountPath"]: m["name"] for m in body.get("volumeMounts") or []}
        env = {e["name"]: e.get("value") for e in body.get("env") or []}
        problems += [
            f"{where}: volume {n} is not an emptyDir" for n, v in volumes.items() if set(v) != {"name", "emptyDir"}
        ]
        # `workspace` is the one Workflow-level volume: each cluster defines it (tests/render/test_workspace_volume.py)
        problems += [
            f"{where}: mount {p} names no volume {n}"
            for p, n in mounts.items()
            if n not in volumes and n != WORKSPACE_VOLUME
        ]
        if TMP_DIR not in mounts:
            problems.append(f"{where}: {TMP_DIR} is not mounted (tempfile and Hera's outputs write there)")
        problems += [
            f"{where}: env {k}={env.get(k)!r}, expected {v}" for k, v in WRITABLE_ENV.items() if env.get(k) != v
        ]
        paths = [v for v in env.values() if isinstance(v, str) and v.startswith("/")]
        paths += [
            p["valueFrom"]["path"]
            for p in (t.get("outputs") or {}).get("parameters", [])
            if "path" in p.get("valueFrom", {})
        ]
        problems += [f"{where}: {p} is on the read-only root filesystem" for p in paths if not _under(p, set(mounts))]
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------- templateReferencing: Strict
def test_run_workflows_are_accepted_under_strict_referencing(docs):
    """The runs, and the Workflows the flywheels' CronWorkflows and event bindings create."""
    runs = [d for d in docs if d["kind"] in ("Workflow", "CronWorkflow", "WorkflowEventBinding")]
    assert {d["kind"] for d in runs} == {"Workflow", "CronWorkflow", "WorkflowEventBinding"}
    errors = [e for d in runs for e in reference_mode_errors(d)]
    assert errors == [], "\n".join(errors)


def test_strict_check_catches_inline_and_overriding_workflows(docs):
    run = next(d for d in docs if d["kind"] == "Workflow")
    run["spec"]["serviceAccountName"] = "default"
    run["spec"]["podSpecPatch"] = "{}"
    errors = reference_mode_errors(run)
    assert any("$.spec.serviceAccountName: not allowed" in e for e in errors)
    assert any("$.spec.podSpecPatch: not allowed" in e for e in errors)
    inline = {"kind": "Workflow", "metadata": {"name": "x"}, "spec": {"entrypoint": "main", "templates": []}}
    assert any("workflowTemplateRef: missing" in e for e in reference_mode_errors(inline))


# ---------------------------------------------------------------- RBAC: every verb documented
def _documented_grants() -> set[tuple[str, str, str]]:
    """Rows `| api group | resource | verb | reason |` of docs/security.md (backticks and "core" allowed)."""
    grants = set()
    for line in SECURITY_DOC.read_text().splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[3] and re.fullmatch(r"[a-z]+", cells[2]) and "/" not in cells[0]:
            grants.add(("" if cells[0] in ("core", '""') else cells[0], cells[1], cells[2]))
    return grants


def test_chart_grants_only_documented_verbs(release):
    documented = _documented_grants()
    assert ("argoproj.io", "workflowtaskresults", "create") in documented
    problems = []
    for role in (d for d in release.objects() if d["kind"] in ("Role", "ClusterRole")):
        for rule in role.get("rules", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        if "*" in (group, resource, verb):
                            problems.append(f"{role['metadata']['name']}: wildcard in {rule}")
                        elif (group, resource, verb) not in documented:
                            problems.append(f"{role['metadata']['name']}: {group or 'core'} {resource} {verb}")
    assert problems == [], (
        f"grants missing from {SECURITY_DOC.relative_to(ROOT)} (add a row with the reason): {problems}"
    )


# ---------------------------------------------------------------- no secret literals
def test_chart_output_carries_no_secret_literals(release):
    errors = [e for d in release.objects() for e in secret_literal_errors(d)]
    assert errors == [], "\n".join(errors)


def test_rendered_runs_and_argocd_manifests_carry_no_secret_literals(docs):
    objects = docs + [doc for _, doc in argocd_documents()]
    errors = [e for d in objects for e in secret_literal_errors(d)]
    assert errors == [], "\n".join(errors)


def _env_pod(env: list[dict]) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"env": env}]}}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_env_pod([{"name": "NGC_API_KEY", "value": "abc"}]), "env NGC_API_KEY has a literal value"),
        (_env_pod([{"name": "db_password", "value": "hunter2"}]), "env db_password has a literal value"),
        (
            _env_pod([{"name": "HF_TOKEN", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}]),
            "env HF_TOKEN is not read from a Secret",
        ),
        (
            _env_pod([{"name": "URL", "value": "https://x/?k=nvapi-" + "a1B2" * 12}]),
            "looks like a credential (nvapi-a1",
        ),
        (
            {
                "kind": "Workflow",
                "metadata": {"name": "w"},
                "spec": {"arguments": {"parameters": [{"name": "judge", "value": "sk-" + "Ab9" * 10}]}},
            },
            "$.spec.arguments.parameters[0].value: looks like a credential",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s"},
                "data": {"token": "bnZhcGktMTIzNDU2Nzg5MGFiY2RlZg=="},
            },
            "$.data.token: a token in a Secret in git",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "s"},
                "stringData": {"key": "0123456789abcdef0123"},
            },
            "$.stringData.key: a token in a Secret in git",
        ),
        (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"judge-api-key": "x"}},
            "$.data.judge-api-key: a secret-named key with a value in a ConfigMap",
        ),
        (
            {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"key.pem": "-----BEGIN RSA PRIVATE KEY-----\n"}},
            "looks like a credential",
        ),
    ],
)
def test_secret_detector_catches_literals(doc, message):
    errors = secret_literal_errors(doc)
    assert any(message in e for e in errors), errors


def test_secret_detector_accepts_references_and_lookalikes(docs):
    ok = _env_pod(
        [
            {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "llmops-secrets", "key": "ngc-api-key"}}},
            {"name": "HF_TOKEN", "value": ""},
            {"name": "TOKENIZERS_PARALLELISM", "value": "false"},
            {"name": "MODEL", "value": "task-" + "a" * 30},  # "sk-" inside a word is not a key
        ]
    )
    assert secret_literal_errors(ok) == []
    assert all(secret_literal_errors(d) == [] for d in docs)  # the spec hash (64 hex) of a run is no token
    assert secret_named("MLFLOW_TRACKING_TOKEN") and secret_named("judge-api-key") and not secret_named("max_tokens")
