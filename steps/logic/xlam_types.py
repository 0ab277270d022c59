"""Python-style type names of xLAM tool parameters (`"List[str]"`, `"int, optional"`) as JSON Schema.

The mapping (an exact reading, never a fallback):
- `str`/`string` -> string; `int`/`integer` -> integer; `float`/`number` -> number; `bool`/`boolean` -> boolean;
- `list`/`List`, `tuple`/`Tuple`, `set`/`Set` -> array; `List[X]`/`Set[X]` -> array of X; `Tuple[X, Y]` -> array
  with one schema per position (`Tuple[X, ...]`: array of X); `dict`/`Dict` -> object; `Dict[str, V]` -> object
  whose values are V (`Dict[str, Any]`: any values);
- `Any` -> any value (a schema without `type`); `Callable`/`Callable[[...], ...]`/`callable`/`function` -> string
  (xLAM writes such arguments as source text, e.g. `"lambda x: x**2"`; NVIDIA's tutorial maps them the same way);
- `Optional[X]` -> X and the parameter is optional; `Union[X, Y]` -> anyOf (a `None` member makes it optional);
- a suffix `, optional` (how xLAM writes most optional parameters) makes the parameter optional; a suffix
  `, default=<Python literal>` (one with a JSON form: not a set, bytes or a complex number) also gives its default.
Generic names are read in either case (`List`/`list`, `Optional`/`optional`). Anything else raises UnknownType.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

_SIMPLE: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "string": {"type": "string"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "boolean": {"type": "boolean"},
    "list": {"type": "array"},
    "tuple": {"type": "array"},
    "set": {"type": "array"},
    "dict": {"type": "object"},
    "any": {},
    "callable": {"type": "string"},
    "function": {"type": "string"},
}
_ARRAYS = ("list", "set", "sequence")
_TOKEN = re.compile(r"\s*(\.\.\.|[A-Za-z_][A-Za-z0-9_.]*|[\[\],])")
KNOWN = "str, int, float, bool, list, dict, tuple, set, Any, Callable, List[X], Dict[K, V], Tuple, Optional[X], Union"


class UnknownType(ValueError):
    """A type name this mapping does not read; the message names it and what is known."""


@dataclass(frozen=True)
class ParameterType:
    schema: dict[str, Any]
    optional: bool  # Optional[...], a None member of a Union, or a ", optional" / ", default=" suffix
    default: Any = None
    has_default: bool = False


def _tokens(text: str) -> list[str]:
    tokens, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            if text[at:].strip():
                raise UnknownType(f"cannot read {text!r} at {text[at:]!r}")
            break
        tokens.append(match.group(1))
        at = match.end()
    return tokens


class _Reader:
    """Recursive descent over `name[arg, ...]`; yields (schema, holds None)."""

    def __init__(self, text: str) -> None:
        self.text, self.tokens, self.at = text, _tokens(text), 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise UnknownType(f"cannot read {self.text!r}: expected {expected or 'a type'} at the end")
        self.at += 1
        return token

    def arguments(self) -> list[tuple[dict[str, Any], bool]]:
        self.take("[")
        items = [self.type()]
        while self.peek() == ",":
            self.take(",")
            items.append(self.type())
        self.take("]")
        return items

    def type(self) -> tuple[dict[str, Any], bool]:
        if self.peek() == "[":  # a Callable's parameter list
            self.arguments()
            return {"type": "string"}, False
        if self.peek() == "...":
            self.take()
            return {"...": True}, False
        name = self.take()
        short = name.rsplit(".", 1)[-1].lower()  # typing.List -> list
        if short in ("none", "nonetype"):
            return {"type": "null"}, True
        if self.peek() != "[":
            if short not in _SIMPLE:
                raise UnknownType(f"unknown type {name!r} in {self.text!r}; known: {KNOWN}")
            return dict(_SIMPLE[short]), False
        items = self.arguments()
        return self._generic(name, short, items)

    def _generic(self, name: str, short: str, items: list[tuple[dict[str, Any], bool]]) -> tuple[dict[str, Any], bool]:
        schemas = [schema for schema, _ in items]
        if short == "optional" and len(items) == 1:
            return schemas[0], True
        if short == "union":
            members = [schema for schema, is_none in items if not is_none]
            holds_none = len(members) < len(items)
            if not members:
                raise UnknownType(f"{self.text!r}: a Union of None only")
            return (members[0] if len(members) == 1 else {"anyOf": members}), holds_none
        if short in _ARRAYS and len(items) == 1:
            return _array(schemas[0]), False
        if short == "tuple":
            if len(schemas) == 2 and schemas[1] == {"...": True}:
                return _array(schemas[0]), False
            if {"...": True} in schemas:
                raise UnknownType(f"{self.text!r}: '...' only as Tuple[X, ...]")
            return {"type": "array", "prefixItems": schemas, "minItems": len(schemas), "maxItems": len(schemas)}, False
        if short in ("dict", "mapping") and len(items) == 2:
            values = schemas[1]
            return ({"type": "object"} if not values else {"type": "object", "additionalProperties": values}), False
        if short == "callable":
            return {"type": "string"}, False
        raise UnknownType(f"unknown type {name}[...] with {len(items)} argument(s) in {self.text!r}; known: {KNOWN}")


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items} if items else {"type": "array"}


def _split_suffix(text: str) -> tuple[str, str]:
    """`"int, optional"` -> ("int", "optional"): the part after the first comma outside brackets."""
    depth = 0
    for at, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            return text[:at].strip(), text[at + 1 :].strip()
    return text.strip(), ""


def _json_value(value: Any) -> bool:
    """Whether a Python literal has a JSON form (the JSON schema's default holds it); tuples read as lists."""
    if value is None or isinstance(value, str | int | float):
        return True
    if isinstance(value, list | tuple):
        return all(_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(
            (key is None or isinstance(key, str | int | float)) and _json_value(item) for key, item in value.items()
        )
    return False


def parameter_type(text: object) -> ParameterType:
    """The JSON Schema of one xLAM type string and whether it makes its parameter optional."""
    if not isinstance(text, str) or not text.strip():
        raise UnknownType(f"a parameter type must be a non-empty string, got {text!r}")
    base, suffix = _split_suffix(text)
    reader = _Reader(base)
    try:
        schema, holds_none = reader.type()
    except RecursionError:
        raise UnknownType(f"cannot read {text[:80]!r}...: nested too deeply") from None
    if reader.peek() is not None:
        raise UnknownType(f"cannot read {text!r}: unexpected {reader.peek()!r}")
    if schema == {"...": True}:
        raise UnknownType(f"cannot read {text!r}")
    if not suffix:
        return ParameterType(schema, holds_none)
    if suffix.lower() == "optional":
        return ParameterType(schema, True)
    if suffix.lower().startswith("default="):
        literal = suffix[len("default=") :].strip()
        try:
            default = ast.literal_eval(literal)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):  # TypeError: {[]}, unhashable
            raise UnknownType(f"{text!r}: the default {literal!r} is not a Python literal") from None
        if not _json_value(default):
            raise UnknownType(f"{text!r}: the default {literal!r} has no JSON form (a set, bytes or a complex number)")
        return ParameterType(schema, True, default, True)
    raise UnknownType(f"cannot read {text!r}: after the type, only ', optional' or ', default=<value>' may follow")
