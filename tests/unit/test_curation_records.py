"""Curation input: the production record shape, line-numbered errors, the fail/skip policy, the output layout."""

import json
from pathlib import Path

import pytest

from steps.errors import InvalidInputError
from steps.logic.chat_records import evaluation_row
from steps.logic.curation import CurationRules, curate
from steps.logic.curation.parse import parse_lines
from steps.logic.dataset_formats import convert_rows
from tests.unit.curation_logs import TOOLS, call, lines, log, many

GOOD = many(4, "billing") + many(4, "plans")


def test_an_openai_log_is_read_with_its_extras_ignored_and_its_parts_joined():
    record = log("ignored", feedback={"rating": 1, "corrected": "Better."}, timestamp="2025-03-01T10:00:00")
    record["request"]["messages"] = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Why is "}, {"type": "text", "text": "it high?"}]},
    ]
    item = parse_lines(lines(record), "s").interactions[0]
    assert [(m.role, m.content) for m in item.messages] == [("system", "Be brief."), ("user", "Why is it high?")]
    assert item.response.content == "It is 12.50 USD." and item.rating == "up" and item.feedback == "corrected"
    assert item.answer.content == "Better." and item.model == "agent-v1" and item.intent == "unspecified"
    assert item.timestamp is not None and item.timestamp.isoformat() == "2025-03-01T10:00:00+00:00"
    no_time = parse_lines(lines(log("q")), "s").interactions[0]  # falls back to the completion's `created`
    assert no_time.timestamp is not None and no_time.timestamp.isoformat() == "2025-01-01T00:00:00+00:00"


def _malformed() -> list[str]:
    empty_messages = log("q")
    empty_messages["request"]["messages"] = []
    no_user = log("q")
    no_user["request"]["messages"] = [{"role": "system", "content": "hi"}]
    no_response = log("q")
    del no_response["response"]
    empty_answer = log("q", "  ")
    image = log("q")
    image["request"]["messages"][1]["content"] = [{"type": "image_url", "image_url": {"url": "x"}}]
    return lines(
        "{not json",  # 1
        "[1, 2]",  # 2
        no_response,  # 3
        empty_messages,  # 4
        no_user,  # 5
        empty_answer,  # 6
        log("q", feedback={"rating": "meh"}),  # 7
        log("q", messages=[]),  # 8: a chat record's field at the top level
        image,  # 9
        log("q", calls=[{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{bad"}}]),  # 10
    )


EXPECTED = [
    "s.jsonl:1: (record): not valid JSON",
    "s.jsonl:2: (record): expected a JSON object, got list",
    "s.jsonl:3: response: missing; add it",
    "s.jsonl:4: request.messages: List should have at least 1 item",
    "s.jsonl:5: request.messages: no user message",
    "s.jsonl:6: response.choices.0.message: the answer is empty",
    "s.jsonl:7: feedback.rating: Input should be 'up' or 'down'",
    "s.jsonl:8: messages: not a field of a production record",
    "s.jsonl:9: request.messages.1.content: only text parts are read, got a 'image_url' part",
    "s.jsonl:10: response.choices.0.message.tool_calls.0.function.arguments: arguments text is not JSON",
]


def test_malformed_lines_fail_the_whole_batch_with_line_numbers_and_fields():
    bad = _malformed()
    with pytest.raises(InvalidInputError) as caught:
        curate(lines(*GOOD) + bad, CurationRules(), source="s.jsonl")
    message = str(caught.value)
    offset = len(GOOD)
    for expected in EXPECTED:
        number = int(expected.split(":")[1])
        assert expected.replace(f":{number}:", f":{number + offset}:", 1) in message
    assert "nothing was curated" in message and "on_invalid: skip" in message


def test_skip_lists_the_rejected_lines_and_changes_nothing_else():
    bad = _malformed()
    mixed = [bad[0], *lines(*GOOD[:4]), "", *bad[1:], *lines(*GOOD[4:])]  # a blank line is not a record
    skipped = curate(mixed, CurationRules(), source="s.jsonl", on_invalid="skip")
    alone = curate(lines(*GOOD), CurationRules(), source="s.jsonl")
    assert skipped.splits == alone.splits
    rejected = {line for line, _ in skipped.rejected}
    assert rejected == {1, *range(7, 16)}
    assert skipped.rejected[0] == (1, skipped.rejected[0].reason) and "not valid JSON" in skipped.rejected[0].reason
    report = skipped.report
    assert (report.read, report.invalid, report.valid) == (18, 10, 8)
    assert [(item.line, item.reason) for item in report.invalid_lines] == list(skipped.rejected)


def test_an_id_reused_with_other_content_is_invalid_but_a_repeated_line_is_a_duplicate():
    first, other = log("q1", id="r-1"), log("q2", id="r-1")
    with pytest.raises(InvalidInputError, match=r"s:2: id: 'r-1' is also on line 1 with other content"):
        parse_lines(lines(first, other), "s")
    parsed = parse_lines(lines(first, first), "s")
    assert len(parsed.interactions) == 2 and parsed.rejected == []


def test_unknown_policy_is_refused():
    with pytest.raises(InvalidInputError, match="on_invalid must be one of fail, skip"):
        parse_lines([], "s", "ignore")  # type: ignore[arg-type]


def test_rows_are_chat_records_that_prepare_data_accepts_as_openai_chat():
    records = [*GOOD, log("tool q", None, calls=[call("get_bill", {"month": "2025-01"})], intent="billing", id="t-1")]
    curated = curate(lines(*records), CurationRules(), source="s")
    rows = [row for split in curated.splits.values() for row in split]
    assert len(rows) == 9
    converted = convert_rows(list(enumerate(rows, start=1)), "openai-chat", "curated")
    by_id = {item.record.id: item.record for item in converted}
    tool_row = by_id["t-1"]
    assert tool_row.tools == TOOLS and tool_row.extras() == {"intent": "billing"}
    assert evaluation_row(tool_row)["tool_calls"][0]["function"] == {
        "name": "get_bill",
        "arguments": '{"month": "2025-01"}',
    }
    assert all(row["id"].startswith("row-") for row in rows if row["id"] != "t-1")  # content hashes
    json.dumps(curated.report.model_dump(mode="json"))


def test_the_documented_example_is_a_valid_record():
    text = (Path(__file__).resolve().parents[2] / "docs" / "curation.md").read_text()
    example = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    item = parse_lines([json.dumps(example)], "docs/curation.md").interactions[0]
    assert item.feedback == "corrected" and item.answer.tool_calls and item.intent == "billing"
