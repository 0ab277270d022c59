"""Fuzzing `workflows.runspec.load`: every file is either a run spec or refused with InvalidInputError at
`file:line: field`.

Inputs: the committed run specs (workflows/runs/*.yaml) mutated (wrong types, unknown, missing and renamed
fields, out-of-range numbers), their YAML text broken (characters inserted, removed, lines cut), documents
that are not a mapping, random YAML and random bytes. Benchmark names are checked against a small stand-in
for lm-eval's task registry (building the real one takes 8-19 s; `tests/unit/test_benchmark_preflight.py`
covers it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from steps import benchmark_names
from steps.errors import InvalidInputError
from tests.fuzz.strategies import FUZZ, RUN_SPEC_FILES, RUN_SPECS, located_lines, mutated, values
from workflows import runspec

pytestmark = pytest.mark.slow  # 1,000 examples a test: 15-40 s a file on two cores

SPECS = RUN_SPECS
TEXTS = [path.read_text() for path in RUN_SPEC_FILES]
TASKS = SimpleNamespace(all_tags=["ai2_arc"], all_subtasks=["arc_easy", "hellaswag"], all_groups=["mmlu"])
YAML_CHARACTERS = [*":-[]{}&*!|>'\"#%@`,?\t\n ", "---\n", "...\n", "  ", "\n  - ", ": &a x", "*a", "!!int "]


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The one file every example is written to, with the stand-in task registry in place."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(benchmark_names, "task_manager", lambda: TASKS)
        yield tmp_path_factory.mktemp("runspec") / "run.yaml"


def dump(document: object) -> str:
    """YAML text of a document (libyaml's emitter: the fuzz runs spend their time in the loader)."""
    try:
        return yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False)
    except UnicodeEncodeError:  # a lone surrogate, which only the Python emitter writes (escaped)
        return yaml.safe_dump(document, sort_keys=False)


def check(path: Path, content: str | bytes) -> None:
    """load() accepts the file, or refuses it with InvalidInputError naming file, line (and field)."""
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(content)
    try:
        spec = runspec.load(path)
    except InvalidInputError as error:
        message = str(error)
        event("refused: " + ("schema" if message.startswith("invalid run spec") else message.split(": ")[1][:20]))
        located = located_lines(message, str(path))
        assert located, f"no {path}:LINE in: {message}"
        text = path.read_bytes().decode("utf-8", "replace")
        lines = len(text.splitlines()) + 1  # YAML breaks lines at \r and \x85 too, as splitlines() does
        assert all(1 <= int(m["line"]) <= lines for m in located), message
        if message.startswith("invalid run spec"):  # schema problems: each names its field
            assert all(re.match(r"\S.*?: \S", m["rest"]) for m in located), message
        return
    event("accepted")
    assert isinstance(spec, runspec.RunSpec)
    assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{8}", spec.workflow_name())


@FUZZ
@given(document=mutated(SPECS))
def test_mutated_run_specs(spec_file: Path, document: object) -> None:
    check(spec_file, dump(document))


@settings(FUZZ, max_examples=500)  # with the next test's 500: 1,000 files beside the mutated specs
@given(
    text=st.sampled_from(TEXTS),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "cut"]), st.sampled_from(YAML_CHARACTERS)),
        min_size=1,
        max_size=4,
    ),
)
def test_broken_yaml(spec_file: Path, text: str, edits: list[tuple[float, str, str]]) -> None:
    for where, kind, inserted in edits:
        at = int(where * len(text))
        if kind == "insert":
            text = text[:at] + inserted + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + len(inserted) :]
        else:
            text = text[:at]
    check(spec_file, text)


@settings(FUZZ, max_examples=500)
@given(
    content=st.one_of(
        values.map(dump),
        st.lists(st.sampled_from(YAML_CHARACTERS) | st.characters(), max_size=40).map("".join),
        st.binary(max_size=80),
        st.sampled_from(TEXTS).map(lambda text: f"{text}---\n{text}"),  # two documents
    )
)
@example(content=b"\xff\xfename: x\n")  # not UTF-8
@example(content="name: x\n\x00")  # a character YAML does not allow
@example(content="[" * 2000)  # nested deeper than the YAML composer's recursion
@example(content="- 1\n- 2\n")  # a list, not a mapping
def test_random_yaml(spec_file: Path, content: str | bytes) -> None:
    check(spec_file, content)


@settings(FUZZ, max_examples=200)  # a sharper property over inputs the first test also covers
@given(data=st.data())
def test_unknown_fields_are_named(spec_file: Path, data: st.DataObject) -> None:
    """A field that no section has is refused, named with its dotted path."""
    spec = data.draw(st.sampled_from(SPECS))
    sections = [key for key, value in spec.items() if isinstance(value, dict)]
    section = data.draw(st.sampled_from([None, *sections]))
    key = data.draw(st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True))
    node = spec if section is None else spec[section]
    if key in node:
        return
    changed = {**spec, **({key: 1} if section is None else {section: {**node, key: 1}})}
    spec_file.write_text(dump(changed))
    with pytest.raises(InvalidInputError) as error:
        runspec.load(spec_file)
    field = key if section is None else f"{section}.{key}"
    assert re.search(rf"{re.escape(str(spec_file))}:\d+: {re.escape(field)}: unknown field", str(error.value))
