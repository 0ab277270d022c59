"""Offline checks of rendered manifests: strict CRD schemas and metadata (Argo cross-references: `reference_checks`).

Pure functions over manifest dicts (only `load_schemas` reads files), shared by the render tests and
the lint command. Every problem is one line: `<kind>/<name>: <where>: <what is wrong and what to do>`.
The API server prunes unknown fields instead of rejecting them, so the strict schemas are what catches a
misspelt field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from workflows.argo.templates import MANIFEST_KINDS, manifest_label

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
# Name limits of Argo's kinds (its Workflow names are label values); a CronWorkflow's Workflows append
# `-<unix time>` to its name, so Argo refuses a CronWorkflow name over 52 characters.
NAME_LIMITS = {**dict.fromkeys(MANIFEST_KINDS, 63), "CronWorkflow": 52, "WorkflowEventBinding": 63}


# ---------------------------------------------------------------- schemas and metadata
def strict_schema(schema: dict) -> dict:
    """A copy of a CRD openAPIV3Schema that rejects unknown fields (the API server would prune them)."""

    def walk(node):
        if not isinstance(node, dict):
            return node
        out = dict(node)
        if isinstance(node.get("properties"), dict):
            out["properties"] = {k: walk(v) for k, v in node["properties"].items()}
            if "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                out["additionalProperties"] = False
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                out[key] = walk(node[key])
        for key in ("anyOf", "allOf", "oneOf"):
            if isinstance(node.get(key), list):
                out[key] = [walk(v) for v in node[key]]
        if node.get("x-kubernetes-int-or-string") and "anyOf" not in node and "type" not in node:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        return out

    return walk(schema)


def load_schemas(schema_dir: Path, strict: bool = True) -> dict[str, dict]:
    """CRD schemas keyed by kind, from a folder with `index.json` (file -> kind, apiVersion)."""
    index = json.loads((Path(schema_dir) / "index.json").read_text())
    schemas = {}
    for filename, entry in index.items():
        schema = json.loads((Path(schema_dir) / filename).read_text())
        schemas[entry["kind"]] = strict_schema(schema) if strict else schema
    return schemas


def schema_errors(doc: dict, schema: dict) -> list[str]:
    """Violations of `schema` (pass a `strict_schema`), each as `<kind>/<name>: <json path>: <message>`."""
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{manifest_label(doc)}: {e.json_path}: {e.message}" for e in errors]


def _label_errors(where: str, mapping, check_values: bool) -> list[str]:
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        return [f"{where}: must be a mapping of strings"]
    errors = []
    for key, value in mapping.items():
        prefix, _, name = str(key).rpartition("/")
        if (
            (prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)))
            or len(name) > 63
            or not LABEL_NAME.match(name)
        ):
            errors.append(f"{where}: key {key!r} is not a valid qualified name ([prefix/]name, name <= 63 chars)")
        if not isinstance(value, str):
            errors.append(f"{where}: value of {key!r} must be a string (quote it in YAML), got {value!r}")
        elif check_values and value and (len(value) > 63 or not LABEL_NAME.match(value)):
            errors.append(
                f"{where}: value {value!r} of {key!r} is not a valid label value (<= 63 chars, alphanumeric ends)"
            )
    return errors


def metadata_errors(doc: dict) -> list[str]:
    """Name present and DNS-1123 (<= 63 chars for Argo workflow kinds, 52 for a CronWorkflow), namespace, labels,
    annotations."""
    meta, label = doc.get("metadata") or {}, manifest_label(doc)
    name, errors = meta.get("name"), []
    if not name:
        hint = " (generateName cannot be applied by Argo CD; render a fixed name)" if meta.get("generateName") else ""
        errors.append(f"{label}: metadata.name is missing{hint}")
    else:
        limit = NAME_LIMITS.get(str(doc.get("kind")), 253)
        if len(name) > limit or not DNS_SUBDOMAIN.match(name):
            errors.append(
                f"{label}: metadata.name {name!r} must be a DNS-1123 subdomain of at most {limit} characters "
                "(lowercase alphanumerics, '-' and '.')"
            )
    namespace = meta.get("namespace")
    if namespace is not None and (len(namespace) > 63 or not DNS_LABEL.match(namespace)):
        errors.append(f"{label}: metadata.namespace {namespace!r} is not a DNS-1123 label")
    if namespace and doc.get("kind") == "ClusterWorkflowTemplate":
        errors.append(f"{label}: a ClusterWorkflowTemplate is cluster-scoped; remove metadata.namespace")
    errors += _label_errors(f"{label}: metadata.labels", meta.get("labels"), check_values=True)
    errors += _label_errors(f"{label}: metadata.annotations", meta.get("annotations"), check_values=False)
    return errors
