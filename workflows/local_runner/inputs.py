"""Template inputs (declared, defaulted, enum-checked) and the values a suspend node's supplied outputs take."""

from __future__ import annotations

from typing import Any

from workflows.local_runner.errors import InputError
from workflows.local_runner.manifests import Template
from workflows.local_runner.substitution import MissingOutput, Scope, substitute, text_of

MISSING: Any = object()  # an argument that referenced an output of a Skipped/Omitted task


def enum_of(param: dict[str, Any]) -> list[str]:
    return [text_of(value) for value in param.get("enum") or []]


def resolve_inputs(template: Template, given: dict[str, Any], defaults_scope: Scope, who: str) -> dict[str, str]:
    """Input values for invoking `template`: given arguments, else `value`, else `default`.

    `who` names the caller for messages (e.g. "task 'train'"); `defaults_scope` resolves tags in defaults.
    """
    declared = template.input_parameters()
    names = [str(p.get("name")) for p in declared]
    for name in given:
        if name not in names:
            raise InputError(
                f"{who}: argument {name!r} is not an input of template {template.name!r} "
                f"({template.owner}); its inputs are: {', '.join(names) or 'none'}"
            )
    values: dict[str, str] = {}
    for index, param in enumerate(declared):
        name = str(param.get("name"))
        value = given.get(name, MISSING)
        if value is MISSING:
            fallback = param.get("value", param.get("default"))
            if fallback is None:
                why = (
                    "an output of a skipped task it references has no default" if name in given else "it has no default"
                )
                raise InputError(
                    f"{who}: required input {name!r} of template {template.name!r} is missing ({why}); "
                    "pass it in arguments.parameters"
                )
            value = substitute(text_of(fallback), defaults_scope, f"{template.path}.inputs.parameters[{index}]")
        check_enum(param, text_of(value), who)
        values[name] = text_of(value)
    return values


def check_enum(param: dict[str, Any], value: str, who: str) -> None:
    allowed = enum_of(param)
    if allowed and value not in allowed:
        raise InputError(
            f"{who}: parameter {param.get('name')!r} value {value!r} is not one of the allowed values {allowed}"
        )


def supplied_names(template: Template) -> list[str]:
    return [str(p["name"]) for p in template.output_parameters() if "supplied" in (p.get("valueFrom") or {})]


def approval_values(
    template: Template, inputs: dict[str, str], parameters: dict[str, str], prefer_yes: bool, who: str
) -> dict[str, str]:
    """Outputs of a suspend node when it is resumed.

    Each supplied output takes, in order: the given parameter; "YES" when `prefer_yes` and the input of the same
    name has an enum containing "YES"; the node's input value (its default); the output's valueFrom.default.
    """
    declared = {str(p.get("name")): p for p in template.input_parameters()}
    values: dict[str, str] = {}
    for param in template.output_parameters():
        name = str(param.get("name"))
        value_from = param.get("valueFrom") or {}
        decl = declared.get(name, {})
        if name in parameters:
            value = text_of(parameters[name])
        elif "supplied" in value_from and prefer_yes and "YES" in enum_of(decl):
            value = "YES"
        elif name in inputs:
            value = inputs[name]
        elif "default" in value_from:
            value = text_of(value_from["default"])
        else:
            raise InputError(f"{who}: output {name!r} needs a value; pass it as a resume parameter")
        if decl:
            check_enum(decl, value, who)
        values[name] = value
    return values


def default_outputs(template: Template) -> dict[str, str]:
    """Outputs of a Skipped/Omitted node: each output's valueFrom.default (Argo v4.0.7+)."""
    return {
        str(p["name"]): text_of(p["valueFrom"]["default"])
        for p in template.output_parameters()
        if "default" in (p.get("valueFrom") or {})
    }


def dag_outputs(template: Template, scope: Scope) -> dict[str, str]:
    """A completed DAG's outputs from `valueFrom.parameter` (or `valueFrom.default` when that output is missing)."""
    outputs: dict[str, str] = {}
    for k, param in enumerate(template.output_parameters()):
        value_from = param.get("valueFrom") or {}
        path = f"{template.path}.outputs.parameters[{k}].valueFrom"
        try:
            outputs[str(param["name"])] = substitute(
                text_of(value_from.get("parameter", "")), scope, f"{path}.parameter"
            )
        except MissingOutput:
            if "default" not in value_from:
                raise
            outputs[str(param["name"])] = text_of(value_from["default"])
    return outputs
