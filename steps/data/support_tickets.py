"""Deterministic generator of SYNTHETIC support tickets: the project's second example (a chat dataset).

Each row is a prompt/completion pair (`dataset.format: prompt-completion`): a customer's message and the
triage an agent system expects, `team: shipping, priority: 1`. The team follows from what went wrong
(a parcel that never came, a double charge, a broken item, a cancellation, a login problem), the
priority from how the customer says it (urgent: 1, no rush: 3, otherwise 2), in varied words. The
rows also carry `team` and `priority`, which the example's metrics read through templates
(`{{item.team}}`, `{{item.priority}}`).

Everything is invented; e-mail domains are the reserved `example.*` ones and phone numbers use the
fictional 555-01xx range.

Usage: python -m steps.data.support_tickets --rows 480 --seed 0 --out examples/support-tickets/tickets.jsonl
"""

from __future__ import annotations

import random
import sys
from typing import Any

from steps.data import generator_cli
from steps.data.bill_customers import invented_customer
from steps.errors import InvalidInputError

SYSTEM = "Triage the ticket. Reply as: team: <shipping|billing|returns|orders|accounts>, priority: <1-3>."
MAX_ROWS = 5000
_ITEMS = ("headphones", "phone case", "charger", "SIM card", "router", "smart watch", "tablet stand", "cable")
_PROBLEMS = {
    "shipping": (
        "my {item} from order {order} never arrived.",
        "the parcel with my {item} has been stuck in transit for two weeks (order {order}).",
        "tracking for order {order} has not moved since {date}; where is my {item}?",
    ),
    "billing": (
        "I was charged twice for order {order} on {date}.",
        "my card shows an extra charge for the {item} I already paid for (order {order}).",
        "the invoice for order {order} has the wrong amount on it.",
    ),
    "returns": (
        "the {item} from order {order} arrived broken and I want to send it back.",
        "I would like to return the {item} (order {order}); it does not fit my phone.",
        "how do I send back a faulty {item}? Order {order}.",
    ),
    "orders": (
        "please cancel order {order}; I ordered the {item} by mistake.",
        "can I change the delivery address of order {order} before it ships?",
        "I want to add a second {item} to order {order}.",
    ),
    "accounts": (
        "I cannot log in to my account since {date}.",
        "my password reset e-mail never comes.",
        "please close my account and delete my saved cards.",
    ),
}
_URGENCY = {
    1: ("This is urgent, please help today.", "I need this sorted ASAP!", "Please treat this as urgent."),
    2: ("", "Thanks.", "Kind regards."),
    3: ("No rush, whenever you have time.", "It is not urgent.", "Take your time, no hurry."),
}
_CONTACTS = ("", "", "", " Mail: {email}", " Phone: {phone}")


def generate_support_tickets(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` synthetic tickets; the same (n, seed) always gives the same rows."""
    if not 1 <= n <= MAX_ROWS:
        raise InvalidInputError(f"rows must be between 1 and {MAX_ROWS}, got {n}")
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        team = rng.choice(sorted(_PROBLEMS))
        priority = rng.choice((1, 2, 3))
        customer = invented_customer(rng, f"ACC-{seed}-{i}")
        problem = rng.choice(_PROBLEMS[team]).format(
            item=rng.choice(_ITEMS),
            order=f"{rng.choice('ABKRTW')}-{rng.randint(10_000, 99_999)}",
            date=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        )
        text = f"{problem[0].upper()}{problem[1:]} {rng.choice(_URGENCY[priority])}".rstrip()
        text += rng.choice(_CONTACTS).format(email=customer["email"], phone=customer["phone"])
        rows.append(
            {
                "id": f"ticket-{seed}-{i:05d}",
                "system": SYSTEM,
                "prompt": text,
                "completion": f"team: {team}, priority: {priority}",
                "team": team,
                "priority": priority,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    return generator_cli.run(
        argv, "steps.data.support_tickets", "Write synthetic support tickets as JSONL.", generate_support_tickets, 480
    )


if __name__ == "__main__":
    sys.exit(main())
