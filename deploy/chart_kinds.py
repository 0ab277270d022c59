"""Render an upstream chart with the project's values and compare its kinds with charts/versions/*.yaml.

    python deploy/chart_kinds.py <release> <chart folder or .tgz> [--env dev]

The chart comes from wherever you can get it (`helm pull <repo>/<chart> --version <v>`; the NeMo chart needs
an NGC key). It is rendered with Helm's own engine (the helm-python-sdk package, no helm binary) using
charts/values/<release>.yaml and, with --env, argocd/env/<env>/charts/<release>.yaml. Prints the kinds
in the versions file's format and exits 1 when they differ from the release's `kinds` entry, whose
union is what the AppProjects whitelist.
"""

from __future__ import annotations

import argparse
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflows.gitops.inventory import group_of, release_values, versions  # noqa: E402 -- needs the repository on sys.path


def rendered_kinds(chart_path: Path, values: dict, release: str, namespace: str) -> dict[str, set[str]]:
    """Kinds by scope of what Argo CD syncs from the chart: templates (without Helm test hooks, as the
    ApplicationSets set skipTests) and crds/. A kind's scope: its CRD's when the chart ships one."""
    try:
        import helm_python as helm
    except ImportError:
        sys.exit("chart_kinds.py needs the helm-python-sdk package (pip install helm-python-sdk)")
    chart = helm.Chart.load(chart_path)
    docs = [
        d
        for name, text in chart.render(values, name=release, namespace=namespace, is_install=True).items()
        if name.endswith((".yaml", ".yml"))
        for d in yaml.safe_load_all(text)
        if d
    ]
    docs += [d for crd in chart.crds for d in yaml.safe_load_all(crd["data"]) if d]
    docs = [d for d in docs if "test" not in (d.get("metadata", {}).get("annotations") or {}).get("helm.sh/hook", "")]
    scopes = {
        (d["spec"]["group"], d["spec"]["names"]["kind"]): d["spec"]["scope"]
        for d in docs
        if d["kind"] == "CustomResourceDefinition"
    }
    found: dict[str, set[str]] = {"cluster": set(), "namespaced": set()}
    for doc in docs:
        group = group_of(doc.get("apiVersion", ""))
        text = f"{doc['kind']}.{group}" if group else doc["kind"]
        cluster_scoped = scopes.get((group, doc["kind"])) == "Cluster" or doc["kind"] in CLUSTER_SCOPED
        found["cluster" if cluster_scoped else "namespaced"].add(text)
    return found


CLUSTER_SCOPED = {  # built-in cluster-scoped kinds charts create
    "Namespace",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "StorageClass",
    "PersistentVolume",
    "IngressClass",
    "RuntimeClass",
    "APIService",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", help="a release of charts/versions/*.yaml, e.g. argo-workflows")
    parser.add_argument("chart", help="the chart at that version: a folder or a .tgz from `helm pull`")
    parser.add_argument("--env", help="also apply argocd/env/<env>/charts/<release>.yaml")
    args = parser.parse_args()
    entry = next((e for e in versions(ROOT) if e["release"] == args.release), None)
    if entry is None:
        sys.exit(f"no release {args.release!r} in charts/versions/*.yaml")
    values = release_values(args.release, args.env, ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.chart)
        if path.suffix == ".tgz":
            with tarfile.open(path) as archive:
                archive.extractall(tmp, filter="data")
            path = next(p.parent for p in Path(tmp).glob("*/Chart.yaml"))
        found = rendered_kinds(path, values, args.release, entry["namespace"])
    print(yaml.safe_dump({"kinds": {k: sorted(v) for k, v in found.items() if v}}, sort_keys=False), end="")
    declared = {scope: set(entry["kinds"].get(scope) or []) for scope in ("cluster", "namespaced")}
    if found != declared:
        print(f"differs from charts/versions/ for {args.release}: update its `kinds` and argocd/project.yaml")
        return 1
    print(f"{args.release}: matches charts/versions/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
