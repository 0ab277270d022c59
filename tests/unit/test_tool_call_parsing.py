"""Tool calls read from generated text: the shapes models write, and never a guess."""

import json

import pytest

from steps.logic.tool_call_parsing import parse_tool_calls

WEATHER = {"name": "get_weather", "arguments": {"city": "Oslo"}}
TIME = {"name": "get_time", "arguments": {"city": "Lima"}}


def calls(text: str) -> list[tuple[str, dict]]:
    return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in parse_tool_calls(text).tool_calls]


@pytest.mark.parametrize(
    ("text", "content"),
    [
        (json.dumps(WEATHER), None),
        (json.dumps([WEATHER]), None),
        ('[{"name":"get_weather","arguments":{"city":"Oslo"}}]', None),
        (f"  \n{json.dumps(WEATHER)}\n", None),
        (f"<tool_call>\n{json.dumps(WEATHER)}\n</tool_call>", None),
        (f"<tool_call>{json.dumps(WEATHER)}", None),  # cut before the closing tag
        (f"```json\n{json.dumps([WEATHER])}\n```", None),
        (f"Let me check.\n```\n{json.dumps(WEATHER)}\n```", "Let me check."),
        (f"Sure, checking Oslo: {json.dumps(WEATHER)}", "Sure, checking Oslo:"),
        ('{"name": "get_weather", "parameters": {"city": "Oslo"}}', None),  # Llama's word
        ('{"name": "get_weather", "arguments": "{\\"city\\": \\"Oslo\\"}"}', None),  # arguments as JSON text
        ('{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}', None),
    ],
)
def test_one_call_in_any_of_the_shapes_models_write(text, content):
    parsed = parse_tool_calls(text)
    assert calls(text) == [("get_weather", {"city": "Oslo"})]
    assert parsed.content == content
    call = parsed.tool_calls[0]
    assert call["type"] == "function" and call["id"] == "call_0"
    assert isinstance(call["function"]["arguments"], str)  # OpenAI: arguments are JSON text


@pytest.mark.parametrize(
    "text",
    [
        json.dumps([WEATHER, TIME]),
        f"{json.dumps(WEATHER)}\n{json.dumps(TIME)}",
        f"<tool_call>{json.dumps(WEATHER)}</tool_call>\n<tool_call>{json.dumps(TIME)}</tool_call>",
    ],
)
def test_parallel_calls_keep_their_order(text):
    assert calls(text) == [("get_weather", {"city": "Oslo"}), ("get_time", {"city": "Lima"})]
    assert [c["id"] for c in parse_tool_calls(text).tool_calls] == ["call_0", "call_1"]


@pytest.mark.parametrize(
    "text",
    [
        "It is sunny in Oslo.",
        '[{"name":"get_weather","arguments":{"city":"Oslo"}',  # cut off: not JSON
        "[{'name': 'get_weather', 'arguments': {'city': 'Oslo'}}]",  # Python, not JSON
        '{"name": "Oslo", "population": 700000}',  # JSON, but not a call
        '{"name": "get_weather"}',  # no arguments: not read as a call
        '{"name": "get_weather", "arguments": "city=Oslo"}',  # arguments not a JSON object
        '{"name": "get_weather", "arguments": {}, "parameters": {}}',
        "[]",
        f"[{json.dumps(WEATHER)}, 3]",  # one value of the list is not a call
        "<tool_call>{broken</tool_call>",  # a tagged block that does not parse
        f"{json.dumps(WEATHER)} and then some words",  # the JSON does not end the text
    ],
)
def test_text_without_a_readable_call_is_kept_whole(text):
    parsed = parse_tool_calls(text)
    assert parsed.tool_calls == [] and parsed.content == text


def test_text_around_tagged_calls_is_the_content_and_an_id_the_model_wrote_is_kept():
    text = 'Checking.\n<tool_call>{"id": "c9", "name": "get_time", "arguments": {"city": "Lima"}}</tool_call>\nDone.'
    parsed = parse_tool_calls(text)
    assert parsed.content == "Checking.\n\nDone." and parsed.tool_calls[0]["id"] == "c9"


def test_the_earliest_place_where_calls_run_to_the_end_is_taken():
    text = f'Data: {{"a": 1}} then {json.dumps(WEATHER)}'
    parsed = parse_tool_calls(text)
    assert parsed.content == 'Data: {"a": 1} then' and calls(text) == [("get_weather", {"city": "Oslo"})]


def test_a_broken_block_stays_text_while_a_whole_call_after_it_is_read():
    text = f"<tool_call>{{broken</tool_call> {json.dumps(WEATHER)}"
    parsed = parse_tool_calls(text)
    assert parsed.content == "<tool_call>{broken</tool_call>" and calls(text) == [("get_weather", {"city": "Oslo"})]
