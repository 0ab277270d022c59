"""Invented customers for the billing generator: names from short fixed lists, `example.*` e-mail domains,
phone numbers in the fictional 555-01xx range and random Luhn-valid card numbers."""

from __future__ import annotations

import random

_FIRST = (
    "Maria",
    "James",
    "Aisha",
    "Chen",
    "Olga",
    "Pedro",
    "Fatima",
    "Liam",
    "Noa",
    "Ravi",
    "Sofia",
    "Kenji",
    "Amara",
    "Lucas",
    "Ingrid",
    "Tomas",
    "Leila",
    "Mateo",
    "Hana",
    "Omar",
)
_LAST = (
    "Garcia",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Novak",
    "Haddad",
    "Moreau",
    "Kowalski",
    "Patel",
    "Silva",
    "Jensen",
    "Rossi",
    "Nguyen",
    "Abebe",
    "Fischer",
    "Costa",
    "Ibrahim",
    "Walsh",
)
_DOMAINS = ("example.com", "example.net", "example.org")


def luhn_card(rng: random.Random) -> str:
    digits = [4] + [rng.randrange(10) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit will sit right of these
        doubled = d * 2 if i % 2 == 0 else d
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def _phone(rng: random.Random) -> str:
    area, line = rng.randrange(201, 990), rng.randrange(100)
    style = rng.randrange(3)
    if style == 0:
        return f"({area}) 555-01{line:02d}"
    if style == 1:
        return f"{area}-555-01{line:02d}"
    return f"+1 {area} 555 01{line:02d}"


def invented_customer(rng: random.Random, account_id: str) -> dict[str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    email = f"{first}.{last}{rng.randrange(10, 100)}@{rng.choice(_DOMAINS)}".lower()
    return {"name": f"{first} {last}", "email": email, "phone": _phone(rng), "account_id": account_id}
