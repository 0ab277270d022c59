"""Metric templates: Jinja2 in a sandbox over `item` (the dataset row) and `sample` (the model's answer).

The semantics follow NeMo Evaluator's: a template that is exactly one expression (`{{ item.tool_calls }}`)
evaluates to the native value (list, dict, number); such an expression that ends in the `tojson` filter is
parsed back from JSON; any other template renders to a string. A name the row lacks is an error
(StrictUndefined), never an empty string. `item.x` reads the row's field `x` even where a dict method has
the same name (`item.values`, `item.items`).

Unlike NeMo, a template may name only `item` and `sample` (NeMo also lets the row's fields appear bare).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from steps.errors import InvalidInputError

CONTEXT_NAMES = frozenset({"item", "sample"})
# What rendering a checked template can raise: jinja2's errors (a missing name, the sandbox's refusals), and
# those of the Python operations a template may run (`{{ 1/0 }}`, `{{ [].pop() }}`, a `tojson` that fails).
RENDER_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, LookupError)


class _MetricEnvironment(SandboxedEnvironment):
    """Attribute access on a dict reads its key first, so a dataset field may be called `values`."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENV = _MetricEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=1024)
def _parse(template: str) -> nodes.Template:
    return _ENV.parse(template)


@lru_cache(maxsize=1024)
def _names(template: str) -> frozenset[str]:
    """The names a template reads (jinja2 finds them by compiling it: once per template, not once per row)."""
    return frozenset(meta.find_undeclared_variables(_parse(template)))


@lru_cache(maxsize=1024)
def _compiled(template: str) -> Any:
    return _ENV.from_string(template)


@lru_cache(maxsize=1024)
def _compiled_expression(expression: str) -> Any:
    return _ENV.compile_expression(expression, undefined_to_none=False)


def template_problem(template: str) -> str | None:
    """What is wrong with a template (a syntax error, a name other than item and sample), or None."""
    try:
        unknown = _names(template) - CONTEXT_NAMES
    except TemplateSyntaxError as exc:
        return f"template syntax error on its line {exc.lineno}: {exc.message}"
    if unknown:
        return (
            f"the template names {sorted(unknown)}; a metric template can name only `item` (the dataset row, "
            "e.g. {{item.reference}}) and `sample` (the model's answer: sample.output_text, sample.tool_calls, "
            "sample.response)"
        )
    return None


def check_template(template: str) -> None:
    """Raise InvalidInputError when the template does not parse or names anything but item and sample."""
    problem = template_problem(template)
    if problem is not None:
        raise InvalidInputError(f"{problem}: {template!r}")


def template_fields(template: str) -> set[str]:
    """The top-level dataset fields a template names: `item.x` and `item['x']` give `x`."""
    check_template(template)
    fields: set[str] = set()
    ast = _parse(template)
    for attribute in ast.find_all(nodes.Getattr):
        if isinstance(attribute.node, nodes.Name) and attribute.node.name == "item":
            fields.add(attribute.attr)
    for subscript in ast.find_all(nodes.Getitem):
        key = subscript.arg.value if isinstance(subscript.arg, nodes.Const) else None
        if isinstance(subscript.node, nodes.Name) and subscript.node.name == "item" and isinstance(key, str):
            fields.add(key)
    return fields


def names_sample(template: str) -> bool:
    """Whether a template reads the model's answer (names `sample`)."""
    check_template(template)
    return "sample" in _names(template)


def _single_expression(template: str) -> str | None:
    """The expression source when the template is exactly one `{{ ... }}`, else None."""
    stripped = template.strip()
    if not (stripped.startswith("{{") and stripped.endswith("}}")):
        return None
    if stripped.count("{{") != 1 or stripped.count("}}") != 1 or "{%" in stripped or "{#" in stripped:
        return None
    inner = stripped[2:-2]
    if inner[:1] in ("-", "+"):
        inner = inner[1:]
    if inner[-1:] in ("-", "+"):
        inner = inner[:-1]
    return inner.strip()


def _ends_in_tojson(template: str) -> bool:
    body = _parse(template).body
    if len(body) != 1 or not isinstance(body[0], nodes.Output):
        return False
    expressions = [node for node in body[0].nodes if not isinstance(node, nodes.TemplateData)]
    return len(expressions) == 1 and isinstance(expressions[0], nodes.Filter) and expressions[0].name == "tojson"


def render_template(template: str, context: dict[str, Any]) -> Any:
    """Render a checked template: the native value of a single expression, else the rendered string.

    Raises jinja2's errors (UndefinedError for a missing name, SecurityError) and json's for a `tojson`
    expression whose output does not parse.
    """
    check_template(template)
    expression = _single_expression(template)
    if expression is None:
        return _compiled(template).render(context)
    value = _compiled_expression(expression)(**context)
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming what is missing
    if isinstance(value, str) and _ends_in_tojson(template):
        return json.loads(value)
    return value
