"""Loading manifests; the runner's template index; resolving a Workflow against its WorkflowTemplate.

Template lookup and what a task invokes come from `workflows.argo.templates`; this module adds the runner's
field checks (allow-lists and the table of accepted no-op fields live in `fields.py`) and its messages.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workflows.argo.templates import (
    Manifests,
    call_of,
    find_template,
    input_parameters,
    output_parameters,
    ref_owner,
    template_names,
)
from workflows.local_runner.errors import InputError, RunnerError, UnsupportedFieldError
from workflows.local_runner.fields import TEMPLATE_OWNER, WORKFLOW, check, template_kind
from workflows.local_runner.substitution import text_of


def load_manifests(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """All YAML documents in `paths` (files or folders of *.yaml/*.yml), skipping empty documents."""
    docs: list[dict[str, Any]] = []
    for path in paths:
        files = sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")]) if path.is_dir() else [path]
        for file in files:
            for doc in yaml.safe_load_all(file.read_text()):
                if doc is not None:
                    if not isinstance(doc, dict):
                        raise RunnerError(f"{file}: a manifest must be a mapping")
                    docs.append(doc)
    return docs


@dataclass(frozen=True)
class Template:
    owner: str  # "<Kind>/<name>" of the manifest that holds it
    name: str
    body: dict[str, Any]
    path: str  # e.g. "ClusterWorkflowTemplate/c1 spec.templates[2]" for error messages
    kind: str  # "dag" | "script" | "suspend"

    def input_parameters(self) -> list[dict[str, Any]]:
        return input_parameters(self.body)

    def output_parameters(self) -> list[dict[str, Any]]:
        return output_parameters(self.body)


class TemplateIndex(Manifests):
    """Templates by owner manifest and name; each template's fields are checked the first time it is used."""

    def __init__(self, manifests: Iterable[dict[str, Any]]) -> None:
        self._cache: dict[tuple[str, str], Template] = {}
        super().__init__(manifests)

    def template(self, owner: str, name: str, where: str) -> Template:
        key = (owner, name)
        if key in self._cache:
            return self._cache[key]
        manifest = self.manifests.get(owner)
        if manifest is None:
            known = ", ".join(sorted(self.manifests)) or "none"
            raise RunnerError(f"{where}: {owner} is not among the loaded manifests (loaded: {known})")
        if not owner.startswith("Workflow/"):
            check(manifest, TEMPLATE_OWNER, owner)
        found = find_template(manifest, name)
        if found is None:
            known = ", ".join(template_names(manifest)) or "none"
            raise RunnerError(f"{where}: {owner} has no template {name!r} (templates: {known})")
        index, body = found
        path = f"{owner} spec.templates[{index}]"
        template = Template(owner, name, body, path, template_kind(body, path))
        self._cache[key] = template
        return template

    def resolve_task(self, owner: str, task: dict[str, Any], where: str) -> Template:
        """The template a DAG task (defined in a template of `owner`) invokes."""
        try:
            call = call_of(task)
        except RunnerError as err:
            raise RunnerError(f"{where}: {err}") from None
        if call.template is None:
            raise UnsupportedFieldError(f"{where}.inline", "inline templates are not supported by the local runner")
        if call.owner is None:
            return self.template(owner, call.template, where)
        return self.template(call.owner, call.template, f"{where}.templateRef")


@dataclass
class ResolvedWorkflow:
    name: str
    namespace: str
    owner: str  # manifest whose templates `entrypoint`/`onExit` name
    entrypoint: str
    on_exit: str | None
    parallelism: int | None
    active_deadline_s: float | None
    parameters: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes generateName suffix alphabet


def generate_name(prefix: str) -> str:
    """A name from `generateName`: the prefix and five random characters, as Kubernetes makes it."""
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


def resolve_workflow(
    workflow: dict[str, Any], index: TemplateIndex, make_name: Callable[[str], str]
) -> ResolvedWorkflow:
    """Merge a Workflow with its WorkflowTemplate; `make_name(generateName)` picks a name when none is set."""
    if workflow.get("kind") != "Workflow":
        raise RunnerError(f"expected a Workflow manifest, got kind {workflow.get('kind')!r}")
    check(workflow, WORKFLOW, "Workflow")
    metadata = workflow.get("metadata") or {}
    spec = workflow.get("spec") or {}
    name = metadata.get("name") or make_name(str(metadata.get("generateName") or "workflow-"))
    ref = spec.get("workflowTemplateRef")
    if ref is not None:
        if "templates" in spec:
            raise UnsupportedFieldError(
                "Workflow spec.templates",
                "inline templates next to workflowTemplateRef are not supported by the local runner",
            )
        owner = ref_owner(ref)
        if owner not in index.manifests:
            raise RunnerError(
                f"Workflow spec.workflowTemplateRef: {owner} is not among the loaded manifests "
                f"(loaded: {', '.join(sorted(index.manifests)) or 'none'})"
            )
        base = index.manifests[owner]
        check(base, TEMPLATE_OWNER, owner)
        base_spec = base.get("spec") or {}
    else:
        owner = index.add(copy.deepcopy({**workflow, "metadata": {**metadata, "name": name}}), "Workflow")
        base_spec = {}
    merged = {**base_spec, **{k: v for k, v in spec.items() if k not in ("arguments", "templates")}}
    entrypoint = merged.get("entrypoint")
    if not entrypoint:
        raise RunnerError(f"{owner}: spec.entrypoint is not set (set it on the WorkflowTemplate or the Workflow)")
    labels = {**((base_spec.get("workflowMetadata") or {}).get("labels") or {}), **(metadata.get("labels") or {})}
    return ResolvedWorkflow(
        name=name,
        namespace=str(metadata.get("namespace") or "default"),
        owner=owner,
        entrypoint=str(entrypoint),
        on_exit=str(merged["onExit"]) if merged.get("onExit") else None,
        parallelism=_positive_int(merged.get("parallelism"), "spec.parallelism"),
        active_deadline_s=_positive_int(merged.get("activeDeadlineSeconds"), "spec.activeDeadlineSeconds"),
        parameters=_merge_parameters(base_spec, spec, ref is not None),
        labels={str(k): str(v) for k, v in labels.items()},
        annotations={str(k): str(v) for k, v in (metadata.get("annotations") or {}).items()},
    )


def _positive_int(value: Any, path: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise RunnerError(f"{path}: {value!r} is not an integer") from None
    if number <= 0:
        raise RunnerError(f"{path}: must be positive, got {number}")
    return number


def _merge_parameters(base_spec: dict[str, Any], spec: dict[str, Any], from_template: bool) -> dict[str, str]:
    declared = list(((base_spec.get("arguments") or {}).get("parameters")) or [])
    given = list(((spec.get("arguments") or {}).get("parameters")) or [])
    if not from_template:
        declared, given = given, []
    by_name = {str(p.get("name")): p for p in declared}
    for index, param in enumerate(given):
        if str(param.get("name")) not in by_name:
            known = ", ".join(by_name) or "none"
            raise InputError(
                f"Workflow spec.arguments.parameters[{index}]: unknown parameter {param.get('name')!r}; "
                f"the WorkflowTemplate declares: {known}"
            )
    overrides = {str(p.get("name")): p for p in given}
    values: dict[str, str] = {}
    for name, param in by_name.items():
        source = overrides.get(name, {})
        for candidate in (source.get("value"), param.get("value"), param.get("default")):
            if candidate is not None:
                value = text_of(candidate)
                break
        else:
            raise InputError(
                f"workflow parameter {name!r} has no value; pass it in the Workflow's spec.arguments.parameters"
            )
        enum = [text_of(e) for e in (param.get("enum") or source.get("enum") or [])]
        if enum and value not in enum:
            raise InputError(f"workflow parameter {name!r}: value {value!r} is not one of the allowed values {enum}")
        values[name] = value
    return values
