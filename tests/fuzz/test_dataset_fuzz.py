"""Fuzzing what prepare-data reads: raw JSONL files through `steps.prepare_data.build_splits` (read, select,
validate and convert every row, group keys, anonymise, split), and the pure checks under it.

Every file either becomes split rows that can be written (JSON text, ids) or is refused with
InvalidInputError; a problem of a row names `file:line: field`, a problem of the whole file names the file.
Inputs: rows of every layout mutated from the committed examples (examples/*), random JSON objects, lines
that are not JSON objects or not UTF-8.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from steps.errors import InvalidInputError
from steps.logic import dataset_files, records, xlam_records, xlam_types
from steps.logic.dataset_formats import FORMATS
from steps.prepare_data import _jsonl, build_splits
from tests.fuzz.strategies import EDGE_VALUES, FUZZ, keys, located_lines, mutated, values

pytestmark = pytest.mark.slow  # 1,000 examples a test: 15-40 s a file on two cores

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _head(relpath: str, n: int = 4) -> list[dict]:
    with (EXAMPLES / relpath).open() as handle:
        return [json.loads(line) for line in islice(handle, n)]


BILLS = _head("bill-explainer/bills.jsonl")
XLAM = _head("tool-calling/synthetic-tool-calls-train.jsonl", 40)
SINGLE_CALLS = [row for row in XLAM if xlam_records.tutorial_choice(row) is None][:4]  # what xlam-tutorial keeps
XLAM = XLAM[:6]
SEEDS: dict[str, list[dict]] = {
    "openai-chat": [xlam_records.to_chat(row)[0] for row in XLAM],
    "prompt-completion": _head("support-tickets/tickets.jsonl"),
    "bill-json": BILLS,
    "bill-reason": BILLS,
    "xlam": XLAM,
    "xlam-tutorial": SINGLE_CALLS,
}
# dataset.group_by: mostly one that the format's rows have (or none), sometimes one they lack or hold no key in.
GROUP_BY = {"bill-json": "customer.account_id", "bill-reason": "customer.account_id", "prompt-completion": "team"}
group_bys = st.sampled_from(["", "", "*", "*", "id", "customer", "a.b"])

# A line of a JSONL file: a row (mutated or random), or something that is not one.
broken_lines = st.one_of(
    st.binary(max_size=30),
    values.map(json.dumps),
    st.sampled_from(['{"a": 1', "1" * 5000, "[" * 100_000, '{"a": "\\ud800"}', "\ufeff{}", "{}\x00"]),
)


def row_text(row: object) -> str:
    return json.dumps(row, allow_nan=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("dataset")


def write(path: Path, lines: list[str | bytes]) -> int:
    """Write the lines of a JSONL file; the number of lines in it (a line of bytes may hold a line break)."""
    content = b"".join(
        (line if isinstance(line, bytes) else line.encode("utf-8", "surrogatepass")) + b"\n" for line in lines
    )
    path.write_bytes(content)
    return content.count(b"\n")


def assert_located(error: InvalidInputError, paths: dict[Path, int]) -> None:
    """The message names one of the files; every `file:LINE` it gives is a line of that file. A problem of a
    row's field (a validation or group-key error, not a line that is no JSON object) names the field."""
    message = str(error)
    message.encode("utf-8")  # printable: no lone surrogate of the input copied into it
    assert any(str(path) in message for path in paths), message[:2000]
    fields = re.search(r"problem\(s\) in|without a group key", message.split("\n", 1)[0])
    for path, n_lines in paths.items():
        for match in located_lines(message, str(path)):
            assert 1 <= int(match["line"]) <= n_lines, message[:2000]
            assert not fields or re.match(r"[^\s:][^\n]*?: \S", match["rest"]), message[:2000]


@settings(FUZZ, max_examples=500)  # lines of every kind reach read_jsonl in test_build_splits too
@given(lines=st.lists(st.one_of(broken_lines, values.map(row_text), st.just("")), min_size=1, max_size=5))
@example(lines=["1" * 5000])  # an integer over Python's 4300-digit limit
@example(lines=["[" * 100_000])  # nesting deeper than the JSON decoder's recursion
@example(lines=['{"a": "\\ud800"}'])  # a lone surrogate: text no UTF-8 file can hold
def test_read_jsonl(folder: Path, lines: list[str | bytes]) -> None:
    path = folder / "rows.jsonl"
    n_lines = write(path, lines)
    try:
        rows = records.read_jsonl(path)
    except InvalidInputError as error:
        assert located_lines(str(error), str(path)), str(error)
        assert_located(error, {path: n_lines})
        return
    assert all(isinstance(row, dict) for _, row in rows)
    assert [number for number, _ in rows] == sorted({number for number, _ in rows})


