"""The xLAM converter on hand-written rows in the published layout (JSON strings inside JSONL rows)."""

import json

import pytest

from steps.errors import InvalidInputError
from steps.logic.anonymize import anonymize_record
from steps.logic.chat_records import evaluation_row, training_row
from steps.logic.dataset_formats import convert_rows, select_rows
from steps.logic.xlam_records import NO_CALL_TEXT, tutorial_choice

GIVEAWAYS = {
    "name": "live_giveaways_by_type",
    "description": "Retrieve live giveaways from the GamerPower API based on the specified type.",
    "parameters": {
        "type": {
            "description": "The type of giveaways to retrieve (e.g., game, loot, beta).",
            "type": "str",
            "default": "game",
        }
    },
}
CITIES = {
    "name": "cities_search",
    "description": "Search cities.",
    "parameters": {
        "q": {"description": "Name prefix.", "type": "str"},
        "limit": {"description": "How many.", "type": "int, optional", "default": 10},
        "country_ids": {"description": "Countries.", "type": "List[str]"},
        "asciimode": {"description": "ASCII names.", "type": "bool, optional", "default": ""},
    },
}


def xlam(query: str, tools: list, answers: list, **extra) -> dict:
    """A row as the published data set writes it: tools and answers are JSON strings."""
    return {"query": query, "tools": json.dumps(tools), "answers": json.dumps(answers), **extra}


def test_the_published_example_becomes_a_chat_record_with_openai_tools_and_parallel_calls():
    row = xlam(
        "Where can I find live giveaways for beta access and games?",
        [GIVEAWAYS],
        [
            {"name": "live_giveaways_by_type", "arguments": {"type": "beta"}},
            {"name": "live_giveaways_by_type", "arguments": {"type": "game"}},
        ],
        id=0,
    )
    record = convert_rows([(1, row)], "xlam", "s")[0].record
    assert record.id == "0"
    assert training_row(record) == {
        "messages": [
            {"role": "user", "content": "Where can I find live giveaways for beta access and games?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_0",
                        "type": "function",
                        "function": {"name": "live_giveaways_by_type", "arguments": '{"type": "beta"}'},
                    },
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "live_giveaways_by_type", "arguments": '{"type": "game"}'},
                    },
                ],
            },
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "live_giveaways_by_type",
                    "description": GIVEAWAYS["description"],
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "type": {
                                "type": "string",
                                "description": "The type of giveaways to retrieve (e.g., game, loot, beta).",
                                "default": "game",
                            }
                        },
                        "required": [],
                    },
                },
            }
        ],
    }
    test_row = evaluation_row(record)
    assert (
        test_row["reference"] == ""
        and [c["function"]["name"] for c in test_row["tool_calls"]] == ["live_giveaways_by_type"] * 2
    )


def test_required_means_no_default_and_not_optional_and_empty_defaults_are_not_written():
    row = xlam("Cities starting with Ber", [CITIES], [{"name": "cities_search", "arguments": {"q": "Ber"}}])
    function = convert_rows([(1, row)], "xlam", "s")[0].record.tools[0]["function"]
    assert function["parameters"]["required"] == ["q", "country_ids"]
    assert function["parameters"]["properties"] == {
        "q": {"type": "string", "description": "Name prefix."},
        "limit": {"type": "integer", "description": "How many.", "default": 10},
        "country_ids": {"type": "array", "items": {"type": "string"}, "description": "Countries."},
        "asciimode": {"type": "boolean", "description": "ASCII names."},
    }


def test_a_row_without_a_call_expects_text_and_its_test_row_expects_no_call():
    plain = convert_rows([(1, xlam("Tell me a joke", [GIVEAWAYS], []))], "xlam", "s")[0].record
    assert plain.messages[-1].content == NO_CALL_TEXT and plain.messages[-1].tool_calls is None
    own = xlam("Hello!", [GIVEAWAYS], [], answer_text="Hello! How can I help?", kind="none")
    record = convert_rows([(1, own)], "xlam", "s")[0].record
    row = evaluation_row(record)
    assert row["reference"] == "Hello! How can I help?" and row["tool_calls"] == [] and row["kind"] == "none"
    assert "answer_text" not in row


