"""The invented vocabulary of the SYNTHETIC smoke sets: first names, countable items, months and words
made of fixed syllables (so no generated name is a real place or person by design)."""

from __future__ import annotations

import random

NAMES = (
    "Ada",
    "Bram",
    "Cleo",
    "Dario",
    "Elin",
    "Farid",
    "Greta",
    "Hugo",
    "Iris",
    "Jonas",
    "Kira",
    "Luca",
    "Mina",
    "Nils",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
)
ITEMS = (
    "apples",
    "pencils",
    "stickers",
    "marbles",
    "cookies",
    "books",
    "shells",
    "cards",
    "stamps",
    "buttons",
    "candles",
    "tickets",
)
_SYLLABLES = (
    "ka",
    "lo",
    "ve",
    "ri",
    "ost",
    "ma",
    "dren",
    "tal",
    "sa",
    "mir",
    "bel",
    "zu",
    "nor",
    "vin",
    "el",
    "ta",
    "por",
    "quen",
    "lys",
    "dar",
    "gun",
    "hel",
    "ib",
    "kor",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def invented_word(rng: random.Random, parts: tuple[int, int] = (2, 3)) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(*parts))).capitalize()


def unique_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < count:
        word = invented_word(rng)
        if word not in taken and len(word) >= 4:
            taken.add(word)
            words.append(word)
    return words
