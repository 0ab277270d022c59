"""xLAM's Python-style parameter types read as JSON Schema: an exact mapping, an error for anything else."""

import pytest

from steps.logic.xlam_types import UnknownType, parameter_type


@pytest.mark.parametrize(
    ("text", "schema", "optional"),
    [
        ("str", {"type": "string"}, False),
        ("int", {"type": "integer"}, False),
        ("float", {"type": "number"}, False),
        ("bool", {"type": "boolean"}, False),
        ("list", {"type": "array"}, False),
        ("dict", {"type": "object"}, False),
        ("tuple", {"type": "array"}, False),
        ("Any", {}, False),
        ("List[str]", {"type": "array", "items": {"type": "string"}}, False),
        ("List[int]", {"type": "array", "items": {"type": "integer"}}, False),
        ("list[dict]", {"type": "array", "items": {"type": "object"}}, False),
        ("List[List[int]]", {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}, False),
        ("Set[str]", {"type": "array", "items": {"type": "string"}}, False),
        ("Dict[str, Any]", {"type": "object"}, False),
        ("Dict[str, int]", {"type": "object", "additionalProperties": {"type": "integer"}}, False),
        ("Tuple[int, ...]", {"type": "array", "items": {"type": "integer"}}, False),
        (
            "Tuple[float, str]",
            {"type": "array", "prefixItems": [{"type": "number"}, {"type": "string"}], "minItems": 2, "maxItems": 2},
            False,
        ),
        ("Optional[int]", {"type": "integer"}, True),
        ("Optional[List[str]]", {"type": "array", "items": {"type": "string"}}, True),
        ("Union[int, float]", {"anyOf": [{"type": "integer"}, {"type": "number"}]}, False),
        ("Union[str, None]", {"type": "string"}, True),
        ("str, optional", {"type": "string"}, True),
        ("int, optional", {"type": "integer"}, True),
        ("List[int], optional", {"type": "array", "items": {"type": "integer"}}, True),
        ("Callable[[float], float]", {"type": "string"}, False),
        ("callable", {"type": "string"}, False),
        ("typing.List[str]", {"type": "array", "items": {"type": "string"}}, False),
    ],
)
def test_python_type_names_become_json_schema(text, schema, optional):
    kind = parameter_type(text)
    assert (kind.schema, kind.optional, kind.has_default) == (schema, optional, False)


def test_a_default_in_the_type_string_makes_the_parameter_optional_with_that_default():
    kind = parameter_type("str, default='London'")
    assert (kind.schema, kind.optional, kind.default, kind.has_default) == ({"type": "string"}, True, "London", True)
    assert parameter_type("int, default=3").default == 3


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Frobnicator", "unknown type 'Frobnicator'"),
        ("List[Frob]", "unknown type 'Frob'"),
        ("str, mandatory", "only ', optional' or ', default=<value>'"),
        ("str, default=London", "not a Python literal"),
        ("List[int", "expected ]"),
        ("Dict[str]", "unknown type Dict[...] with 1 argument"),
        ("int | None", "cannot read"),
        ("", "non-empty string"),
        (None, "non-empty string"),
    ],
)
def test_anything_else_is_an_error_that_names_it(text, says):
    with pytest.raises(UnknownType) as info:
        parameter_type(text)
    assert says in str(info.value)
