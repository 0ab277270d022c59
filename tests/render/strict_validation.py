"""One strict validator for every Kubernetes object the repository ships or renders.

- custom resources (Argo Workflows, Argo CD, NIM Operator kinds): their CRD schemas from ../shared/schemas with
  unknown fields rejected (`workflows.manifest_checks.strict_schema`);
- core kinds (ConfigMap, ServiceAccount, Role, Namespace, ...): Kubernetes' own OpenAPI schemas for a pinned
  version, in kubernetes-validate's strict variant (unknown fields rejected);
- both: metadata (DNS-1123 names, label keys and values; `manifest_checks.metadata_errors`).
"""

from __future__ import annotations

import kubernetes_validate

from workflows.argo.templates import manifest_label
from workflows.manifest_checks import metadata_errors, schema_errors

# The Kubernetes version the manifests are checked against (core schemas and `helm lint --kube-version`).
KUBERNETES_VERSION = "1.34.0"


def is_custom(doc: dict) -> bool:
    """A custom resource: its API group is not Kubernetes' own (no dot, or *.k8s.io)."""
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    return bool(group) and "." in group and not group.endswith(".k8s.io")


def core_errors(doc: dict) -> list[str]:
    """Strict Kubernetes schema and metadata problems of a core object."""
    label = manifest_label(doc)
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{label}: {e.json_path}: {e.message}", *metadata_errors(doc)]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [f"{label}: {e.message}"]
    return metadata_errors(doc)


def custom_errors(doc: dict, schemas: dict[str, dict]) -> list[str]:
    """Strict CRD schema and metadata problems of a custom resource (schemas: `manifest_checks.load_schemas`)."""
    if doc.get("kind") not in schemas:
        return [f"{manifest_label(doc)}: no CRD schema for {doc.get('apiVersion')} {doc.get('kind')} in ../shared"]
    return schema_errors(doc, schemas[doc["kind"]]) + metadata_errors(doc)


def object_errors(doc: dict, schemas: dict[str, dict]) -> list[str]:
    return custom_errors(doc, schemas) if is_custom(doc) else core_errors(doc)
