"""The synthetic production logs of the bill-explainer-from-logs example (steps.data.production_logs)."""

import json
from collections import Counter
from pathlib import Path

from steps.data.production_logs import NOT_FOUND, generate_production_logs, main
from steps.logic.curation import CurationRules, curate

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_same_logs_in_time_order():
    logs = generate_production_logs(60, 3)
    assert logs == generate_production_logs(60, 3) and logs != generate_production_logs(60, 4)
    assert [log["timestamp"] for log in logs] == sorted(log["timestamp"] for log in logs)
    assert len({log["id"] for log in logs}) == len(logs)


def test_the_logs_hold_what_curation_is_for():
    logs = generate_production_logs(200, 3)
    curated = curate([json.dumps(log) for log in logs], CurationRules(), source="logs.jsonl")
    report = curated.report
    assert report.invalid == 0 and report.valid == len(logs)
    assert report.exact_duplicates + report.conflicting_answers == sum(log["id"].endswith("-again") for log in logs)
    assert report.dropped_by_rule["rated_down"] > 0 and report.corrections_used > 0
    assert report.pii_replacements["name"] > 0 and report.records_with_pii > 0
    assert NOT_FOUND in report.intents and len(report.intents) == 6
    ratings = Counter((log.get("feedback") or {}).get("rating") for log in logs)
    assert ratings["up"] and ratings["down"] and ratings[None]
    for log in logs:  # a correction is the expected answer: never the (wrong) response itself
        corrected = (log.get("feedback") or {}).get("corrected")
        assert corrected is None or corrected != log["response"]["choices"][0]["message"]["content"]


def test_the_committed_example_is_the_generators_output(tmp_path):
    committed = ROOT / "examples" / "bill-explainer" / "production-logs.jsonl"
    assert [json.loads(line) for line in committed.read_text().splitlines()] == generate_production_logs(400, 3)
    out = tmp_path / "logs.jsonl"
    assert main(["--rows", "400", "--seed", "3", "--out", str(out)]) == 0
    assert out.read_bytes() == committed.read_bytes()
