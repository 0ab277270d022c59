"""The run report's pure rendering: verdict first, the table, the worst regressions, escaped HTML."""

from __future__ import annotations

import json

import pytest

from steps.errors import InvalidInputError
from steps.logic.gate_policy import GatePolicy, Score, decide
from steps.logic.item_scores import ItemValue
from steps.logic.regression_examples import answer_text, input_text, reference_text, regressions, truncate
from steps.logic.run_report import Chart, RunReport, StepStatus, markdown, short_text, verdict
from steps.logic.run_report_html import html

HEADLINE = "answer.all_fields_exact"
BASE = [1, 1, 0, 0, 1, 0, 1, 0]
CANDIDATE = [1, 0, 1, 1, 1, 1, 1, 0]  # item 1 goes right -> wrong, items 2, 3, 5 wrong -> right


def _items(values: list[int]) -> list[ItemValue]:
    return [ItemValue(id=f"q{i}", value=float(v)) for i, v in enumerate(values)]


def _decision(min_gain: float = 0.0, bench_drop: float = 0.0):
    policy = GatePolicy(headline_metric=HEADLINE, min_business_gain=min_gain, min_samples=4)
    base = [
        Score(name=HEADLINE, kind="business", value=sum(BASE) / 8, n=8, items=_items(BASE)),
        Score(name="gsm8k", kind="benchmark", value=0.5, stderr=0.05, n=100),
    ]
    candidate = [
        Score(name=HEADLINE, kind="business", value=sum(CANDIDATE) / 8, n=8, items=_items(CANDIDATE)),
        Score(name="gsm8k", kind="benchmark", value=0.5 - bench_drop, stderr=0.05, n=100),
    ]
    return decide(policy, base, candidate)


def _table(values: list[int], answers: list[str]) -> dict:
    columns = ["id", "input", "prediction", "reference", HEADLINE]
    data = [
        [
            f"q{i}",
            json.dumps([{"role": "system", "content": "sys"}, {"role": "user", "content": f"question <{i}> | a"}]),
            json.dumps({"output_text": answers[i], "tool_calls": None}),
            json.dumps({"answer": f"gold {i}"}),
            float(v),
        ]
        for i, v in enumerate(values)
    ]
    return {"columns": columns, "data": data}


def _report(decision, found=None, steps=None) -> RunReport:
    return RunReport(
        workflow="wf-<demo>",
        run_id="abc123",
        workflow_status="Succeeded",
        details=[("run spec", "bills"), ("base model", "llmops/tiny-llama")],
        steps=steps or [StepStatus(name="gate", status="FINISHED")],
        decision=decision,
        headline=HEADLINE,
        regressions=found or [],
        charts=[Chart(title="Base vs candidate", path="charts/metrics.png", caption="bars")],
        notes=[],
    )


def test_pass_puts_the_verdict_and_the_deciding_rule_first():
    report = _report(_decision())
    first = markdown(report).splitlines()[0]
    assert first == verdict(report)
    assert first.startswith("PASS on answer.all_fields_exact (point rule): the delta +0.2500")
    assert "clears the required +0.0000" in first and "1 benchmark(s) within their regression limits" in first


def test_blocked_names_the_failing_rule_and_counts_the_other_reasons():
    report = _report(_decision(min_gain=0.5, bench_drop=0.2))
    first = markdown(report).splitlines()[0]
    assert first.startswith("BLOCKED on answer.all_fields_exact (point rule): business gain +0.2500")
    assert first.endswith("(+1 more reason)")
    assert short_text(report).splitlines()[0] == first


def test_a_run_without_a_gate_says_so_first():
    steps = [StepStatus(name="prepare-data", status="FINISHED"), StepStatus(name="customize", status="FAILED")]
    report = _report(None, steps=steps)
    assert markdown(report).splitlines()[0] == "NO VERDICT: the gate never ran (step customize failed before it)"
    assert html(report, {}).count("NO VERDICT") == 2  # title and the verdict paragraph


def test_the_table_has_every_column_per_metric():
    text = markdown(_report(_decision(bench_drop=0.2)))
    assert "| metric | kind | base | candidate | delta | interval | threshold | rule | result |" in text
    headline = next(line for line in text.splitlines() if line.startswith("| answer.all_fields_exact"))
    cells = [c.strip() for c in headline.strip("|").split("|")]
    assert cells[:5] == ["answer.all_fields_exact", "business", "0.5000", "0.7500", "+0.2500"]
    assert cells[5].startswith("[") and cells[6] == ">= +0.0000" and cells[7:] == ["point", "pass"]
    gsm8k = next(line for line in text.splitlines() if line.startswith("| gsm8k"))
    assert gsm8k.rstrip(" |").endswith("FAIL") and "]*" in gsm8k  # unpaired interval is marked


