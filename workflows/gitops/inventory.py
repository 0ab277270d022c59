"""What the Argo CD setup under `argocd/` deploys: its objects, the Applications of every environment, and
the kinds, namespaces and repositories each Application syncs.

Kubernetes objects live in `argocd/*.yaml`, `argocd/apps/` and `argocd/env/<env>/nim/`; the rest of
`argocd/env/<env>/` is values (Helm values, the environment's clusters). The kinds of an app come from
what it points at: a folder's YAML documents; the llmops chart's templates and shipped files; an
upstream chart's entry in `charts/versions/*.yaml` (`kinds`, rendered from the chart at that version).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workflows.gitops.appsets import IN_CLUSTER, applications

ROOT = Path(__file__).resolve().parents[2]
REPO_URL = "https://github.com/llmops-gitops/llmops.git"  # every source of this repository names it
OWN_CHART = "charts/llmops"
VERSIONS = "charts/versions"
# Kinds this repository's own objects use that are cluster-scoped (everything else is namespaced).
CLUSTER_SCOPED = {("", "Namespace"), ("argoproj.io", "ClusterWorkflowTemplate")}
Kind = tuple[str, str]  # (API group, kind)


@dataclass
class Synced:
    """What one Application syncs: kinds by scope, (cluster, namespace) destinations, source repositories."""

    cluster_kinds: set[Kind] = field(default_factory=set)
    namespaced_kinds: set[Kind] = field(default_factory=set)
    destinations: set[tuple[str, str]] = field(default_factory=set)
    repos: set[str] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)  # sources whose content is not known offline


def layer_values(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """What Helm makes of `-f base -f override`: maps merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        both_maps = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = layer_values(out[key], value) if both_maps else value
    return out


def release_values(release: str, env: str | None = None, root: Path = ROOT) -> dict[str, Any]:
    """The values an upstream chart release gets, as Argo CD and `make cluster` pass them:
    charts/values/<release>.yaml, then argocd/env/<env>/charts/<release>.yaml when the environment has one."""
    values = yaml.safe_load((root / "charts" / "values" / f"{release}.yaml").read_text()) or {}
    env_file = root / "argocd" / "env" / str(env) / "charts" / f"{release}.yaml"
    if env and env_file.is_file():
        values = layer_values(values, yaml.safe_load(env_file.read_text()) or {})
    return values


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def parse_kind(text: str) -> Kind:
    """`Deployment.apps` -> ("apps", "Deployment"); `Service` -> ("", "Service")."""
    kind, _, group = text.partition(".")
    return group, kind


def documents(path: Path) -> list[dict[str, Any]]:
    """The YAML documents of a file, parsed once per version of the file (callers must not change them)."""
    return _parsed(str(path), path.stat().st_mtime_ns)


@functools.cache
def _parsed(path: str, mtime_ns: int) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [d for d in yaml.load_all(Path(path).read_text(), Loader=loader) if d]


def object_files(root: Path = ROOT) -> list[Path]:
    """The files under argocd/ that hold Kubernetes objects."""
    base = root / "argocd"
    return sorted([*base.glob("*.yaml"), *base.glob("apps/*.yaml"), *base.glob("env/*/nim/*.yaml")])


def environments(root: Path = ROOT) -> dict[str, list[dict[str, str]]]:
    """Each environment's declared clusters (`argocd/env/<env>/clusters.yaml`)."""
    return {p.parent.name: yaml.safe_load(p.read_text()) or [] for p in sorted(root.glob("argocd/env/*/clusters.yaml"))}


def versions(root: Path = ROOT) -> list[dict[str, Any]]:
    """Every upstream chart entry of charts/versions/*.yaml."""
    return [entry for p in sorted((root / VERSIONS).glob("*.yaml")) for entry in yaml.safe_load(p.read_text())]


def charts_by_version(root: Path = ROOT) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(e["repoURL"], e["chart"], str(e["version"])): e for e in versions(root)}


