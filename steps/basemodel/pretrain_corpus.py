"""Deterministic pre-training corpus of the project's tiny base model.

Skills of the kinds the regression benchmarks measure, in their prompt layouts, plus what the
business task builds on (reading a bill's line items, in plain prose), never the business task's
JSON answer format:

- `arithmetic`: GSM8K-style word problems with `<<a+b=c>>` chains and `#### N`, six per document
  (the 5-shot layout of the harness);
- `facts`: the fixed invented world (`synthetic_world`) stated in declarative sentences, mixed with
  TriviaQA-layout questions (`Question: ...?\nAnswer: ...`);
- `reading`: SQuAD-layout paragraphs (`Title: ...\n\nBackground: ...\n\nQuestion: ...\n\nAnswer: ...`);
- `bills`: telecom bill statements with their line items and a one-sentence explanation;
- `chat`: ChatML conversations (the tokenizer's chat template) in which the assistant solves a word
  problem, answers a closed-book question, explains a bill, writes a JSON tool call or repeats
  ids and dates exactly, so the chat tokens and JSON replies are familiar before any adapter;
- `general`: the prose, word, JSON tool-call and chat texts of the tokenizer corpus.

Decontamination: no document contains a question of the smoke benchmark sets (`Decontamination`),
and no SQuAD-layout paragraph is about a town of the smoke SQuAD set. TriviaQA facts are still
stated (closed-book recall needs them); only the evaluated questions are never asked.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from functools import lru_cache

from steps.basemodel.decontamination import CorpusStats, Decontamination
from steps.basemodel.tokenizer_corpus import general_text
from steps.data import smoke_benchmarks as smoke
from steps.data.smoke_squad import town_paragraph
from steps.data.smoke_words import invented_word
from steps.local.chat_format import chatml


def _arithmetic(rng: random.Random, clean: Decontamination, stats: CorpusStats) -> str:
    parts: list[str] = []
    while len(parts) < 6:
        question, answer, _ = smoke.gsm8k_problem(rng)
        if question in clean.questions:
            stats.skipped_contaminated += 1
            continue
        parts.append(f"Question: {question}\nAnswer: {answer}")
    return "\n\n".join(parts)


def _declarative(rng: random.Random, fact: dict[str, str]) -> str:
    country, capital = fact["country"], fact["capital"]
    sentences = [
        rng.choice((f"The capital city of {country} is {capital}.", f"{capital} is the capital of {country}.")),
        f"The {fact['river']} river flows through {capital}, the capital of {country}.",
        rng.choice(
            (
                f"The currency used in {country} is the {fact['currency']}.",
                f"People in {country} pay with the {fact['currency']}.",
            )
        ),
        f"The first {fact['invention']} was built by {fact['inventor']}, an inventor from {country}.",
    ]
    rng.shuffle(sentences)
    return " ".join(sentences[: rng.randint(2, 4)])


@lru_cache(maxsize=1)
def _world() -> tuple[dict[str, str], ...]:
    return tuple(smoke.synthetic_world())


def _facts(rng: random.Random, clean: Decontamination, stats: CorpusStats) -> str:
    world = _world()
    parts = []
    for _ in range(6):
        fact = rng.choice(world)
        if rng.random() < 0.5:
            question, aliases = smoke.trivia_question(rng, fact)
            if question in clean.questions:
                stats.skipped_contaminated += 1
            else:
                parts.append(f"Question: {question}?\nAnswer: {aliases[0]}")
                continue
        parts.append(_declarative(rng, fact))
    return "\n\n".join(parts)


def _reading(rng: random.Random, clean: Decontamination, stats: CorpusStats) -> str:
    while True:
        town, province = invented_word(rng), invented_word(rng)
        if town == province or f"Synthetic_{town}" in clean.squad_titles:
            stats.skipped_contaminated += 1
            continue
        context, questions = town_paragraph(rng, town, province)
        chosen = [(q, answers) for q, answers in rng.sample(questions, rng.randint(2, 4)) if q not in clean.questions]
        text = f"Title: Synthetic_{town}\n\nBackground: {context}"
        for question, answers in chosen:
            text += f"\n\nQuestion: {question}\n\nAnswer: {answers[0][0]}"
        return text


_EXPLAIN = {
    "none": (
        "This bill has no extra charges: only the monthly plan and taxes.",
        "Nothing unusual is on this bill; it is the plan price plus taxes.",
    ),
    "roaming": (
        "This bill is higher because of international roaming charges.",
        "The extra cost on this bill comes from using the phone abroad (roaming).",
    ),
    "late_fee": (
        "This bill is higher because a late payment fee was added.",
        "The previous bill was paid late, so a late fee was charged on this one.",
    ),
    "plan_upgrade": (
        "This bill is higher because the plan was upgraded during the month.",
        "A prorated plan upgrade charge explains the higher amount.",
    ),
    "device_installment": (
        "This bill is higher because it includes a device installment.",
        "Part of this bill pays off a phone bought in installments.",
    ),
}


def _bills(rng: random.Random, clean: Decontamination, stats: CorpusStats) -> str:
    from steps.data.billing import monthly_bills

    statements = []
    for bill in monthly_bills(rng, [rng.randrange(10_000, 100_000) for _ in range(rng.randint(2, 4))]):
        items = "\n".join(f"- {item['description']}: {item['amount']:.2f}" for item in bill["line_items"])
        statements.append(
            f"Bill {bill['bill_id']} dated {bill['bill_date']}, total {bill['amount']:.2f} {bill['currency']}.\n"
            f"{items}\n{rng.choice(_EXPLAIN[bill['change_reason']])}"
        )
    return "\n\n".join(statements)


# How customers describe each kind of extra charge, and what it is called on a bill: the domain
# knowledge the business task builds on (its answers are plain sentences here, never the JSON).
_CUSTOMER_WORDS = {
    "roaming": (
        "I used my phone abroad",
        "I was travelling overseas",
        "I made calls from another country",
        "I was on a trip outside the country",
        "I used mobile data during my holiday abroad",
    ),
    "late_fee": (
        "I paid my last bill late",
        "my payment was overdue",
        "my payment was delayed by a week",
        "I missed the due date",
        "there is a penalty for a late payment",
    ),
    "plan_upgrade": (
        "I switched to a bigger plan",
        "I changed plans in the middle of the month",
        "I moved to a new plan with more data",
        "I upgraded my plan",
        "I got a larger plan",
    ),
    "device_installment": (
        "I bought a new phone",
        "I am paying off my handset",
        "I got a new phone on a payment plan",
        "I pay for my phone every month",
        "I ordered a new handset",
    ),
}
_CHARGE_NAMES = {
    "roaming": "International roaming",
    "late_fee": "Late payment fee",
    "plan_upgrade": "Plan upgrade (prorated)",
    "device_installment": "Device installment",
}


def _customer_words(rng: random.Random) -> tuple[str, str]:
    reason = rng.choice(sorted(_CUSTOMER_WORDS))
    said = rng.choice(_CUSTOMER_WORDS[reason])
    ask = rng.choice(
        (
            f"{said[0].upper()}{said[1:]}. Which charge on my bill is that?",
            f"What does a bill show when {said}?",
            f"{said[0].upper()}{said[1:]}; why is my bill higher?",
        )
    )
    return ask, f"That is the {_CHARGE_NAMES[reason].lower()} charge ({reason}). {rng.choice(_EXPLAIN[reason])}"


_SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "Answer briefly.",
    "You are a support agent of a telecom company.",
    "Follow the instructions exactly.",
)
_TOOLS = ("get_weather", "lookup_account", "send_email", "create_ticket", "convert_currency", "search_docs")


def _statement_lines(bill: dict) -> str:
    items = "; ".join(f"{item['description']} {item['amount']:.2f}" for item in bill["line_items"])
    return f"{bill['bill_id']} | {bill['bill_date']} | {bill['amount']:.2f} {bill['currency']} | {items}"


def _exchange(rng: random.Random, clean: Decontamination, stats: CorpusStats) -> tuple[str, str]:
    from steps.data.billing import monthly_bills

    kind = rng.randrange(6)
    if kind == 5:
        return _customer_words(rng)
    if kind == 0:
        question, answer, _ = smoke.gsm8k_problem(rng)
        if question not in clean.questions:
            return question, answer
        stats.skipped_contaminated += 1
    if kind == 1:
        question, aliases = smoke.trivia_question(rng, rng.choice(_world()))
        if question not in clean.questions:
            return question, aliases[0]
        stats.skipped_contaminated += 1
    if kind == 2:
        bill = monthly_bills(rng, [rng.randrange(10_000, 100_000)])[0]
        ask = rng.choice(("Why is this bill higher than my plan?", "Explain this bill to me.", "What is on this bill?"))
        return f"{ask}\n{_statement_lines(bill)}", rng.choice(_EXPLAIN[bill["change_reason"]])
    if kind == 3:
        name = rng.choice(_TOOLS)
        arguments = {
            "query": invented_word(rng),
            "date": f"20{rng.randint(10, 30)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "limit": rng.randint(1, 50),
        }
        ask = (
            f"Call {name} for {arguments['query']} on {arguments['date']} with limit {arguments['limit']}. "
            "Reply with the call as JSON."
        )
        return ask, json.dumps({"name": name, "arguments": arguments}, separators=(", ", ": "))
    values = [
        rng.choice(
            (
                f"{rng.choice('ABCKRT')}-{rng.randint(10_000, 99_999)}",
                f"20{rng.randint(10, 30)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                f"{rng.randint(1, 999)}.{rng.randint(0, 99):02d}",
                invented_word(rng),
            )
        )
        for _ in range(rng.randint(2, 6))
    ]
    text = " ".join(values)
    return f"{rng.choice(('Repeat exactly:', 'Copy this:', 'Say back:'))} {text}", text


def _chat(rng: random.Random, clean: Decontamination, stats: CorpusStats) -> str:
    turns = [("system", rng.choice(_SYSTEM_PROMPTS))]
    for _ in range(rng.randint(1, 3)):
        user, assistant = _exchange(rng, clean, stats)
        turns += [("user", user), ("assistant", assistant)]
    return chatml(turns)


def _general(rng: random.Random, clean: Decontamination, stats: CorpusStats) -> str:
    return general_text(rng)


SKILLS: dict[str, Callable[[random.Random, Decontamination, CorpusStats], str]] = {
    "arithmetic": _arithmetic,
    "facts": _facts,
    "reading": _reading,
    "bills": _bills,
    "chat": _chat,
    "general": _general,
}


def documents(
    seed: int,
    mix: dict[str, float],
    count_tokens: Callable[[str], int],
    clean: Decontamination,
    stats: CorpusStats | None = None,
) -> Iterator[tuple[str, str, int]]:
    """Endless (skill, text, tokens) stream; each next skill is the one furthest below its share."""
    unknown = set(mix) - set(SKILLS)
    if unknown or not mix or any(share <= 0 for share in mix.values()):
        raise ValueError(f"mix needs positive shares of known skills {sorted(SKILLS)}, got {mix}")
    stats = stats if stats is not None else CorpusStats()
    rng = random.Random(f"pretrain-corpus-{seed}")
    tokens = dict.fromkeys(mix, 0)
    while True:
        skill = min(mix, key=lambda name: (tokens[name] / mix[name], name))
        text = SKILLS[skill](rng, clean, stats)
        n = count_tokens(text)
        tokens[skill] += n
        stats.documents[skill] = stats.documents.get(skill, 0) + 1
        yield skill, text, n