def test_every_bad_row_is_reported_at_once_with_its_line_and_field():
    good = xlam("Giveaways?", [GIVEAWAYS], [{"name": "live_giveaways_by_type", "arguments": {}}])
    rows = [
        (1, good),
        (2, {**good, "tools": '[{"name": "live_giveaways_by_type", '}),
        (3, {**good, "answers": "[{'name': 'x'}]"}),
        (4, xlam("q", [{**CITIES, "parameters": {"q": {"type": "Frobnicator"}}}], [])),
        (5, xlam("q", [GIVEAWAYS], [{"name": "not_offered", "arguments": {}}])),
        (6, xlam("q", [GIVEAWAYS], [{"name": "live_giveaways_by_type", "arguments": "[1]"}])),
        (7, xlam("", [GIVEAWAYS], [], answer_text="")),
        (8, {"query": "q", "answers": "[]"}),
        (9, xlam("q", [GIVEAWAYS], [{"name": "live_giveaways_by_type", "arguments": {}}], answer_text="hi")),
    ]
    with pytest.raises(InvalidInputError) as info:
        convert_rows(rows, "xlam", "data.jsonl")
    message = str(info.value)
    for expected in (
        "data.jsonl:2: tools: not valid JSON: Expecting",
        "data.jsonl:3: answers: not valid JSON: Expecting property name enclosed in double quotes",
        "data.jsonl:4: tools.0.parameters.q.type: unknown type 'Frobnicator'",
        "data.jsonl:5: answers.0.name: 'not_offered' is not one of the row's tools (live_giveaways_by_type)",
        "data.jsonl:6: answers.0.arguments: expected an object, got list",
        "data.jsonl:7: query: a non-empty string is required",
        "data.jsonl:7: answer_text: must be a non-empty string",
        "data.jsonl:8: tools: Field required",
        "data.jsonl:9: answer_text: only for rows whose answers are []",
    ):
        assert expected in message, expected
    assert "data.jsonl:1:" not in message and "9 problem(s)" in message


def test_the_tutorial_selection_keeps_single_calls_with_small_readable_tools():
    wide = {**CITIES, "parameters": {f"p{i}": {"type": "str"} for i in range(9)}}
    odd = {**CITIES, "parameters": {"f": {"type": "Frobnicator"}}}
    one = [{"name": "live_giveaways_by_type", "arguments": {"type": "beta"}}]
    rows = [
        (1, xlam("one call", [GIVEAWAYS], one)),
        (2, xlam("two calls", [GIVEAWAYS], one * 2)),
        (3, xlam("no call", [GIVEAWAYS], [])),
        (4, xlam("nine parameters", [GIVEAWAYS, wide], one)),
        (5, xlam("unmapped type", [GIVEAWAYS, odd], one)),
        (6, {**xlam("broken", [GIVEAWAYS], one), "tools": "[{"}),
    ]
    kept, left_out = select_rows(rows, "xlam-tutorial")
    assert [line for line, _ in kept] == [1, 6]  # an unreadable row is kept, so the converter reports it
    assert left_out == {
        "a parameter type this converter does not map": 1,
        "a tool with more than 8 parameters": 1,
        "more than one tool call": 1,
        "no tool call": 1,
    }
    assert select_rows(rows, "xlam") == (rows, {})
    assert tutorial_choice(rows[0][1]) is None
    with pytest.raises(InvalidInputError, match=r"s:6: tools: not valid JSON"):
        convert_rows(kept, "xlam-tutorial", "s")


def test_pii_in_the_query_and_in_the_expected_call_gets_the_same_placeholder():
    tool = {"name": "check_email", "description": "Validate.", "parameters": {"email": {"type": "str"}}}
    row = xlam(
        "Is jo.lee@example.com valid?", [tool], [{"name": "check_email", "arguments": {"email": "jo.lee@example.com"}}]
    )
    record, counts = anonymize_record(convert_rows([(1, row)], "xlam", "s")[0].record)
    assert record.messages[0].content == "Is <EMAIL_1> valid?"
    assert json.loads(record.messages[1].tool_calls[0].function.arguments) == {"email": "<EMAIL_1>"}
    assert counts["email"] == 2
    assert anonymize_record(record)[0] == record


def test_openai_chat_tool_call_arguments_must_be_a_json_object():
    row = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{"}}]},
        ]
    }
    with pytest.raises(InvalidInputError, match=r"s:1: messages.1.tool_calls.0.function.arguments: .*not JSON"):
        convert_rows([(1, row)], "openai-chat", "s")


def test_prepare_data_says_what_the_selection_left_out_and_fails_when_nothing_is_left(tmp_path, capsys):
    from steps.prepare_data import build_splits

    one = [{"name": "live_giveaways_by_type", "arguments": {"type": "beta"}}]
    rows = [xlam(f"giveaways {i}", [GIVEAWAYS], one, id=i) for i in range(6)] + [xlam("two", [GIVEAWAYS], one * 2)]
    source = tmp_path / "xlam.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    files, _ = build_splits(source, "xlam-tutorial", "", 0.2, 0.2, 0)
    assert sum(len(split) for split in files.values()) == 6
    assert (
        f"{source}: the xlam-tutorial selection left out 1 row(s): 1 with more than one tool call"
        in capsys.readouterr().out
    )
    assert sum(len(split) for split in build_splits(source, "xlam", "", 0.2, 0.2, 0)[0].values()) == 7
    source.write_text(json.dumps(rows[-1]) + "\n")
    with pytest.raises(InvalidInputError, match="the xlam-tutorial selection left no rows"):
        build_splits(source, "xlam-tutorial", "", 0.2, 0.2, 0)