@st.composite
def dataset(draw: st.DrawFn) -> tuple[str, list[str | bytes]]:
    """A format and the lines of a raw file of it: its example rows in any order (alone, a file that is accepted),
    among them rows mutated from them (most with an id of their own), random objects and broken lines."""
    fmt = draw(st.sampled_from(FORMATS))
    seeds = SEEDS[fmt]
    id_field = "record_id" if fmt.startswith("bill") else "id"
    lines: list[str | bytes] = [row_text(row) for row in draw(st.permutations(seeds))]
    extra = st.one_of(mutated(seeds), mutated(seeds), mutated(seeds), st.dictionaries(keys, values, max_size=5))
    for index in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        row = draw(extra)
        if isinstance(row, dict) and id_field in row and draw(st.integers(0, 3)):
            row[id_field] = f"fuzz-{index}"
        line = draw(broken_lines) if draw(st.integers(0, 7)) == 0 else row_text(row)
        lines.insert(draw(st.integers(0, len(lines))), line)
    return fmt, lines


def _chat(content: str) -> str:
    return row_text({"messages": [{"role": "user", "content": content}, {"role": "assistant", "content": "a"}]})


def _xlam(tools: list) -> str:
    return row_text({**XLAM[0], "tools": json.dumps(tools)})


@FUZZ
@given(data=dataset(), group_by=group_bys, seed=st.integers(0, 3), test_source=st.booleans())
# a lone surrogate (JSON "\ud800") in a row without an id: hashing the row for its id raised UnicodeEncodeError
@example(data=("openai-chat", [_chat(f"q{i} \ud800") for i in range(5)]), group_by="", seed=0, test_source=False)
# ... and in the JSON text of an xLAM row's tools
@example(data=("xlam", [_xlam([{"name": "f\ud800"}])] * 3), group_by="", seed=0, test_source=False)
def test_build_splits(
    folder: Path, data: tuple[str, list[str | bytes]], group_by: str, seed: int, test_source: bool
) -> None:
    fmt, lines = data
    group_by = GROUP_BY.get(fmt, "") if group_by == "*" else group_by
    path, test_path = folder / "source.jsonl", folder / "test.jsonl"
    cut = len(lines) // 2 if test_source else len(lines)
    paths = {path: write(path, lines[:cut] or lines)}
    if test_source:
        paths[test_path] = write(test_path, lines[cut:])
    try:
        files, pii = build_splits(
            path, fmt, group_by, 0.1, 0.0 if test_source else 0.2, seed, test_path if test_source else None
        )
    except InvalidInputError as error:
        event(f"{fmt}: refused")
        assert_located(error, paths)
        return
    event(f"{fmt}: accepted")
    assert sum(len(rows) for rows in files.values()) >= 2
    for rows in files.values():
        _jsonl(rows).decode("utf-8")  # what prepare-data uploads
    assert all(isinstance(row["id"], str) and row["id"] for row in next(reversed(files.values())))
    assert all(n >= 0 for n in pii.values())


# xLAM parameter types: Python-style type names, read by a small grammar.
type_tokens = st.sampled_from(
    [
        "str",
        "int",
        "List",
        "Dict",
        "Tuple",
        "Optional",
        "Union",
        "Callable",
        "Any",
        "None",
        "typing.List",
        "x",
        "[",
        "]",
        ",",
        "...",
        " ",
        ", optional",
        ", default=",
        "1",
        "'a'",
        "{",
        "}",
        "(",
        ")",
        "[]",
        "{[]: 1}",
        "{{}}",
    ]
)


@FUZZ
@given(
    text=st.one_of(st.lists(type_tokens, max_size=12).map("".join), st.text(max_size=20), st.sampled_from(EDGE_VALUES))
)
@example(text="int, default={[]}")  # a default Python cannot hash: literal_eval raised TypeError
@example(text="int, default={1, 2}")  # a set: a default no JSON schema can hold
@example(text="List[" * 1000 + "int" + "]" * 1000)  # nesting deeper than the reader's recursion
def test_xlam_parameter_types(text: object) -> None:
    try:
        kind = xlam_types.parameter_type(text)
    except xlam_types.UnknownType as error:
        assert str(error)
        return
    json.dumps(kind.schema)
    if kind.has_default:
        json.dumps(kind.default)  # it is written into the tool's JSON schema


@FUZZ
@given(
    namespace=st.one_of(st.text(max_size=10), st.sampled_from(["llmops", ".", ".."])),
    files=st.dictionaries(
        st.one_of(st.text(max_size=20), st.sampled_from(["a/b", "a", "./a", "a//b", "a/.b"])),
        st.binary(max_size=5),
        max_size=4,
    ),
)
def test_dataset_file_checks(namespace: str, files: dict[str, bytes]) -> None:
    """A dataset's names and file paths are accepted or refused naming the value that is wrong."""
    try:
        dataset_files.check_dataset_files(namespace, "name", files)
    except InvalidInputError as error:
        assert any(repr(value) in str(error) for value in [namespace, *files]) or "has no files" in str(error)
        return
    assert len(dataset_files.revision_of(files)) == 16
