"""Curation: duplicates (exact and conflicting answers) and PII in every message and answer."""

from steps.logic.curation import CurationRules, curate
from steps.logic.curation.dedup import deduplicate
from steps.logic.curation.parse import parse_lines
from steps.logic.curation.privacy import anonymize_all
from tests.unit.curation_logs import call, lines, log, many


def _dedup(*records):
    return deduplicate(parse_lines(lines(*records), "s").interactions)


def test_exact_duplicates_ignore_case_white_space_call_ids_and_call_order():
    calls = [call("get_bill", {"month": "2025-01", "n": 1}, "call_a"), call("get_plan", {}, "call_b")]
    same_calls = [call("get_plan", {}, "x"), call("get_bill", {"n": 1.0, "month": "2025-01"}, "y")]
    result = _dedup(
        log("Why is my bill  HIGH?", "Because of roaming."),
        log("why is my bill high?", "because of  roaming."),
        log("Show my bill", None, calls=[call("get_bill", {"month": "2025-02", "n": 1})]),  # other arguments
        log("Show my bill", None, calls=calls),
        log("show my bill", None, calls=same_calls),
    )
    assert [item.line for item in result.kept] == [2, 5]  # the latest of equals (same created time: the later line)
    assert (result.exact_duplicates, result.conflicting_answers, result.prompts_with_conflicts) == (2, 1, 1)


def test_a_prompt_with_different_answers_keeps_the_correction_then_up_then_the_latest():
    question = "Why is my bill high?"
    result = _dedup(
        log(question, "A", feedback={"rating": "up"}, timestamp="2025-01-05T00:00:00Z"),
        log(question, "B", feedback={"rating": "down", "corrected": "C"}, timestamp="2025-01-01T00:00:00Z"),
        log(question, "D", timestamp="2025-01-09T00:00:00Z"),
    )
    assert [item.answer.content for item in result.kept] == ["C"]
    assert (result.exact_duplicates, result.conflicting_answers) == (0, 2)
    up_wins = _dedup(log(question, "A", timestamp="2025-01-09T00:00:00Z"), log(question, "B", feedback={"rating": 1}))
    assert [item.answer.content for item in up_wins.kept] == ["B"]
    latest = _dedup(
        log(question, "new", timestamp="2025-02-01T00:00:00Z"),
        log(question, "old", timestamp="2025-01-01T00:00:00Z"),
        log(question, "bad", feedback={"rating": "down"}, timestamp="2025-03-01T00:00:00Z"),
    )
    assert [item.answer.content for item in latest.kept] == ["new"]


def test_a_duplicate_keeps_a_production_record_over_a_synthetic_one():
    result = _dedup(log("q", "a"), log("q", "a", synthetic=True, timestamp="2026-01-01T00:00:00Z"))
    assert [item.synthetic for item in result.kept] == [False] and result.exact_duplicates == 1


def test_pii_is_replaced_in_every_message_the_answers_and_tool_arguments():
    record = log(
        "I am Ana Silva, ana.silva@example.com, +1 212 555 0142; card 4111 1111 1111 1111 was charged twice.",
        "Ana, I refunded card 4111 1111 1111 1111 and wrote to ana.silva@example.com.",
        calls=[call("send_mail", {"to": "ana.silva@example.com"})],
        feedback={"corrected": {"content": "Refund sent to ana.silva@example.com; call (212) 555-0142 if not."}},
        reference="Contact ana.silva@example.com",
        pii_names=["Ana Silva"],
    )
    record["request"]["messages"].append({"role": "assistant", "content": "Your number is 646-555-0199?"})
    record["request"]["messages"].append({"role": "user", "content": "yes"})
    clean, counts, touched = anonymize_all(parse_lines(lines(record), "s").interactions)
    item = clean[0]
    assert item.messages[1].content == "I am <NAME_1>, <EMAIL_1>, <PHONE_1>; card <CARD_1> was charged twice."
    assert item.messages[2].content == "Your number is <PHONE_2>?"
    assert item.response.content == "<NAME_1>, I refunded card <CARD_1> and wrote to <EMAIL_1>."
    assert item.response.tool_calls is not None
    assert item.response.tool_calls[0].function.arguments == '{"to": "<EMAIL_1>"}'
    assert item.correction is not None and item.correction.content == "Refund sent to <EMAIL_1>; call <PHONE_1> if not."
    assert item.reference is not None and item.reference.content == "Contact <EMAIL_1>"
    assert counts == {"email": 5, "card": 2, "phone": 3, "name": 2} and touched == 1


def test_curated_rows_hold_no_pii_and_the_report_counts_it():
    records = [*many(6, "billing"), log("Mail me at jo@example.com", "Done, jo@example.com.", intent="billing")]
    curated = curate(lines(*records), CurationRules(), source="s")
    text = str(curated.splits)
    assert "jo@example.com" not in text and "Mail me at <EMAIL_1>" in text and "Done, <EMAIL_1>." in text
    assert curated.report.pii_replacements == {"email": 2, "card": 0, "phone": 0, "name": 0}
    assert curated.report.records_with_pii == 1


def test_records_that_differ_only_in_pii_are_duplicates():
    records = [*many(3, "billing"), log("Reset for a@x.com", "ok"), log("Reset for b@y.org", "ok")]
    report = curate(lines(*records), CurationRules(), source="s").report
    assert (report.valid, report.exact_duplicates, report.kept) == (5, 1, 4)
