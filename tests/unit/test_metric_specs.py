import pytest

from steps.errors import InvalidInputError
from steps.logic.metrics import item_fields, parse_metric_specs, score_names
from steps.logic.metrics.checks import NumberCheckSpec, StringCheckSpec
from steps.logic.metrics.tool_calling import ToolCallingSpec


def test_every_type_reads_with_its_defaults_and_score_names():
    specs = parse_metric_specs(
        [
            {"name": "em", "type": "exact-match", "reference": "{{item.answer}}"},
            {"name": "f1", "type": "f1", "reference": "{{item.golds}}"},
            {"name": "has", "type": "string-check", "check": ["{{sample.output_text}}", "contains", "{{item.a}}"]},
            {"name": "num", "type": "number-check", "check": ["{{item.n}}", "==", "{{sample.output_text}}"]},
            {"name": "tools", "type": "tool-calling"},
            {"name": "answer", "type": "json-fields", "fields": ["x", "y"], "ignore_case": ["x"], "balanced": ["y"]},
        ]
    )
    assert [score_names(spec) for spec in specs] == [
        ("em.exact-match",),
        ("f1.f1",),
        ("has.string-check",),
        ("num.number-check",),
        ("tools.function_name_accuracy", "tools.function_name_and_args_accuracy"),
        ("answer.valid_json", "answer.x", "answer.y", "answer.all_fields_exact", "answer.y_balanced"),
    ]
    assert [item_fields(spec) for spec in specs] == [{"answer"}, {"golds"}, {"a"}, {"n"}, {"tool_calls"}, {"reference"}]
    assert specs[0].candidate == "{{sample.output_text}}"


def test_check_form_and_nemo_form_are_the_same_spec():
    short = StringCheckSpec.model_validate(
        {"name": "s", "type": "string-check", "check": ["{{sample.output_text}}", "starts-with", "{{item.a}}"]}
    )
    long = StringCheckSpec.model_validate(
        {
            "name": "s",
            "type": "string-check",
            "left_template": "{{sample.output_text}}",
            "operation": "startswith",
            "right_template": "{{item.a}}",
        }
    )
    assert short == long
    assert short.operation == "startswith"  # the alias is stored under NeMo's spelling


def test_tool_calling_reads_nemo_platform_reference_name():
    spec = ToolCallingSpec.model_validate({"name": "t", "type": "tool-calling", "reference": "{{item.calls}}"})
    assert spec.tool_calls_ground_truth == "{{item.calls}}"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "x", "type": "bleu-9"}, r"evaluation.metrics\[0\]: Input tag 'bleu-9'"),
        ({"name": "x"}, r"evaluation.metrics\[0\]: Unable to extract tag"),
        ({"name": "Bad Name", "type": "f1", "reference": "{{item.a}}"}, r"\[0\].name: String should match"),
        ({"name": "x", "type": "f1"}, r"\[0\].reference: Field required"),
        ({"name": "x", "type": "f1", "reference": "{{item.a}}", "extra": 1}, r"\[0\].extra: Extra inputs"),
        ({"name": "x", "type": "exact-match", "reference": "{{ answer }}"}, r"parameter 'reference': the template"),
        ({"name": "x", "type": "exact-match", "reference": "{{ item.a "}, "syntax error"),
        (
            {"name": "x", "type": "string-check", "check": ["{{sample.output_text}}", "like", "a"]},
            r"\[0\].operation: Input should be",
        ),
        ({"name": "x", "type": "string-check", "check": ["a", "contains"]}, "must be a list"),
        ({"name": "x", "type": "string-check", "check": ["{{sample.output_text}}", "regex", "("]}, "not a regular"),
        (
            {"name": "x", "type": "number-check", "check": ["{{item.n}}", "absolute difference", "{{sample.a}}"]},
            "needs `epsilon`",
        ),
        (
            {"name": "x", "type": "number-check", "check": ["{{item.n}}", "==", "{{sample.a}}"], "epsilon": 1},
            "goes only with",
        ),
        ({"name": "x", "type": "json-fields", "fields": []}, r"\[0\].fields: List should have at least 1"),
        ({"name": "x", "type": "json-fields", "fields": ["a"], "balanced": ["b"]}, r"balanced names \['b'\]"),
        ({"name": "x", "type": "json-fields", "fields": ["valid_json"]}, "collides"),
        ({"name": "x", "type": "json-fields", "fields": ["a", "a"]}, "twice"),
    ],
)
def test_bad_specs_are_named(spec, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_metric_specs([spec])


def test_repeated_metric_names_are_refused():
    spec = {"name": "em", "type": "exact-match", "reference": "{{item.a}}"}
    with pytest.raises(InvalidInputError, match=r"\['em'\] used more than once"):
        parse_metric_specs([spec, spec])


def test_all_problems_are_reported_at_once():
    with pytest.raises(InvalidInputError) as caught:
        parse_metric_specs([{"name": "a", "type": "f1"}, {"name": "b", "type": "nope"}], where="run.yaml:evaluation")
    assert "run.yaml:evaluation[0].reference" in str(caught.value)
    assert "run.yaml:evaluation[1]" in str(caught.value)


def test_number_check_epsilon_must_not_be_negative():
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        NumberCheckSpec.model_validate(
            {"name": "n", "type": "number-check", "check": ["1", "absolute difference", "2"], "epsilon": -1}
        )
