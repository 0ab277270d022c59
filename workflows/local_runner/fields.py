"""Field allow-lists: every manifest field is supported, a documented no-op, or rejected by name.

No-op fields (accepted, no local effect):

- metadata: name, generateName, namespace, labels, annotations. Identity only; `name`/`namespace` feed
  `{{workflow.*}}`.
- Workflow / WorkflowTemplate spec: serviceAccountName, podGC, ttlStrategy, podMetadata, workflowMetadata,
  archiveLogs, nodeSelector, tolerations, affinity, podSpecPatch, priorityClassName, imagePullSecrets,
  securityContext. Pod scheduling, identity, clean-up and archiving: cluster concerns.
- template: nodeSelector, tolerations, affinity, podSpecPatch, metadata, serviceAccountName, priorityClassName,
  securityContext. Pod scheduling, pod metadata and pod security.
- template.script: image, resources, imagePullPolicy, securityContext. The step runs in the runner's Python
  environment on this machine, as the runner's user.
- script templates: `volumes` of kind emptyDir (pod scratch space) and `script.volumeMounts` of them. Locally the
  step writes the local filesystem, so an env `value` that is a path under a mountPath names the pod's scratch, not
  a local folder: the variable keeps the runner's own value (unset when the runner has none). Other volume kinds
  are rejected.
- parameter: description. Documentation for the Argo UI form.

Fields with a local meaning: `script.env[].valueFrom.secretKeyRef` / `configMapKeyRef` take the value of the
runner's own environment variable with the env entry's name (absent + `optional` -> skipped; absent otherwise ->
node Error naming the Secret/ConfigMap, key and variable). Secret values are redacted from logs and never stored.

Everything else not listed as supported in the schemas below raises UnsupportedFieldError naming its path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows.local_runner.errors import RunnerError, UnsupportedFieldError


@dataclass(frozen=True)
class Leaf:
    """A supported field whose value the runner reads (checked by the code that reads it)."""


@dataclass(frozen=True)
class Noop:
    reason: str


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Obj:
    fields: Mapping[str, Rule]


@dataclass(frozen=True)
class ListOf:
    item: Rule


Rule = Leaf | Noop | Reject | Obj | ListOf
LEAF = Leaf()


def check(value: Any, rule: Rule, path: str) -> None:
    """Raise UnsupportedFieldError for the first field of `value` that `rule` does not allow."""
    if isinstance(rule, (Leaf, Noop)):
        return
    if isinstance(rule, Reject):
        raise UnsupportedFieldError(path, rule.reason)
    if isinstance(rule, ListOf):
        if not isinstance(value, list):
            raise RunnerError(f"{path}: expected a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            check(item, rule.item, f"{path}[{index}]")
        return
    if not isinstance(value, dict):
        raise RunnerError(f"{path}: expected a mapping, got {type(value).__name__}")
    for key, item in value.items():
        sub = rule.fields.get(key)
        if sub is None:
            raise UnsupportedFieldError(f"{path}.{key}", f"'{key}' is not supported by the local runner")
        check(item, sub, f"{path}.{key}")


def _noops(names: str, reason: str) -> dict[str, Rule]:
    return {name: Noop(reason) for name in names.split()}


SCHEDULING = "pod scheduling/identity: a cluster concern with no local effect"
PARAMETER = Obj({"name": LEAF, "value": LEAF, "default": LEAF, "enum": LEAF, "description": Noop("UI documentation")})
ARGUMENTS = Obj(
    {
        "parameters": ListOf(PARAMETER),
        "artifacts": Reject("artifacts are not supported by the local runner; pass paths or URIs as parameters"),
    }
)
METADATA = Obj(
    {
        "name": LEAF,
        "generateName": LEAF,
        "namespace": LEAF,
        "labels": Noop("object labels"),
        "annotations": Noop("object annotations"),
    }
)
SPEC_NOOPS = {
    **_noops("serviceAccountName nodeSelector tolerations affinity podSpecPatch priorityClassName", SCHEDULING),
    **_noops("imagePullSecrets securityContext podMetadata", SCHEDULING),
    "podGC": Noop("no pods are created locally"),
    "ttlStrategy": Noop("local runs stay under state_dir until deleted"),
    "workflowMetadata": Noop("labels/annotations of the Workflow object"),
    "archiveLogs": Noop("logs are written to state_dir/<workflow>/logs"),
    "templateDefaults": Reject("'templateDefaults' is not supported by the local runner; set fields on each template"),
}
SPEC_COMMON: dict[str, Rule] = {
    "templates": LEAF,  # each template is checked on use by check_template
    "entrypoint": LEAF,
    "onExit": LEAF,
    "arguments": ARGUMENTS,
    "parallelism": LEAF,
    "activeDeadlineSeconds": LEAF,
    **SPEC_NOOPS,
}
TEMPLATE_OWNER = Obj({"apiVersion": LEAF, "kind": LEAF, "metadata": METADATA, "spec": Obj(SPEC_COMMON)})
WORKFLOW = Obj(
    {
        "apiVersion": LEAF,
        "kind": LEAF,
        "metadata": METADATA,
        "spec": Obj({**SPEC_COMMON, "workflowTemplateRef": Obj({"name": LEAF, "clusterScope": LEAF})}),
    }
)

# ---------------------------------------------------------------------------------------- templates

REJECTED_TYPES = {
    "steps": "'steps' templates are not supported by the local runner; use a DAG",
    "container": (
        "'container' templates are not supported by the local runner; use a Hera runner Script (constructor='runner')"
    ),
    "containerSet": "'containerSet' templates are not supported by the local runner; use a DAG of Scripts",
    "resource": "'resource' templates (Kubernetes objects) are not supported by the local runner",
    "http": "'http' templates are not supported by the local runner; call the endpoint from a Script",
    "data": "'data' templates are not supported by the local runner",
    "plugin": "'plugin' templates are not supported by the local runner",
}
TEMPLATE_KINDS = ("dag", "script", "suspend")

_INPUTS = Obj(
    {
        "parameters": ListOf(PARAMETER),
        "artifacts": Reject("input artifacts are not supported by the local runner; pass paths or URIs as parameters"),
    }
)


def _outputs(value_from: Mapping[str, Rule]) -> Obj:
    parameter = Obj(
        {
            "name": LEAF,
            "valueFrom": Obj({**value_from, "default": LEAF}),
            "globalName": LEAF,
            "description": Noop("UI documentation"),
        }
    )
    return Obj(
        {
            "parameters": ListOf(parameter),
            "artifacts": Reject(
                "output artifacts are not supported by the local runner; return a path or URI as a parameter"
            ),
        }
    )


_BASE: dict[str, Rule] = {
    "name": LEAF,
    "inputs": _INPUTS,
    **_noops("nodeSelector tolerations affinity podSpecPatch serviceAccountName priorityClassName", SCHEDULING),
    "metadata": Noop("pod labels/annotations"),
    "securityContext": Noop("pod security (user, seccomp): a cluster concern; locally the runner's user runs the step"),
    "timeout": Reject("'timeout' is not supported by the local runner; use activeDeadlineSeconds"),
}
_ENV_VAR = Obj(
    {
        "name": LEAF,
        "value": LEAF,
        "valueFrom": Obj(
            {
                "secretKeyRef": Obj({"name": LEAF, "key": LEAF, "optional": LEAF}),
                "configMapKeyRef": Obj({"name": LEAF, "key": LEAF, "optional": LEAF}),
            }
        ),
    }
)
_RETRY = Obj(
    {
        "limit": LEAF,
        "retryPolicy": LEAF,
        "backoff": Obj({"duration": LEAF, "factor": LEAF, "maxDuration": LEAF, "cap": LEAF}),
        "expression": Reject("retryStrategy.expression is not supported by the local runner; use retryPolicy"),
        "affinity": Reject("retryStrategy.affinity is not supported by the local runner (one machine)"),
    }
)
_MEMOIZE = Obj({"key": LEAF, "maxAge": LEAF, "cache": Obj({"configMap": Obj({"name": LEAF})})})
_SCRIPT = Obj(
    {
        "command": LEAF,
        "args": LEAF,
        "source": LEAF,
        "env": ListOf(_ENV_VAR),
        **_noops("image resources imagePullPolicy", "the step runs in the runner's Python environment"),
        "securityContext": Noop("container security: a cluster concern"),
        "volumeMounts": ListOf(Obj({"name": LEAF, "mountPath": LEAF, "readOnly": Noop("local filesystem")})),
    }
)
_VOLUME = Obj(
    {
        "name": LEAF,
        "emptyDir": Noop("pod scratch space; locally the step writes the local filesystem"),
    }
)
_TASK = Obj(
    {
        "name": LEAF,
        "template": LEAF,
        "templateRef": Obj({"name": LEAF, "template": LEAF, "clusterScope": LEAF}),
        "arguments": Obj(
            {
                "parameters": ListOf(Obj({"name": LEAF, "value": LEAF, "description": Noop("UI documentation")})),
                "artifacts": ARGUMENTS.fields["artifacts"],
            }
        ),
        "depends": LEAF,
        "dependencies": LEAF,
        "when": LEAF,
        "withItems": LEAF,
        "withParam": LEAF,
        "continueOn": Obj({"failed": LEAF, "error": LEAF}),
    }
)
TEMPLATE_SCHEMAS: dict[str, Obj] = {
    "script": Obj(
        {
            **_BASE,
            "script": _SCRIPT,
            "outputs": _outputs({"path": LEAF}),
            "retryStrategy": _RETRY,
            "activeDeadlineSeconds": LEAF,
            "memoize": _MEMOIZE,
            "volumes": ListOf(_VOLUME),
        }
    ),
    "dag": Obj(
        {
            **_BASE,
            "dag": Obj({"tasks": ListOf(_TASK), "failFast": LEAF}),
            "outputs": _outputs({"parameter": LEAF}),
            "parallelism": LEAF,
        }
    ),
    "suspend": Obj({**_BASE, "suspend": Obj({"duration": LEAF}), "outputs": _outputs({"supplied": LEAF})}),
}


def template_kind(body: Any, path: str) -> str:
    """Check a template's fields and return its kind: 'dag', 'script' or 'suspend'."""
    if not isinstance(body, dict):
        raise RunnerError(f"{path}: a template must be a mapping")
    for key, reason in REJECTED_TYPES.items():
        if key in body:
            raise UnsupportedFieldError(f"{path}.{key}", reason)
    kinds = [kind for kind in TEMPLATE_KINDS if kind in body]
    if len(kinds) != 1:
        raise RunnerError(f"{path}: a template needs exactly one of dag, script, suspend (found {kinds or 'none'})")
    kind = kinds[0]
    for key in body:
        if key not in TEMPLATE_SCHEMAS[kind].fields and any(key in s.fields for s in TEMPLATE_SCHEMAS.values()):
            raise UnsupportedFieldError(
                f"{path}.{key}", f"'{key}' is not supported on {kind} templates by the local runner"
            )
    check(body, TEMPLATE_SCHEMAS[kind], path)
    return kind
