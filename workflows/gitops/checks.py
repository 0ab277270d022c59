"""Offline checks of the Argo CD setup (`llmops lint` and tests/render/test_gitops.py run them).

- every object under argocd/ (Applications, ApplicationSets, AppProjects, the NIMCache and NIMService) and
  every Application the ApplicationSets generate passes its CRD schema with unknown fields rejected;
- each AppProject allows exactly what its Applications sync: kinds by scope, destinations, repositories;
- environments: dev and prod differ only in values (same files, same keys); every values file of an
  environment belongs to an app it gets; every path and values file an app names exists.
Each problem is one line naming the file or app and what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from workflows import manifest_checks
from workflows.gitops import inventory
from workflows.gitops.appsets import PLACEHOLDER, AppSetError

CORE_KINDS = {"Namespace"}  # plain Kubernetes objects under argocd/: metadata checks only
PARITY = ("dev", "prod")  # environments that must differ only in values


def _label(app: dict[str, Any], env: str) -> str:
    return f"[{env}] Application/{app['metadata'].get('name', '?')}"


def schema_problems(schemas: dict[str, dict], root: Path = inventory.ROOT) -> list[str]:
    problems = []
    for path in inventory.object_files(root):
        for doc in inventory.documents(path):
            where = path.relative_to(root)
            kind = doc.get("kind")
            if kind not in schemas and kind not in CORE_KINDS:
                problems.append(f"{where}: no schema for kind {kind!r}")
                continue
            found = manifest_checks.metadata_errors(doc)
            found += manifest_checks.schema_errors(doc, schemas[kind]) if kind in schemas else []
            problems += [f"{where}: {p}" for p in found]
    for env, apps in inventory.apps_by_env(root).items():
        for app in apps:
            problems += [f"[{env}] {p}" for p in manifest_checks.schema_errors(app, schemas["Application"])]
            problems += [f"[{env}] {p}" for p in manifest_checks.metadata_errors(app)]
    return problems


def _whitelist(project: dict[str, Any], key: str) -> set[inventory.Kind]:
    return {(entry.get("group", ""), entry["kind"]) for entry in project.get(key) or []}


def _shown(kinds: set[inventory.Kind]) -> list[str]:
    return sorted(f"{kind}.{group}" if group else kind for group, kind in kinds)


def project_problems(root: Path = inventory.ROOT) -> list[str]:
    """Every app fits its project, and every project allows nothing its apps do not sync."""
    docs = [d for p in inventory.object_files(root) for d in inventory.documents(p)]
    projects = {d["metadata"]["name"]: d.get("spec") or {} for d in docs if d.get("kind") == "AppProject"}
    wanted = {name: inventory.Synced() for name in projects}
    problems, charts = [], inventory.charts_by_version(root)
    for env, apps in inventory.apps_by_env(root).items():
        names = [a["metadata"]["name"] for a in apps]
        problems += [f"[{env}] two Applications named {n}" for n in sorted({n for n in names if names.count(n) > 1})]
        for app in apps:
            label, spec = _label(app, env), app.get("spec") or {}
            leftover = sorted(set(PLACEHOLDER.findall(json.dumps(app))))
            if leftover:
                problems.append(f"{label}: unfilled template parameters {leftover}")
            if spec.get("project") not in projects:
                problems.append(f"{label}: project {spec.get('project')!r} is not in argocd/project.yaml")
                continue
            got = inventory.synced(app, root, charts)
            problems += [f"{label}: {u}" for u in got.unknown]
            problems += _missing_files(app, label, root)
            total = wanted[spec["project"]]
            total.cluster_kinds |= got.cluster_kinds
            total.namespaced_kinds |= got.namespaced_kinds
            total.destinations |= got.destinations
            total.repos |= got.repos
    for name, project in projects.items():
        want, where = wanted[name], f"AppProject/{name}"
        for key, synced in (
            ("clusterResourceWhitelist", want.cluster_kinds),
            ("namespaceResourceWhitelist", want.namespaced_kinds),
        ):
            allowed = _whitelist(project, key)
            if allowed - synced:
                problems.append(f"{where}: {key} allows {_shown(allowed - synced)}, which no app syncs; remove them")
            if synced - allowed:
                problems.append(f"{where}: apps sync {_shown(synced - allowed)}, missing from {key}")
        allowed_dest = {(inventory.cluster_of(d), d.get("namespace", "")) for d in project.get("destinations") or []}
        if allowed_dest != want.destinations:
            problems.append(
                f"{where}: destinations should be exactly {sorted(want.destinations)} (cluster, namespace); "
                f"extra {sorted(allowed_dest - want.destinations)}, missing {sorted(want.destinations - allowed_dest)}"
            )
        if set(project.get("sourceRepos") or []) != want.repos:
            problems.append(f"{where}: sourceRepos should be exactly {sorted(want.repos)}")
    return problems


def _missing_files(app: dict[str, Any], label: str, root: Path) -> list[str]:
    """Paths and (required) values files of this repository that an app names but that do not exist."""
    problems = []
    for source in (app.get("spec") or {}).get("sources") or [(app.get("spec") or {}).get("source") or {}]:
        path = source.get("path")
        if source.get("repoURL") == inventory.REPO_URL and path and not (root / path).is_dir():
            problems.append(f"{label}: path {source['path']} does not exist")
        helm = source.get("helm") or {}
        for values in helm.get("valueFiles") or []:
            file = root / values.removeprefix("$values/") if values.startswith("$values/") else None
            file = file or root / source.get("path", "") / values
            if not file.resolve().is_file() and not helm.get("ignoreMissingValueFiles"):
                problems.append(f"{label}: values file {values} does not exist")
    return problems


def _shape(node: Any) -> Any:
    """A document with every scalar replaced by its type: two files of the same shape differ only in values."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return type(node).__name__


def environment_problems(root: Path = inventory.ROOT) -> list[str]:
    base = root / "argocd" / "env"
    problems = []
    files = {env: {p.relative_to(base / env) for p in (base / env).rglob("*.yaml")} for env in PARITY}
    first, second = PARITY
    if files[first] != files[second]:
        problems.append(
            f"argocd/env: {first} and {second} must have the same files; differ in "
            f"{sorted(str(p) for p in files[first] ^ files[second])}"
        )
    for rel in sorted(files[first] & files[second]):
        shapes = [[_shape(d) for d in yaml.safe_load_all((base / env / rel).read_text())] for env in PARITY]
        if shapes[0] != shapes[1]:
            problems.append(f"argocd/env/{{{first},{second}}}/{rel}: differ in structure, not only in values")
    try:
        apps = inventory.apps_by_env(root)
    except AppSetError as exc:
        return [*problems, f"argocd/apps: {exc}"]
    for env, env_apps in apps.items():
        releases = {a["metadata"]["name"] for a in env_apps}
        for path in sorted((base / env / "charts").glob("*.yaml")):
            if path.stem not in releases:
                problems.append(f"argocd/env/{env}/charts/{path.name}: no app {path.stem} in {env} reads it")
    return problems


def gitops_problems(schemas: dict[str, dict] | None, root: Path = inventory.ROOT) -> list[str]:
    """All of the above (the schema checks only with schemas)."""
    try:
        problems = project_problems(root) + environment_problems(root)
    except AppSetError as exc:
        return [f"argocd/apps: {exc}"]
    return problems + (schema_problems(schemas, root) if schemas is not None else [])
