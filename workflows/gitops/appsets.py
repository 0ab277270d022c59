"""The Applications an ApplicationSet generates for one environment, computed offline.

The generators this repository uses, with the parameter rules of Argo CD's ApplicationSet controller in
its default (non-Go-template) mode:
- `clusters` with `selector.matchLabels`: one parameter set per matching cluster Secret: `name`,
  `nameNormalized`, `server`, `project`, `metadata.labels.<key>`, `metadata.annotations.<key>`;
- `git` `files` of this repository: a YAML file holding a list gives one set per element (a mapping:
  one set), its keys flattened with dots, plus `path`, `path.basename`, `path.filename`, ...;
- `list` `elements`; `matrix` of two generators: every pair, merged (a key both define must agree).
Templates are filled by replacing `{{ key }}` in every string. The clusters are those the environment
declares in `argocd/env/<env>/clusters.yaml` (name, role): at bootstrap each becomes a cluster Secret
labelled `llmops-env=<env>`, `llmops-role=<role>` (docs/deploy.md). Anything else raises `AppSetError`.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from steps.errors import InvalidInputError

IN_CLUSTER = ("in-cluster", "https://kubernetes.default.svc")
PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
Params = dict[str, str]


class AppSetError(InvalidInputError):
    """An ApplicationSet uses what this offline expansion does not know, or its parameters clash."""


def cluster_params(env: str, cluster: dict[str, str]) -> Params:
    """The parameters the clusters generator gives for a declared cluster of `env`."""
    name = cluster["name"]
    labels = {"argocd.argoproj.io/secret-type": "cluster", "llmops-env": env, "llmops-role": cluster["role"]}
    server = IN_CLUSTER[1] if name == IN_CLUSTER[0] else f"https://{name}.{env}.cluster.invalid"
    params = {"name": name, "nameNormalized": name, "server": server, "project": ""}
    return params | {f"metadata.labels.{k}": v for k, v in labels.items()}


def flatten(value: Any, prefix: str = "") -> Params:
    """Nested mappings and lists as dotted keys (`a.b`, `a.0`), values as text (Go's `%v`)."""
    items: list[tuple[Any, Any]]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return {prefix: text}
    out: Params = {}
    for key, child in items:
        out |= flatten(child, f"{prefix}.{key}" if prefix else str(key))
    return out


def _git_files(generator: dict[str, Any], root: Path, repo_url: str) -> list[Params]:
    if generator.get("repoURL") != repo_url or generator.get("directories"):
        raise AppSetError(f"git generator: only `files` of {repo_url} are expanded offline, got {generator}")
    out = []
    for entry in generator.get("files") or []:
        for path in sorted(root.glob(entry["path"])):
            content = yaml.safe_load(path.read_text())
            rel = PurePosixPath(path.relative_to(root).as_posix())
            extra = {
                "path": str(rel.parent),
                "path.basename": rel.parent.name,
                "path.filename": rel.name,
                "path.basenameNormalized": rel.parent.name,
                "path.filenameNormalized": rel.name,
            }
            for element in content if isinstance(content, list) else [content or {}]:
                out.append(flatten(element) | extra)
    return out


def _merge(a: Params, b: Params) -> Params:
    clash = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
    if clash:
        raise AppSetError(f"matrix generators both set {clash} to different values; rename one")
    return a | b


def generate(generator: dict[str, Any], clusters: list[Params], root: Path, repo_url: str) -> list[Params]:
    """The parameter sets of one generator."""
    kinds = sorted(k for k in generator if k != "selector")
    if generator.get("selector") or len(kinds) != 1:
        raise AppSetError(f"generator {kinds}: one generator per entry, without a post-selector")
    kind, spec = kinds[0], generator[kinds[0]] or {}
    if kind == "clusters":
        selector = spec.get("selector") or {}
        if set(selector) - {"matchLabels"}:
            raise AppSetError(f"clusters generator: only selector.matchLabels is expanded offline, got {selector}")
        wanted = selector.get("matchLabels") or {}
        return [c for c in clusters if all(c.get(f"metadata.labels.{k}") == v for k, v in wanted.items())]
    if kind == "list":
        return [flatten(element) for element in spec.get("elements") or []]
    if kind == "git":
        return _git_files(spec, root, repo_url)
    if kind == "matrix":
        children = spec.get("generators") or []
        if len(children) != 2:
            raise AppSetError("a matrix generator takes exactly two generators")
        left, right = (generate(child, clusters, root, repo_url) for child in children)
        return [_merge(a, b) for a in left for b in right]
    raise AppSetError(f"{kind} generator: not expanded offline (clusters, git files, list, matrix are)")


def fill(node: Any, params: Params) -> Any:
    """The template with `{{ key }}` replaced; unknown keys stay as written (as Argo CD leaves them)."""
    if isinstance(node, dict):
        return {fill(k, params): fill(v, params) for k, v in node.items()}
    if isinstance(node, list):
        return [fill(v, params) for v in node]
    if isinstance(node, str):
        return PLACEHOLDER.sub(lambda m: params.get(m.group(1).strip(), m.group(0)), node)
    return node


def applications(appset: dict[str, Any], env: str, clusters: list[dict[str, str]], root: Path, repo_url: str):
    """The Application manifests `appset` generates in environment `env` with these declared clusters."""
    spec = appset.get("spec") or {}
    if spec.get("goTemplate") or spec.get("templatePatch"):
        raise AppSetError(f"{appset['metadata']['name']}: goTemplate/templatePatch are not expanded offline")
    declared = [cluster_params(env, c) for c in clusters]
    params = [p for g in spec.get("generators") or [] for p in generate(g, declared, root, repo_url)]
    out = []
    for p in params:
        app = fill(copy.deepcopy(spec["template"]), p)
        metadata = {"namespace": appset["metadata"].get("namespace", "argocd"), **app.get("metadata", {})}
        out.append({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **app, "metadata": metadata})
    return out
