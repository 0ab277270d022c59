"""The support-ticket generator: deterministic, balanced, valid prompt/completion rows, the committed files."""

import collections
import json
from pathlib import Path

from steps.data.support_tickets import generate_support_tickets
from steps.logic.dataset_formats import convert_rows

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_same_rows_and_answers_follow_the_fields():
    rows = generate_support_tickets(300, seed=3)
    assert rows == generate_support_tickets(300, seed=3) and rows != generate_support_tickets(300, seed=4)
    for row in rows:
        assert row["completion"] == f"team: {row['team']}, priority: {row['priority']}"
    teams = collections.Counter(row["team"] for row in rows)
    priorities = collections.Counter(row["priority"] for row in rows)
    assert (
        len(teams) == 5 and min(teams.values()) > 30 and set(priorities) == {1, 2, 3} and min(priorities.values()) > 70
    )
    converted = convert_rows(list(enumerate(rows, start=1)), "prompt-completion", "generated")
    assert len(converted) == 300 and converted[0].record.extras() == {
        "team": rows[0]["team"],
        "priority": rows[0]["priority"],
    }


def test_the_committed_example_files_are_the_generators_output():
    for name, rows, seed in (("tickets.jsonl", 480, 0), ("heldout.jsonl", 80, 1)):
        committed = [
            json.loads(line) for line in (ROOT / "examples" / "support-tickets" / name).read_text().splitlines()
        ]
        assert committed == generate_support_tickets(rows, seed), name