def apps_by_env(root: Path = ROOT) -> dict[str, list[dict[str, Any]]]:
    """Every Application each environment gets: the plain ones under argocd/ and the generated ones."""
    docs = [d for p in object_files(root) if "/env/" not in p.as_posix() for d in documents(p)]
    plain = [d for d in docs if d.get("kind") == "Application"]
    appsets = [d for d in docs if d.get("kind") == "ApplicationSet"]
    return {
        env: plain + [app for s in appsets for app in applications(s, env, clusters, root, REPO_URL)]
        for env, clusters in environments(root).items()
    }


def cluster_of(destination: dict[str, Any]) -> str:
    """The cluster a destination names; the in-cluster server and name are one cluster."""
    name = destination.get("name") or destination.get("server") or "?"
    return IN_CLUSTER[0] if name in IN_CLUSTER else name


TOP_LEVEL = re.compile(r"^(apiVersion|kind):\s*(\S+)\s*$", re.M)


@functools.cache
def own_chart_kinds(root: Path = ROOT) -> frozenset[Kind]:
    """The llmops chart: kinds of its templates' documents and of the manifests it ships from files/."""
    chart = root / OWN_CHART
    texts = [p.read_text() for p in sorted((chart / "templates").glob("*.yaml"))]
    texts += [p.read_text() for p in sorted((chart / "files").rglob("*.yaml"))]
    kinds: set[Kind] = set()
    for text in texts:
        for chunk in re.split(r"^---\s*$", text, flags=re.M):
            fields = {m.group(1): m.group(2) for m in TOP_LEVEL.finditer(chunk)}
            if "kind" in fields and "{{" not in fields["kind"]:
                kinds.add((group_of(fields.get("apiVersion", "")), fields["kind"]))
    return frozenset(kinds)


def _add(out: Synced, kind: Kind, scope: str | None = None) -> None:
    cluster = scope == "cluster" if scope else kind in CLUSTER_SCOPED
    (out.cluster_kinds if cluster else out.namespaced_kinds).add(kind)


def synced(app: dict[str, Any], root: Path = ROOT, charts: dict | None = None) -> Synced:
    """What `app` syncs, from its sources (`charts`: `charts_by_version`, read once by the caller)."""
    spec = app.get("spec") or {}
    cluster = cluster_of(spec.get("destination") or {})
    out = Synced(destinations={(cluster, (spec.get("destination") or {}).get("namespace", ""))})
    charts = charts if charts is not None else charts_by_version(root)
    for source in spec.get("sources") or [spec.get("source") or {}]:
        out.repos.add(source.get("repoURL", ""))
        if "ref" in source and not (source.get("chart") or source.get("path")):
            continue  # a values-only source
        if source.get("chart"):
            entry = charts.get((source["repoURL"], source["chart"], str(source.get("targetRevision"))))
            if entry is None:
                out.unknown.append(f"chart {source['chart']} {source.get('targetRevision')} not in {VERSIONS}/")
                continue
            for scope in ("cluster", "namespaced"):
                for text in (entry.get("kinds") or {}).get(scope) or []:
                    _add(out, parse_kind(text), scope)
            out.destinations |= {(cluster, ns) for ns in entry.get("alsoNamespaces") or []}
        elif source.get("path") == OWN_CHART:
            for kind in own_chart_kinds(root):
                _add(out, kind)
        elif source.get("plugin") is not None:
            # the Config Management Plugin renders run specs into Workflows
            _add(out, ("argoproj.io", "Workflow"))
        elif source.get("path") and (root / source["path"]).is_dir():
            for path in sorted((root / source["path"]).glob("*.yaml")):
                for doc in documents(path):
                    _add(out, (group_of(doc.get("apiVersion", "")), doc.get("kind", "?")))
                    namespace = (doc.get("metadata") or {}).get("namespace")
                    if namespace and (group_of(doc.get("apiVersion", "")), doc.get("kind")) not in CLUSTER_SCOPED:
                        out.destinations.add((cluster, namespace))
        else:
            out.unknown.append(f"source {source} points at nothing in this repository")
    return out
