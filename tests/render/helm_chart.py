"""The llmops chart rendered and linted by Helm itself.

`helm-python-sdk` binds Helm v4's Go SDK (`libhelm_c`, inside the wheel; wheels for Linux x86_64/aarch64 with
glibc >= 2.28, macOS arm64 and Windows x64; the library needs only the C library), so no helm binary is needed.
A render is what `helm template llmops charts/llmops -f <values>` prints: the Argo CD Application's release name,
an environment's values file on top of the chart's defaults, NOTES.txt and `_*.tpl` partials left out of the
manifests (Helm keeps them apart too).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "llmops"
RELEASE = "llmops"  # argocd/apps/llmops-templates.yaml helm.releaseName
ENVS = sorted(p.parent.name for p in (ROOT / "argocd" / "env").glob("*/values.yaml"))
VALUE_SETS = [None, *ENVS]  # None: the chart's default values


@dataclass(frozen=True)
class Release:
    env: str | None
    values: dict  # Helm's coalesced values (chart defaults + the environment's file)
    manifests: dict[str, str]  # template path (templates/...) -> rendered text
    notes: str
    parsed: dict[str, list[dict]]  # template path -> its objects (read through `objects`)

    def objects(self, template: str | None = None) -> list[dict]:
        """Fresh copies of the rendered objects, in template order; only those of `templates/<template>` when given."""
        return copy.deepcopy(
            [
                doc
                for path, docs in self.parsed.items()
                if template is None or path == f"templates/{template}"
                for doc in docs
            ]
        )


def env_values(env: str | None) -> dict:
    """The values file of an environment (argocd/env/<env>/values.yaml); {} for the chart's defaults."""
    if env is None:
        return {}
    return yaml.safe_load((ROOT / "argocd" / "env" / env / "values.yaml").read_text()) or {}


@functools.cache
def render(env: str | None) -> Release:
    """The release of a values set, rendered once per session (`objects()` hands out fresh copies)."""
    return render_values(env, env_values(env))


def render_values(env: str | None, values: dict) -> Release:
    """The release of explicit values on top of the chart's defaults (`env` only labels it)."""
    with helm.Chart.load(CHART) as chart:
        rendered = chart.render(values, name=RELEASE, is_install=True)
        merged = chart.merge_values(values)
        prefix = f"{chart.name}/"  # Helm names rendered files <chart>/templates/...
    manifests, notes = {}, ""
    for path, text in sorted(rendered.items()):
        rel = path.removeprefix(prefix)
        if rel.endswith("NOTES.txt"):
            notes = text
        elif not Path(rel).name.startswith("_") and text.strip():
            manifests[rel] = text
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    parsed = {path: [doc for doc in yaml.load_all(text, Loader=loader) if doc] for path, text in manifests.items()}
    return Release(env, merged, manifests, notes, parsed)


def lint(env: str | None, kube_version: str) -> dict:
    """`helm lint --strict --kube-version <v> [-f <values>]`: {"messages": [{"severity", "path", "error"}], ...}."""
    return helm.lint(CHART, env_values(env) or None, strict=True, kube_version=f"v{kube_version}")
