"""The pipeline's workflow parameters, generated from the run-spec schema (`workflows/runspec.py`).

Every run-spec field marked with a `runspec.Param` is one parameter: its name from the mark, its
description from the field, its default from the field's default (an empty run-spec section) or,
for a required field, from its first example, its enum from a Literal or bool type. The three
parameters that identify a run but are not run-spec fields (`IDENTITY`) follow the run spec name.
`arguments(spec)` reads the same marks, so the template and a run of a spec cannot disagree; a field
the spec hash leaves out while it is at its default (`runspec.UNHASHED_AT_DEFAULT`) is left out of the
run's arguments too (the template's default, the same, applies), so adding such a field changes no existing run.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from steps.io import Trigger, choices
from workflows.runspec import RunSpec
from workflows.runspec_fields import Param


@dataclass(frozen=True)
class WorkflowParameter:
    name: str
    description: str
    default: str
    enum: tuple[str, ...] | None
    value: Callable[[RunSpec], str]  # the argument that runs a spec
    path: tuple[str, ...] = ()  # the run-spec field; () for the IDENTITY parameters

    def render(self) -> dict[str, Any]:
        """The parameter as `spec.arguments.parameters` lists it (name, value, description, enum)."""
        return {
            "name": self.name,
            "value": self.default,
            "description": self.description,
            **({"enum": list(self.enum)} if self.enum else {}),
        }


IDENTITY = [
    WorkflowParameter(
        "run_spec_hash",
        "sha256 of the canonical run spec; empty for manual runs",
        "",
        None,
        lambda spec: spec.spec_hash(),
    ),
    WorkflowParameter("git_commit", "Git commit the run spec was read from", "", None, lambda spec: ""),
    # A run of a run spec says git; a flywheel's CronWorkflow and event binding override it (`workflows.flywheels`).
    WorkflowParameter(
        "trigger",
        "Why the run started: manual (submitted from the Argo UI), git (a run spec), schedule or new-data "
        "(a flywheel: workflows/flywheels), drift (a drift check)",
        "manual",
        tuple(choices(Trigger)),
        lambda spec: "git",
    ),
]
IDENTITY_AFTER = "run_spec_name"


def text(value: object) -> str:
    """A run-spec value as a workflow argument (Argo parameters are strings)."""
    if value is None:
        return ""
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json"), sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(_plain(value), sort_keys=True)
    return str(value)


def _plain(value: object) -> object:
    """Run-spec models inside lists and dicts as JSON data (every field, as the spec hash sees them)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _mark(field: FieldInfo) -> Param | None:
    return next((m for m in field.metadata if isinstance(m, Param)), None)


def _section(annotation: object) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _enum(annotation: object) -> tuple[str, ...] | None:
    """The closed set of a Literal or bool type (an Optional one also allows "", the unset value)."""
    args = get_args(annotation)
    optional = get_origin(annotation) in (Union, types.UnionType) and type(None) in args
    if optional:
        (annotation,) = [a for a in args if a is not type(None)]
    values: tuple[str, ...]
    if annotation is bool:
        values = ("true", "false")
    elif get_origin(annotation) is Literal:
        values = tuple(text(v) for v in get_args(annotation))
    else:
        return None
    return ("", *values) if optional else values


def _default(path: str, field: FieldInfo) -> object:
    if field.is_required():
        if not field.examples:
            raise TypeError(
                f"run-spec field {path} is required and a workflow parameter: give it an example "
                "(Field(examples=[...])), the default of the Argo UI form"
            )
        return field.examples[0]
    value = field.get_default(call_default_factory=True)
    return None if value is PydanticUndefined else value


def _leaves(model: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], FieldInfo]]:
    """Every non-section field of the schema, in field order, with its path from the run spec."""
    for name, field in model.model_fields.items():
        section = _section(field.annotation)
        if section is not None:
            yield from _leaves(section, (*path, name))
        else:
            yield (*path, name), field


def _value(path: tuple[str, ...], mark: Param) -> Callable[[RunSpec], str]:
    def value(spec: RunSpec) -> str:
        node: Any = spec
        for part in path:
            node = getattr(node, part)
        if node is None and mark.or_field:
            node = getattr(spec, mark.or_field)
        return text(node)

    return value


def _generate() -> list[WorkflowParameter]:
    fields = dict(_leaves(RunSpec))
    out: list[WorkflowParameter] = []
    for path, field in fields.items():
        mark = _mark(field)
        if mark is None:
            continue
        where = ".".join(path)
        if not field.description:
            raise TypeError(f"run-spec field {where} is the workflow parameter {mark.name}: give it a description")
        default = _default(where, field)
        if default is None and mark.or_field:
            default = _default(mark.or_field, fields[(mark.or_field,)])
        out.append(
            WorkflowParameter(
                mark.name, field.description, text(default), _enum(field.annotation), _value(path, mark), path
            )
        )
        if mark.name == IDENTITY_AFTER:
            out += IDENTITY
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise TypeError(f"run-spec parameter names repeat: {sorted(n for n in set(names) if names.count(n) > 1)}")
    return out


PARAMETERS: list[WorkflowParameter] = _generate()


def unmarked_fields() -> list[str]:
    """Run-spec fields that are not workflow parameters (dotted paths)."""
    return [".".join(path) for path, field in _leaves(RunSpec) if _mark(field) is None]


def arguments(spec: RunSpec) -> dict[str, str]:
    """The workflow arguments that run a spec, as strings: every parameter, except those of the fields
    the spec hash leaves out (see `runspec.UNHASHED_AT_DEFAULT`)."""
    hashed = spec.canonical()

    def is_hashed(path: tuple[str, ...]) -> bool:
        node: Any = hashed
        for part in path:
            if part not in node:
                return False
            node = node[part]
        return True

    return {p.name: p.value(spec) for p in PARAMETERS if is_hashed(p.path)}