def test_regressions_list_right_to_wrong_items_with_both_answers():
    base = _table(BASE, [f"base answer {i}" for i in range(8)])
    cand = _table(CANDIDATE, [f"cand answer {i}" for i in range(8)])
    found = regressions(HEADLINE, base, cand)
    assert found is not None and found.binary and (found.total, found.compared) == (1, 8)
    (example,) = found.examples
    assert (example.id, example.base_answer, example.candidate_answer) == ("q1", "base answer 1", "cand answer 1")
    assert example.input == "question <1> | a" and example.reference == "gold 1"
    text = markdown(_report(_decision(), [found]))
    assert "### answer.all_fields_exact: 1 of 8 items right → wrong" in text
    assert "  - base answer: base answer 1" in text and "  - candidate answer: cand answer 1" in text
    assert "  - input: question &lt;1> \\| a" in text  # no HTML tag and no table break in Markdown
    assert regressions("not.a.column", base, cand) is None


def test_worst_drops_come_first_and_examples_are_capped():
    base = _table([1] * 6, ["x"] * 6)
    cand = _table([0.5, 0, 0.9, 0, 1, 0], ["y"] * 6)
    found = regressions(HEADLINE, base, cand, limit=2)
    assert found is not None and not found.binary and found.total == 5
    assert [e.id for e in found.examples] == ["q1", "q3"]  # drop 1.0, ties in base order


def test_html_is_self_contained_and_escapes_text():
    found = regressions(HEADLINE, _table(BASE, ["<b>x</b>"] * 8), _table(CANDIDATE, ["<script>alert(1)</script>"] * 8))
    page = html(_report(_decision(), [found]), {"charts/metrics.png": b"\x89PNG fake"})
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "wf-&lt;demo&gt;" in page and "question &lt;1&gt; | a" in page
    assert 'src="data:image/png;base64,iVBORyBmYWtl"' in page
    assert "http://" not in page and "https://" not in page  # no external assets
    assert page.index('id="verdict"') < page.index("<table>")


def test_texts_are_shortened_and_answers_fall_back_to_tool_calls():
    assert truncate("a" * 50, 10) == "a" * 9 + "…"
    calls = [{"function": {"name": "f", "arguments": "{}"}}]
    assert answer_text(json.dumps({"output_text": "", "tool_calls": calls})).startswith('[{"function"')
    assert input_text("not json") == "not json" and reference_text(json.dumps({"a": 1, "b": 2})) == '{"a": 1, "b": 2}'


def test_a_table_without_ids_is_refused():
    with pytest.raises(InvalidInputError, match="id column"):
        regressions(HEADLINE, {"columns": ["x"], "data": []}, _table(BASE, ["a"] * 8))


def test_several_candidates_are_ranked_with_scores_intervals_outcomes_and_cost():
    from steps.logic.selection import Cost, Selection, Verdict

    def verdict_of(name: str, decision, rank, cost: Cost) -> Verdict:
        return Verdict(
            name=name,
            base_model="llmops/tiny-llama",
            adapter_id=f"a-{name}",
            headline=0.75,
            cost=cost,
            is_champion=False,
            decision=decision,
            rank=rank,
        )

    passed, blocked = _decision(), _decision(bench_drop=0.3)
    selection = Selection(
        winner="small",
        verdicts=[
            verdict_of("small", passed, 1, Cost(lora_rank=4, trainable_parameters=58368, steps=132, seconds=98.0)),
            verdict_of("hot", blocked, None, Cost(lora_rank=8, trainable_parameters=116736, steps=132)),
        ],
        failed=["missing"],
        reasons=["candidate 'small' has the best answer.all_fields_exact (0.7500)"],
    )
    report = _report(passed).model_copy(update={"selection": selection})
    text = markdown(report)
    assert text.splitlines()[0].startswith("PASS") and "## Candidates" in text
    assert "| 1 | small | llmops/tiny-llama | 0.7500 | +0.250 [" in text
    assert "58,368 params, r4, 132 steps, 98 s | released |" in text
    assert "| — | hot |" in text and "blocked: gsm8k |" in text and "| — | missing |" in text
    assert "failed: no result" in text
    assert "<h2>Candidates</h2>" in html(report, {}) and "candidates:" in short_text(report)
    lone = _report(passed).model_copy(
        update={"selection": selection.model_copy(update={"verdicts": selection.verdicts[:1], "failed": []})}
    )
    assert "## Candidates" not in markdown(lone)  # one candidate, no champion: nothing to rank
