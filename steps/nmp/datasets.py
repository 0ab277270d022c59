"""Where a dataset revision lives on NeMo Platform: pure naming, no I/O.

A revision is one fileset in the workspace, named `<namespace>.<name>.<revision>` (fileset names allow
letters, digits, '_', '-', '.'); its custom fields record what it holds. Its URI,
`nmp://<workspace>/datasets/<namespace>/<name>@<revision>`, names the workspace too, so a step reading it
needs nothing else; `fileset_ref` gives the `workspace/fileset` form that jobs take.
"""

from __future__ import annotations

import re

from steps.errors import InvalidInputError
from steps.logic.dataset_files import check_name

URI_FORM = "nmp://<workspace>/datasets/<namespace>/<name>@<16 hex revision>"
_URI = re.compile(r"^nmp://([a-z0-9-]+)/datasets/([^/@]+)/([^/@]+)@([0-9a-f]{16})$")

# Custom fields of a dataset fileset.
NAMESPACE, NAME, REVISION = "llmops_namespace", "llmops_name", "llmops_revision"
FILES = "llmops_files"  # relative path -> sha256 of its content
COMPLETE = "llmops_complete"  # set once every file is uploaded and checked; readers refuse a fileset without it


def fileset_name(namespace: str, name: str, revision: str) -> str:
    return f"{check_name('namespace', namespace)}.{check_name('name', name)}.{revision}"


def uri(workspace: str, namespace: str, name: str, revision: str) -> str:
    return f"nmp://{workspace}/datasets/{namespace}/{name}@{revision}"


def parse(value: str) -> tuple[str, str, str, str]:
    """(workspace, namespace, name, revision) of a dataset URI; a clear error for anything else."""
    match = _URI.match(value)
    if not match:
        raise InvalidInputError(f"{value!r} is not a nemo-platform dataset URI; expected {URI_FORM}")
    workspace, namespace, name, revision = match.groups()
    check_name("namespace", namespace)
    check_name("name", name)
    return workspace, namespace, name, revision


def fileset_ref(value: str) -> str:
    """`workspace/fileset` of a dataset URI (what customization and evaluation jobs name)."""
    workspace, namespace, name, revision = parse(value)
    return f"{workspace}/{fileset_name(namespace, name, revision)}"


def entity_name(kind: str, *parts: str) -> str:
    """An entity name the Platform accepts (a lower-case letter first, then letters, digits and single
    hyphens, at most 63) made from project names that may hold '.', '_' or '--'."""
    slug = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", "-".join((kind, *parts)).lower())).strip("-")
    return slug[:63].rstrip("-")
