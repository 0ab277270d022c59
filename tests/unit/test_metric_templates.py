import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from steps.errors import InvalidInputError
from steps.logic.metrics import check_template, render_template, template_fields
from steps.logic.metrics.templates import names_sample, template_problem

ITEM = {"id": "r1", "answer": "Paris", "n": 42, "tool_calls": [{"type": "function"}], "values": "v", "a-b": 1}
CONTEXT = {"item": ITEM, "sample": {"output_text": " The answer ", "tool_calls": None, "response": {}}}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{item.answer}}", "Paris"),
        ("{{ item.n }}", 42),  # a single expression keeps its native value
        ("  {{- item.tool_calls -}} ", [{"type": "function"}]),
        ("{{ item.tool_calls | tojson }}", [{"type": "function"}]),  # tojson is parsed back, as NeMo does
        ("{{ sample.tool_calls }}", None),
        ("n={{ item.n }}", "n=42"),  # anything else renders to text
        ("{{ item.n }}{{ item.answer }}", "42Paris"),
        ("{% if item.n > 1 %}big{% endif %}", "big"),
        ("{{ sample.output_text | trim | lower }}", "the answer"),
        ("{{ item.values }}", "v"),  # a dataset field wins over the dict method of the same name
        ("{{ item['a-b'] }}", 1),
        ("plain text", "plain text"),
    ],
)
def test_render(template, expected):
    assert render_template(template, CONTEXT) == expected


def test_missing_field_raises():
    with pytest.raises(UndefinedError, match="missing"):
        render_template("{{ item.missing }}", CONTEXT)
    with pytest.raises(UndefinedError):
        render_template("x {{ item.missing }}", CONTEXT)


def test_sandbox_refuses_unsafe_attributes():
    with pytest.raises(SecurityError):
        render_template("{{ item.__class__.__mro__ }}", CONTEXT)


@pytest.mark.parametrize(
    ("template", "fields"),
    [
        ("{{item.answer}}", {"answer"}),
        ("{{ item['answer'] }} {{ item.golds[0] }} {{ item.meta.city }}", {"answer", "golds", "meta"}),
        ("{{ sample.output_text }}", set()),
        ("{% for t in item.tool_calls %}{{ t.name }}{% endfor %}", {"tool_calls"}),
        ("{{ item | tojson }}", set()),
    ],
)
def test_template_fields(template, fields):
    assert template_fields(template) == fields


def test_check_template_names_the_problem():
    check_template("{{ item.x }} {{ sample.output_text }}")
    with pytest.raises(InvalidInputError, match="syntax error"):
        check_template("{{ item.x ")
    with pytest.raises(InvalidInputError, match=r"names \['output_text'\]"):
        check_template("{{ output_text }}")
    assert template_problem("{{ item.x }}") is None


def test_names_sample():
    assert names_sample("{{ sample.output_text }}")
    assert not names_sample("{{ item.answer }}")
