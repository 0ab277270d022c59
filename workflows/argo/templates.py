"""Templates across Workflow, WorkflowTemplate and ClusterWorkflowTemplate manifests, and what they declare.

A manifest is known by its owner key `<Kind>/<name>` (e.g. `ClusterWorkflowTemplate/llmops-gate-v1`); a
template by its owner and name. A DAG task or step invokes a template of its own manifest (`template`),
one of another manifest (`templateRef`, `clusterScope` picks the kind), or one written in place (`inline`):
`call_of` reads which. Both the local runner and `llmops lint` look templates up through `Manifests`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workflows.argo.errors import ManifestError

MANIFEST_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate")
FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")  # Argo's rule for task and template names
FIELD_NAME_MAX = 128


def owner_key(kind: str, name: object) -> str:
    return f"{kind}/{name}"


def manifest_label(doc: dict[str, Any]) -> str:
    """`<Kind>/<name>` of any manifest, `?` standing for a missing kind or name (for messages)."""
    return f"{doc.get('kind', '?')}/{(doc.get('metadata') or {}).get('name', '?')}"


def split_owner(owner: str) -> tuple[str, str]:
    """(kind, name) of an owner key."""
    kind, _, name = owner.partition("/")
    return kind, name


def ref_owner(ref: dict[str, Any]) -> str:
    """Owner key of a `templateRef` or `workflowTemplateRef` (`clusterScope: true` -> ClusterWorkflowTemplate)."""
    return owner_key("ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate", ref.get("name"))


def field_name_problem(name: str) -> str | None:
    """Why Argo rejects `name` as a task or template name, or None when it is valid."""
    if len(name) > FIELD_NAME_MAX or not FIELD_NAME.match(name):
        return (
            f"name {name!r} must be alphanumerics and '-', start with an alphanumeric, and have at most "
            f"{FIELD_NAME_MAX} characters"
        )
    return None


# ---------------------------------------------------------------------------------------- declarations
def parameters_by_name(holder: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """`holder.parameters` (of arguments, inputs or outputs) by name."""
    return {str(p.get("name")): p for p in ((holder or {}).get("parameters") or [])}


def input_parameters(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The input parameters a template declares (`inputs.parameters`), in order."""
    return list(((template.get("inputs") or {}).get("parameters")) or [])


def output_parameters(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The output parameters a template declares (`outputs.parameters`), in order."""
    return list(((template.get("outputs") or {}).get("parameters")) or [])


def templates_of(manifest: dict[str, Any]) -> list[Any]:
    """`spec.templates` of a manifest, as written (entries may be malformed)."""
    return list((manifest.get("spec") or {}).get("templates") or [])


def template_names(manifest: dict[str, Any]) -> list[str]:
    return [str(t.get("name")) for t in templates_of(manifest) if isinstance(t, dict)]


def templates_by_name(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The templates of a manifest by name (the first one wins where a name repeats)."""
    found: dict[str, dict[str, Any]] = {}
    for body in templates_of(manifest):
        if isinstance(body, dict):
            found.setdefault(str(body.get("name")), body)
    return found


def find_template(manifest: dict[str, Any], name: str) -> tuple[int, dict[str, Any]] | None:
    """(position in spec.templates, body) of the first template called `name`, or None."""
    for index, body in enumerate(templates_of(manifest)):
        if isinstance(body, dict) and body.get("name") == name:
            return index, body
    return None


# ---------------------------------------------------------------------------------------- invocation
@dataclass(frozen=True)
class TemplateCall:
    """What a DAG task or a step invokes: `template` in `owner` (None: the calling manifest), or `inline`."""

    template: str | None
    owner: str | None = None
    inline: dict[str, Any] | None = None


def call_of(task: dict[str, Any]) -> TemplateCall:
    """Read `template` / `templateRef{name, template, clusterScope}` / `inline` of a task or step.

    Raises ManifestError when none or several are set, or the templateRef lacks its name or template.
    """
    given = [key for key in ("template", "templateRef", "inline") if task.get(key) is not None]
    if len(given) > 1:
        raise ManifestError(f"set only one of template, templateRef and inline (it has {' and '.join(given)})")
    if not given:
        raise ManifestError("a task needs template or templateRef{name, template}")
    if given == ["template"]:
        return TemplateCall(str(task["template"]))
    if given == ["inline"]:
        return TemplateCall(None, inline=task["inline"])
    ref = task["templateRef"]
    if not isinstance(ref, dict) or not ref.get("name") or not ref.get("template"):
        raise ManifestError("a task needs template or templateRef{name, template}")
    return TemplateCall(str(ref["template"]), ref_owner(ref))


class Manifests:
    """Workflows, WorkflowTemplates and ClusterWorkflowTemplates by owner key."""

    def __init__(self, manifests: Iterable[dict[str, Any]] = ()) -> None:
        self.manifests: dict[str, dict[str, Any]] = {}
        for manifest in manifests:
            self.add(manifest)

    def add(self, manifest: dict[str, Any], kind: str | None = None) -> str:
        """Index `manifest` (as `kind` when given) and return its owner key."""
        kind = kind or manifest.get("kind")
        name = (manifest.get("metadata") or {}).get("name")
        if kind not in MANIFEST_KINDS or not name:
            raise ManifestError(
                f"manifest {kind or '<no kind>'}/{name or '<no name>'}: "
                "expected a named WorkflowTemplate or ClusterWorkflowTemplate"
            )
        owner = owner_key(kind, name)
        self.manifests[owner] = manifest
        return owner

    def names(self, kind: str) -> list[str]:
        """Names of the indexed manifests of `kind`."""
        return [split_owner(owner)[1] for owner in self.manifests if split_owner(owner)[0] == kind]
