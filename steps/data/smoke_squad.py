"""SYNTHETIC SQuAD v1.1-layout rows: extractive questions over short invented town paragraphs.

Every answer is a tagged span of the paragraph, so every `answer_start` is exact (and verified).
"""

from __future__ import annotations

import random

from steps.data.smoke_words import MONTHS, NAMES, invented_word, unique_words


class _Builder:
    """Builds a paragraph and remembers the character span of each tagged piece."""

    def __init__(self) -> None:
        self.text = ""
        self.spans: dict[str, tuple[int, int]] = {}

    def add(self, *parts: str | tuple[str, str]) -> None:
        for part in parts:
            if isinstance(part, tuple):
                key, value = part
                self.spans[key] = (len(self.text), len(self.text) + len(value))
                self.text += value
            else:
                self.text += part

    def answer(self, *keys: str) -> tuple[str, int]:
        start, end = self.spans[keys[0]][0], self.spans[keys[-1]][1]
        return self.text[start:end], start


def town_paragraph(rng: random.Random, town: str, province: str) -> tuple[str, list[tuple[str, list[tuple[str, int]]]]]:
    founder = f"{rng.choice(NAMES)} {invented_word(rng)}"
    year, month = str(rng.randint(1200, 1899)), rng.choice(MONTHS)
    population = f"{rng.randint(2, 95)},{rng.randint(0, 999):03d}"
    b = _Builder()
    b.add(
        f"{town} is a small {rng.choice(('river', 'harbour', 'mountain', 'market'))} town in the ",
        ("prov_pre", "province of "),
        ("province", province),
        ". It was founded in ",
        ("year", year),
        " by ",
        ("founder", founder),
        ("founder_suffix", f", a {rng.choice(('shipbuilder', 'miller', 'weaver', 'merchant'))}"),
        ". The town is known for ",
        ("its", "its "),
        (
            "landmark",
            f"{rng.choice(('copper', 'stone', 'painted', 'floating'))} "
            f"{rng.choice(('bridges', 'towers', 'gardens', 'markets'))}",
        ),
        " and for its annual ",
        ("festival", f"{rng.choice(('lantern', 'harvest', 'music', 'kite'))} festival"),
        ", which is held ",
        ("in", "in "),
        ("month", month),
        ". ",
        ("about", "About "),
        ("population", population),
        f" people live in {town} today, and most of them work in ",
        ("industry", rng.choice(("fishing", "tourism", "farming", "glassmaking", "printing"))),
        ".",
    )
    questions = [
        (f"Who founded {town}?", [b.answer("founder"), b.answer("founder"), b.answer("founder", "founder_suffix")]),
        (f"In what year was {town} founded?", [b.answer("year")] * 3),
        (f"In which province is {town}?", [b.answer("province"), b.answer("prov_pre", "province")]),
        (f"When is the {b.answer('festival')[0]} of {town} held?", [b.answer("month"), b.answer("in", "month")]),
        (f"How many people live in {town}?", [b.answer("population"), b.answer("about", "population")]),
        (f"What is {town} known for besides its festival?", [b.answer("landmark"), b.answer("its", "landmark")]),
        (f"In what do most people of {town} work?", [b.answer("industry")] * 2),
    ]
    return b.text, questions


def squad_rows(seed: int, n: int) -> list[dict]:
    rng = random.Random(f"squad-{seed}")
    taken: set[str] = set()
    rows: list[dict] = []
    while len(rows) < n:
        town, province = unique_words(rng, 2, taken)
        context, questions = town_paragraph(rng, town, province)
        for question, answers in rng.sample(questions, rng.randint(3, 5)):
            if len(rows) == n:
                break
            for text, start in answers:  # verify every span
                assert context[start : start + len(text)] == text, (text, start)
            rows.append(
                {
                    "id": f"synthetic-squad-{len(rows):05d}",
                    "title": f"Synthetic_{town}",
                    "context": context,
                    "question": question,
                    "answers": {"text": [t for t, _ in answers], "answer_start": [s for _, s in answers]},
                }
            )
    return rows
