"""The Kubernetes objects committed outside the rendered folders: the Argo CD manifests under argocd/."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def argocd_documents() -> list[tuple[Path, dict]]:
    """Every object under argocd/ with its file (a fresh copy per call); env/ holds Helm values, not objects."""
    out = []
    for path in sorted((ROOT / "argocd").rglob("*.yaml")):
        if "env" in path.relative_to(ROOT / "argocd").parts:
            continue  # Helm values of the llmops chart, not Kubernetes objects (see test_chart.py)
        out += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return out
