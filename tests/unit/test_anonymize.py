from steps.logic.anonymize import anonymize_record, anonymize_text, luhn_valid
from steps.logic.chat_records import ChatRecord

TEXT = (
    "Hi, this is Maria Garcia (maria.garcia55@example.net). Call me at +1 212 555 0142, "
    "or (212) 555-0142, or my office 646-555-0199. Card 4111 1111 1111 1111 was charged, "
    "not 4111 1111 1111 1112. Bill B-12345 dated 2024-01-15 for 123.45 USD on ACC-12345678; "
    "also 2024-01-15 2024-02-15. Thanks, Maria. Contact: bob@example.org, MARIA.GARCIA55@EXAMPLE.NET"
)


def test_text_anonymisation_replaces_each_kind_with_stable_numbered_placeholders():
    text, counts = anonymize_text(TEXT, names=["Maria Garcia"])
    assert "Maria" not in text and "example" not in text.lower() and "555" not in text
    assert "4111 1111 1111 1111" not in text
    assert "this is <NAME_1> (<EMAIL_1>)" in text and "Thanks, <NAME_1>." in text
    assert "Call me at <PHONE_1>, or (<PHONE_1>" not in text  # no leftover parenthesis
    assert "Call me at <PHONE_1>, or <PHONE_1>, or my office <PHONE_2>." in text  # same number, same placeholder
    assert "Card <CARD_1> was charged" in text
    assert "Contact: <EMAIL_2>, <EMAIL_1>" in text  # e-mails compare case-insensitively
    assert counts == {"email": 3, "card": 1, "phone": 3, "name": 2}


def test_ids_dates_amounts_and_non_luhn_numbers_are_kept():
    text, _ = anonymize_text(TEXT, names=["Maria Garcia"])
    for kept in (
        "B-12345",
        "2024-01-15 for 123.45 USD",
        "ACC-12345678",
        "2024-01-15 2024-02-15",
        "4111 1111 1111 1112",
    ):
        assert kept in text


def test_anonymisation_is_idempotent_and_leaves_clean_text_alone():
    once, _ = anonymize_text(TEXT, names=["Maria Garcia"])
    twice, counts = anonymize_text(once, names=["Maria Garcia"])
    assert twice == once and sum(counts.values()) == 0
    clean = "Which bill was 399.57 USD on 2025-02-09? Id B-25455, 3 bills, phone plan 5GB."
    assert anonymize_text(clean) == (clean, {"email": 0, "card": 0, "phone": 0, "name": 0})


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112") and not luhn_valid("123456789012")


def test_chat_record_anonymisation_numbers_across_messages():
    raw = {
        "messages": [
            {"role": "user", "content": "I'm a@x.com, my friend is b@x.com"},
            {"role": "assistant", "content": "Noted b@x.com and a@x.com"},
        ]
    }
    record, counts = anonymize_record(ChatRecord.model_validate(raw))
    assert [m.content for m in record.messages] == [
        "I'm <EMAIL_1>, my friend is <EMAIL_2>",
        "Noted <EMAIL_2> and <EMAIL_1>",
    ]
    assert counts["email"] == 4
