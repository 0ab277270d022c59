"""Deterministic generator of SYNTHETIC refund requests: the project's second example (a chat dataset).

Each row is a prompt/completion pair (`dataset.format: prompt-completion`): a customer's message
asking for a refund, with an order id and the amount to refund among distracting numbers (a date,
a quantity, sometimes a phone number or an e-mail address), and the reply an agent system expects:
`Order K-48213, refund 42.50`. The rows also carry `order_id` and `amount`, which the example's
metrics read through templates (`{{item.order_id}}`, `{{item.amount}}`).

Everything is invented; e-mail domains are the reserved `example.*` ones and phone numbers use the
fictional 555-01xx range.

Usage: python -m steps.data.refund_requests --rows 240 --seed 0 --out examples/refund-requests/requests.jsonl
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

from steps.data.bill_customers import invented_customer
from steps.data.billing import write_jsonl
from steps.errors import InvalidInputError, LlmopsError

SYSTEM = "Reply with the order id and the amount to refund, as: Order <id>, refund <amount>."
MAX_ROWS = 5000
_ITEMS = ("headphones", "phone case", "charger", "SIM card", "router", "smart watch", "tablet stand", "cable")
_OPENERS = ("Hi,", "Hello,", "Good morning,", "Hey there,", "Dear support,")
_MESSAGES = (
    "{opener} I was charged {amount} twice for order {order} on {date}. Please refund the extra charge.",
    "{opener} order {order} ({qty} x {item}) arrived broken on {date}. I want my {amount} back.",
    "{opener} please refund {amount} for my order {order}; I returned the {item} on {date}.",
    "{opener} I cancelled order {order} on {date} but still paid {amount} for {qty} {item}s. Refund please.",
    "{opener} the {item} from order {order} never came. It cost {amount}. Can I get a refund?",
)
_CONTACTS = ("", "", " You can reach me at {email}.", " Call me on {phone} if needed.")


def _order_id(rng: random.Random) -> str:
    return f"{rng.choice('ABKRTW')}-{rng.randint(10_000, 99_999)}"


def generate_refund_requests(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` synthetic refund requests; the same (n, seed) always gives the same rows."""
    if not 1 <= n <= MAX_ROWS:
        raise InvalidInputError(f"rows must be between 1 and {MAX_ROWS}, got {n}")
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    orders: set[str] = set()
    for i in range(n):
        order = _order_id(rng)
        while order in orders:
            order = _order_id(rng)
        orders.add(order)
        amount = f"{rng.randint(3, 400)}.{rng.randint(0, 99):02d}"
        customer = invented_customer(rng, f"ACC-{seed}-{i}")
        text = rng.choice(_MESSAGES).format(
            opener=rng.choice(_OPENERS),
            amount=amount,
            order=order,
            date=f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            qty=rng.randint(2, 5),
            item=rng.choice(_ITEMS),
        )
        text += rng.choice(_CONTACTS).format(email=customer["email"], phone=customer["phone"])
        rows.append(
            {
                "id": f"refund-{seed}-{i:05d}",
                "system": SYSTEM,
                "prompt": text,
                "completion": f"Order {order}, refund {amount}",
                "order_id": order,
                "amount": float(amount),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m steps.data.refund_requests", description="Write synthetic refund requests as JSONL."
    )
    parser.add_argument("--rows", type=int, default=240, help="number of rows")
    parser.add_argument("--seed", type=int, default=0, help="random seed (order ids are unique within a seed)")
    parser.add_argument("--out", required=True, help="output .jsonl file")
    args = parser.parse_args(argv)
    try:
        count = write_jsonl(args.out, generate_refund_requests(args.rows, args.seed))
    except LlmopsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {count} rows to {args.out} (SYNTHETIC DATA)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
