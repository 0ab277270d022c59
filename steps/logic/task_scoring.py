"""Score a prediction file against a benchmark's data rows (what `llmops score --task` computes).

Data rows use the Hugging Face layouts (gsm8k `answer` ending in `#### N`, squad `answers.text`,
triviaqa `answer.aliases` and `answer.value`) and carry an `id`. Predictions are
`{"id": ..., "prediction": "..."}` objects. A data row without a prediction scores 0 on every
metric, as the official scripts count it; a prediction for an id the data lacks is an error.
Every metric keeps its per-item values (for a paired comparison) with its mean and standard error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steps.errors import InvalidInputError
from steps.logic.benchmark_scoring import gsm8k_scores, squad_scores, triviaqa_scores
from steps.logic.item_scores import ItemValue, aggregate, stderr
from steps.logic.records import read_jsonl

Row = tuple[int, dict[str, Any]]  # (1-based line number, JSON object), as records.read_jsonl gives them


def _text(row: dict[str, Any], *path: str) -> str:
    value: Any = row
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, str):
        raise ValueError(f"{'.'.join(path)}: expected a string, got {_kind(value)}")
    return value


def _texts(row: dict[str, Any], *path: str) -> list[str]:
    value: Any = row
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{'.'.join(path)}: expected a non-empty list of strings, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return "nothing (missing or null)" if value is None else type(value).__name__


def _gsm8k_reference(row: dict[str, Any]) -> str:
    answer = _text(row, "answer")
    if "#### " not in answer:
        raise ValueError("answer: a GSM8K answer ends with its final line `#### N`; this one has none")
    return answer


def _squad_reference(row: dict[str, Any]) -> list[str]:
    return _texts(row, "answers", "text")


def _triviaqa_reference(row: dict[str, Any]) -> list[str]:
    return [*_texts(row, "answer", "aliases"), _text(row, "answer", "value")]


def _squad_scores(prediction: str, golds: list[str]) -> dict[str, float]:
    scores = squad_scores(prediction, golds)  # named as lm-eval's SQuAD task names them
    return {"exact_match": scores["exact"], "f1": scores["f1"]}


@dataclass(frozen=True)
class _Task:
    metrics: tuple[str, ...]
    reference: Callable[[dict[str, Any]], Any]  # reads a data row's gold answer(s); ValueError names the field
    score: Callable[[str, Any], dict[str, float]]  # (prediction, reference) -> {metric: value in 0..1}


TASKS: dict[str, _Task] = {
    "gsm8k": _Task(
        ("exact_match_strict", "exact_match_flexible"),
        _gsm8k_reference,
        gsm8k_scores,
    ),
    "squad": _Task(
        ("exact_match", "f1"),
        _squad_reference,
        _squad_scores,
    ),
    "triviaqa": _Task(("exact_match", "f1"), _triviaqa_reference, triviaqa_scores),
}


@dataclass(frozen=True)
class TaskScores:
    """Per-item values of every metric of a task, in data order; `n` counts every data row."""

    task: str
    n: int
    unanswered: int
    items: dict[str, list[ItemValue]]

    def summary(self) -> dict[str, Any]:
        """`{"task", "n", "metrics": {name: {"value", "stderr"}}}` (values on the 0-1 scale)."""
        metrics = {name: {"value": aggregate(v), "stderr": stderr(v)} for name, v in self.items.items()}
        return {"task": self.task, "n": self.n, "metrics": metrics}


def _fail(problems: list[str]) -> None:
    """One error (one line) naming the first problem in file order and how many more lines have one."""
    if problems:
        more = f"; {len(problems) - 1} more line(s) of the file have problems too" if len(problems) > 1 else ""
        raise InvalidInputError(problems[0] + more)


def _row_id(row: dict[str, Any], where: str, first: dict[str, str]) -> str:
    """The row's id: a non-empty string or an integer (compared by its text), unique in its file.

    `first` maps the ids seen so far to where they were; a bad or repeated id raises ValueError.
    """
    value = row.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"id: expected a non-empty string or an integer, got {_kind(row.get('id'))}")
    if value in first:
        raise ValueError(f"id: {value!r} repeats the id of line {first[value]}; ids must be unique")
    first[value] = where
    return value


def _references(task: str, spec: _Task, data: list[Row], source: str) -> dict[str, Any]:
    """id -> gold answer(s) of every data row, in file order; bad rows raise one error naming source:line."""
    problems: list[str] = []
    references: dict[str, Any] = {}
    seen: dict[str, str] = {}
    for line, row in data:
        try:
            item_id = _row_id(row, str(line), seen)
            references[item_id] = spec.reference(row)
        except ValueError as error:
            problems.append(f"{source}:{line}: {error} (the Hugging Face {task} layout)")
    _fail(problems)
    return references


def _predictions(predictions: list[Row], source: str, references: dict[str, Any]) -> dict[str, str]:
    """id -> prediction text; a bad or repeated id, an id not in the data or a non-text prediction raise."""
    problems: list[str] = []
    answers: dict[str, str] = {}
    seen: dict[str, str] = {}
    for line, row in predictions:
        try:
            item_id = _row_id(row, str(line), seen)
            if item_id not in references:
                raise ValueError(f"id: {item_id!r} is not an id of the data file; check that the files match")
            text = row.get("prediction")
            if not isinstance(text, str):
                raise ValueError(f"prediction: expected a string, got {_kind(text)}")
            answers[item_id] = text
        except ValueError as error:
            problems.append(f'{source}:{line}: {error} (each line holds {{"id": ..., "prediction": "..."}})')
    _fail(problems)
    return answers


def score_task(
    task: str, data: list[Row], data_source: str, predictions: list[Row], predictions_source: str
) -> TaskScores:
    """Score every data row of `task` against its prediction (0 for a row without one).

    `data` and `predictions` are (line, object) rows as `records.read_jsonl` reads them; a bad row of
    either file is an error naming its source:line and field.
    """
    if task not in TASKS:
        raise InvalidInputError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    if not data:
        raise InvalidInputError(f"{data_source}: no data rows; a data file holds one JSON object per line")
    spec = TASKS[task]
    references = _references(task, spec, data, data_source)
    answers = _predictions(predictions, predictions_source, references)
    items: dict[str, list[ItemValue]] = {name: [] for name in spec.metrics}
    for item_id, reference in references.items():
        answer = answers.get(item_id)
        scores = spec.score(answer, reference) if answer is not None else dict.fromkeys(spec.metrics, 0.0)
        for name in spec.metrics:
            items[name].append(ItemValue(id=item_id, value=scores[name]))
    return TaskScores(task=task, n=len(data), unanswered=len(data) - len(answers), items=items)


def score_files(task: str, data: Path, predictions: Path) -> TaskScores:
    """`score_task` over two JSONL files (a bad JSON line is an error naming file:line)."""
    return score_task(task, read_jsonl(data), str(data), read_jsonl(predictions), str(predictions))


def read_predictions(path: Path, ids: Iterable[str]) -> dict[str, str]:
    """id -> prediction text of a predictions file whose ids must all be among `ids` (errors name file:line)."""
    return _predictions(read_jsonl(path), str(path), dict.fromkeys(ids))
