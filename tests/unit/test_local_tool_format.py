"""How the local models see tools and tool calls: written into message contents, read back by the parser."""

import json

import pytest

from steps.errors import InvalidInputError
from steps.local.chat_format import TOOLS_FOOTER, TOOLS_HEADER, plain_messages, tool_calls_text, tool_line
from steps.logic.tool_call_parsing import parse_tool_calls

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name."},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "array", "items": {"type": "integer"}},
                "extra": {},
            },
            "required": ["city"],
        },
    },
}
CALL = {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}


def test_a_conversation_without_tools_or_calls_is_passed_through_as_it_is():
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi", "name": "x"}]
    assert plain_messages(messages) is messages and plain_messages(messages, []) is messages


def test_a_tool_is_one_line_with_its_arguments_types_and_what_is_optional():
    assert tool_line(WEATHER) == (
        'get_weather(city: string, unit?: "celsius"|"fahrenheit", days?: integer[], extra?: any)'
        " - Current weather in a city."
    )
    assert tool_line({"name": "ping"}) == "ping()"
    with pytest.raises(InvalidInputError, match="function name"):
        tool_line({"type": "function", "function": {}})


def test_tools_are_listed_in_a_system_message_of_their_own_or_after_the_existing_one():
    user = {"role": "user", "content": "Weather in Oslo?"}
    listing = "\n".join([TOOLS_HEADER, tool_line(WEATHER), TOOLS_FOOTER])
    assert plain_messages([user], [WEATHER]) == [{"role": "system", "content": listing}, user]
    system = {"role": "system", "content": "Be brief."}
    assert plain_messages([system, user], [WEATHER]) == [{"role": "system", "content": f"Be brief.\n\n{listing}"}, user]


def test_assistant_calls_become_a_compact_json_list_that_the_parser_reads_back():
    second = {"type": "function", "function": {"name": "get_time", "arguments": {"city": "Lima"}}}
    messages = [
        {"role": "user", "content": "Weather in Oslo and time in Lima?"},
        {"role": "assistant", "content": None, "tool_calls": [CALL, second]},
        {"role": "tool", "tool_call_id": "call_0", "content": "sunny"},
    ]
    plain = plain_messages(messages)
    text = '[{"name":"get_weather","arguments":{"city":"Oslo"}},{"name":"get_time","arguments":{"city":"Lima"}}]'
    assert plain[1] == {"role": "assistant", "content": text} and plain[2] is messages[2]
    parsed = parse_tool_calls(plain[1]["content"])
    assert parsed.content is None
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in parsed.tool_calls] == [
        ("get_weather", {"city": "Oslo"}),
        ("get_time", {"city": "Lima"}),
    ]
    with_text = plain_messages([{"role": "assistant", "content": "Checking.", "tool_calls": [CALL]}])
    assert with_text[0]["content"] == 'Checking.\n[{"name":"get_weather","arguments":{"city":"Oslo"}}]'


def test_a_call_whose_arguments_are_not_a_json_object_cannot_be_written():
    bad = {"type": "function", "function": {"name": "get_weather", "arguments": "city=Oslo"}}
    with pytest.raises(InvalidInputError, match="JSON object"):
        tool_calls_text([bad])
