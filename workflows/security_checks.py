"""Offline checks that keep a cluster locked down (docs/security.md), over manifest dicts.

- `secret_literal_errors`: a manifest carries a secret-looking literal instead of a reference: an env var named
  like a secret (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`) with a `value:` or not read from a `secretKeyRef`,
  a string shaped like a credential (`nvapi-...`, `sk-...`, `hf_...`, `AKIA...`, a private key, a JWT), a
  ConfigMap key named like a secret with a value, or a Secret whose data holds a token;
- `reference_mode_errors`: a Workflow the controller would refuse under `templateReferencing: Strict` (it must
  reference a WorkflowTemplate and set only the fields a referencing Workflow may override); the same of the
  Workflow a CronWorkflow (`spec.workflowSpec`) or a WorkflowEventBinding (`spec.submit`) creates, and the one a
  drift check's CronWorkflow holds as its `pipeline_workflow` argument.

Every problem is one line: `<kind>/<name>: <json path>: <what is wrong and what to do>`.
"""

from __future__ import annotations

import re
from typing import Any

from workflows.argo.events import embedded_workflow
from workflows.argo.templates import manifest_label

SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "CREDENTIALS")
CREDENTIAL = re.compile(
    r"(?<![A-Za-z0-9])(?:nvapi-[A-Za-z0-9_-]{16,}|sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
)
TOKEN_DATA = re.compile(r"^(?:[A-Za-z0-9+/_-]{16,}={0,2}|[0-9a-fA-F]{16,})$")
FIX = "create a Secret outside git and read it with valueFrom.secretKeyRef"

# WorkflowSpec fields a Workflow that references a WorkflowTemplate may set under `templateReferencing: Strict`
# (Argo Workflows >= 3.7.14 / 4.0.5, workflow/util/merge.go allowedUserOverrideFields); any other field makes the
# controller fail the Workflow.
STRICT_OVERRIDES = frozenset(
    [
        "arguments",
        "entrypoint",
        "shutdown",
        "suspend",
        "activeDeadlineSeconds",
        "priority",
        "ttlStrategy",
        "podGC",
        "volumeClaimGC",
        "archiveLogs",
        "archiveSystemContainerLogs",
        "workflowMetadata",
        "workflowTemplateRef",
        "metrics",
        "artifactGC",
    ]
)


def secret_named(name: str) -> bool:
    """Whether a variable or key name reads like a secret: a word of it is (or ends in) KEY, TOKEN, SECRET, ..."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name.upper()) if w]
    return any(w in SECRET_WORDS or w.endswith(("KEY", "TOKEN", "SECRET", "PASSWORD")) for w in words)


def _env_errors(label: str, path: str, entries: list) -> list[str]:
    errors = []
    for index, entry in enumerate(entries):
        if not (isinstance(entry, dict) and secret_named(str(entry.get("name", "")))):
            continue
        where, name = f"{label}: {path}[{index}]", entry["name"]
        if "value" in entry:  # an empty value (unsetting the variable) leaks nothing
            if entry["value"] not in (None, ""):
                errors.append(f"{where}: env {name} has a literal value; {FIX}")
        elif "secretKeyRef" not in (entry.get("valueFrom") or {}):
            errors.append(f"{where}: env {name} is not read from a Secret; {FIX}")
    return errors


def _walk(node: Any, path: str, label: str, errors: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                errors += _env_errors(label, f"{path}.env", value)
            _walk(value, f"{path}.{key}", label, errors)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, f"{path}[{index}]", label, errors)
    elif isinstance(node, str) and (match := CREDENTIAL.search(node)):
        errors.append(f"{label}: {path}: looks like a credential ({match.group(0)[:8]}...); {FIX}")


def secret_literal_errors(doc: dict) -> list[str]:
    """Secret-looking literals in one manifest (any kind), each with the fix."""
    label = manifest_label(doc)
    errors: list[str] = []
    _walk(doc, "$", label, errors)
    if doc.get("kind") == "Secret":
        for field in ("data", "stringData"):
            for key, value in (doc.get(field) or {}).items():
                if isinstance(value, str) and TOKEN_DATA.match(value.strip()):
                    errors.append(
                        f"{label}: $.{field}.{key}: a token in a Secret in git; remove the Secret from git and "
                        "create it out of band (kubectl, External Secrets, Sealed Secrets)"
                    )
    if doc.get("kind") == "ConfigMap":
        for key, value in (doc.get("data") or {}).items():
            if secret_named(str(key)) and value not in (None, ""):
                errors.append(f"{label}: $.data.{key}: a secret-named key with a value in a ConfigMap; {FIX}")
    return errors


def reference_mode_errors(doc: dict) -> list[str]:
    """Why the controller would refuse this Workflow, or the one a CronWorkflow or WorkflowEventBinding creates,
    under `templateReferencing: Strict` (other kinds: none)."""
    label, spec, kind = manifest_label(doc), doc.get("spec") or {}, doc.get("kind")
    if kind == "Workflow":
        path, workflow_spec = "$.spec", spec
    elif kind == "CronWorkflow":
        path, workflow_spec = "$.spec.workflowSpec", spec.get("workflowSpec") or {}
    elif kind == "WorkflowEventBinding":
        path, workflow_spec = "$.spec.submit", spec.get("submit") or {}
    else:
        return []
    if not (workflow_spec.get("workflowTemplateRef") or {}).get("name"):
        return [
            f"{label}: {path}.workflowTemplateRef: missing; under templateReferencing: Strict a Workflow must "
            "reference a WorkflowTemplate (render runs with `make render`, or submit from the template)"
        ]
    if kind == "WorkflowEventBinding":
        return []  # a submit holds only the reference, arguments and metadata (its schema says so)
    embedded = embedded_workflow(doc)
    inner = [f"{embedded[0]}: {error}" for error in reference_mode_errors(embedded[1])] if embedded else []
    return [
        f"{label}: {path}.{field}: not allowed on a Workflow that references a template under "
        f"templateReferencing: Strict; set it on the WorkflowTemplate (workflows/pipeline.py) instead"
        for field in workflow_spec
        if field not in STRICT_OVERRIDES
    ] + inner
