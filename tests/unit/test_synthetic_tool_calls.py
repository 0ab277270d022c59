"""The synthetic tool-calling generator: deterministic, labelled, valid xLAM rows; held-out apart from training."""

import collections
import json
import string
from pathlib import Path

import pytest

from steps.data import synthetic_tool_calls, tool_catalogue
from steps.data.synthetic_tool_calls import generate_tool_calls
from steps.data.tool_call_queries import CONNECTORS, NO_TOOL, QUERIES
from steps.data.tool_catalogue import HELDOUT, POOLS, TOOLS, TRAIN, generated_values
from steps.errors import InvalidInputError
from steps.logic.chat_records import evaluation_row
from steps.logic.dataset_formats import convert_rows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "tool-calling"
COMMITTED = (
    ("synthetic-tool-calls-train.jsonl", 600, 0, TRAIN),
    ("synthetic-tool-calls-heldout.jsonl", 100, 0, HELDOUT),
)


@pytest.mark.parametrize("split", [TRAIN, HELDOUT])
def test_rows_are_deterministic_labelled_and_convert_to_chat_records(split):
    rows = generate_tool_calls(400, seed=3, split=split)
    assert rows == generate_tool_calls(400, seed=3, split=split) != generate_tool_calls(400, seed=4, split=split)
    assert all(row["synthetic"] is True and row["id"].startswith(f"synthetic-tool-calls-{split}-3-") for row in rows)
    kinds = collections.Counter(row["kind"] for row in rows)
    assert set(kinds) == {"single", "parallel", "none"} and kinds["single"] > kinds["parallel"] > 40
    converted = convert_rows(list(enumerate(rows, start=1)), "xlam", "generated")
    for row, item in zip(rows, converted, strict=True):
        calls = json.loads(row["answers"])
        assert len(calls) == {"single": 1, "parallel": 2, "none": 0}[row["kind"]]
        offered = [tool["function"]["name"] for tool in item.record.tools]
        assert len(offered) in (3, 4) and len(set(offered)) == len(offered)
        assert {call["name"] for call in calls} <= set(offered)
        for call in calls:  # every argument value is said in the query (lists as "3, 8 and 10")
            for value in call["arguments"].values():
                if not isinstance(value, bool):
                    assert synthetic_tool_calls._spoken(value) in row["query"], (row["query"], value)
        test_row = evaluation_row(item.record)
        assert test_row["synthetic"] is True and len(test_row["tool_calls"]) == len(calls)
        if not calls:
            assert test_row["reference"] == row.get("answer_text", "None of the available tools fits this request.")


def _values(split: str) -> set[str]:
    index = tool_catalogue.SPLITS.index(split)
    flat = {str(v).lower() for pool in POOLS.values() for v in pool[index] if not isinstance(v, tuple)}
    return flat | {
        str(v).lower() for pool in POOLS.values() for pair in pool[index] if isinstance(pair, tuple) for v in pair
    }


def test_held_out_queries_share_no_phrasing_and_no_value_with_training():
    train_texts = {text for templates in QUERIES[TRAIN].values() for text, _ in templates}
    assert train_texts.isdisjoint(text for templates in QUERIES[HELDOUT].values() for text, _ in templates)
    assert set(CONNECTORS[TRAIN]).isdisjoint(CONNECTORS[HELDOUT])
    assert {q for q, _ in NO_TOOL[TRAIN]}.isdisjoint(q for q, _ in NO_TOOL[HELDOUT])
    assert _values(TRAIN).isdisjoint(_values(HELDOUT))
    train, heldout = generated_values(TRAIN), generated_values(HELDOUT)
    assert train["year"] != heldout["year"] and set(train["operators"]).isdisjoint(heldout["operators"])
    for name in ("flight", "operand"):
        assert train[name][1] < heldout[name][0]
    rows = {split: generate_tool_calls(600, 0, split) for split in (TRAIN, HELDOUT)}
    train_queries = {row["query"] for row in rows[TRAIN]}
    assert train_queries.isdisjoint(row["query"] for row in rows[HELDOUT])
    train_arguments = {
        json.dumps(value)
        for row in rows[TRAIN]
        for call in json.loads(row["answers"])
        for value in call["arguments"].values()
    }
    heldout_arguments = {
        json.dumps(value)
        for row in rows[HELDOUT]
        for call in json.loads(row["answers"])
        for name, value in call["arguments"].items()
        if name != "nonstop"  # a flag the phrasing sets, not a value from a pool
    }
    assert train_arguments.isdisjoint(heldout_arguments)


def test_every_template_names_only_arguments_of_its_tool_and_every_tool_is_asked_for():
    for split in (TRAIN, HELDOUT):
        assert set(QUERIES[split]) == set(TOOLS)
        for tool, templates in QUERIES[split].items():
            for text, fixed in templates:
                named = {name for _, name, _, _ in string.Formatter().parse(text) if name}
                assert named | set(fixed) <= set(TOOLS[tool]["parameters"]), (tool, text)


def test_bad_arguments_are_errors_and_the_cli_writes_a_labelled_file(tmp_path, capsys):
    with pytest.raises(InvalidInputError, match="rows must be between"):
        generate_tool_calls(0, 0)
    with pytest.raises(InvalidInputError, match="split must be one of train, heldout"):
        generate_tool_calls(5, 0, "test")
    out = tmp_path / "synthetic.jsonl"
    assert synthetic_tool_calls.main(["--split", "heldout", "--rows", "7", "--out", str(out)]) == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == generate_tool_calls(7, 0, HELDOUT)
    assert "SYNTHETIC" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        synthetic_tool_calls.main(["--help"])
    assert "SYNTHETIC" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "rows", "seed", "split"), COMMITTED)
def test_the_committed_example_files_are_the_generators_output(name, rows, seed, split):
    committed = [json.loads(line) for line in (EXAMPLES / name).read_text().splitlines()]
    assert committed == generate_tool_calls(rows, seed, split), name
