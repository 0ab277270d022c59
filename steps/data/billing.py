"""Deterministic generator of SYNTHETIC telecom billing questions (the project's example use case).

Every value here is invented: names come from short fixed lists, e-mail domains are the reserved
`example.*` domains, phone numbers use the fictional 555-01xx range, card numbers are random
Luhn-valid numbers. The layout follows the bill-question case study (Amdocs): one record is one
customer question over 3-5 of that customer's monthly bills; ~75 % of questions quote the amount or
date of exactly one bill, the rest quote a value that matches none (`bill_found` false). Each bill
has line items and a `change_reason` (what was added to the plan price: roaming, late_fee,
plan_upgrade, device_installment or none); most questions about a bill with an extra charge name
that charge in the customer's own words ("using my phone abroad", "paying late").

Bill ids are unique within one seed, and seeds that differ modulo 9 never share a bill id
(the id space is split into 9 disjoint blocks, scrambled by a fixed permutation), so a held-out set
generated from another seed never repeats a training bill.

Usage: python -m steps.data.billing --rows 300 --seed 0 --out data/bills.jsonl
"""

from __future__ import annotations

import random
import sys
from datetime import date
from typing import Any

from steps.data import generator_cli
from steps.data.bill_customers import invented_customer, luhn_card
from steps.errors import InvalidInputError

SYNTHETIC_NOTICE = (
    "SYNTHETIC DATA: every customer, bill, e-mail, phone and card number in this file was generated "
    "by steps.data.billing and belongs to nobody."
)
CHANGE_REASONS = ("none", "roaming", "late_fee", "plan_upgrade", "device_installment")
# A charge the example data never has: drifting traffic (`llmops flywheel simulate`) brings it in, as a product
# launch would. Bills carry it only when a generator call asks for a share of it.
NEW_CHARGE = "streaming_addon"
CURRENCY = "USD"
FOUND_FRACTION = 0.75

_PLANS = (("Basic 5GB", 25.0, 40.0), ("Unlimited", 45.0, 70.0), ("Unlimited Plus", 70.0, 110.0))
_EXTRA = {  # change_reason -> (line item description, min amount, max amount)
    "roaming": ("International roaming", 8.0, 160.0),
    "late_fee": ("Late payment fee", 5.0, 35.0),
    "plan_upgrade": ("Plan upgrade (prorated)", 10.0, 60.0),
    "device_installment": ("Device installment", 20.0, 65.0),
    NEW_CHARGE: ("Streaming add-on", 6.0, 25.0),
}
_AMOUNT_TEMPLATES = (
    "I was charged {amount} {currency}, which bill is that?",
    "Why was I billed {amount} {currency}?",
    "Can you explain the charge of {amount} {currency} on my account?",
    "Hi, this is {name}. I see a bill for {amount} {currency}, what is it for?",
    "My email is {email}. Which bill was {amount} {currency}?",
)
_DATE_TEMPLATES = (
    "What was on my bill from {date}?",
    "Please explain the bill dated {date}. You can call me at {phone}.",
    "Hello, {name} here ({email}). Why is my {date} bill higher than usual?",
)
# Questions that name the extra charge in the customer's own words (never the line item's label), per
# change_reason: (templates quoting the amount, templates quoting the date).
_CHARGE_TEMPLATES = {
    "roaming": (
        (
            "There is a charge for using my phone abroad on the bill of {amount} {currency}. Why?",
            "I was travelling last month. Is that why I was billed {amount} {currency}?",
        ),
        (
            "Why am I paying for international calls on my bill from {date}? I was only overseas for a week.",
            "My {date} bill has charges from my trip to another country, can you explain?",
        ),
    ),
    "late_fee": (
        (
            "Why is there a penalty on my bill of {amount} {currency}? I thought I paid on time.",
            "I was charged {amount} {currency}, does that include a fee for paying late?",
        ),
        (
            "I got charged extra for an overdue payment on the bill dated {date}. Why?",
            "Is there a penalty on my {date} bill because my payment was delayed?",
        ),
    ),
    "plan_upgrade": (
        (
            "I switched to a bigger plan. Is that why my bill was {amount} {currency}?",
            "What is the partial-month charge for my new plan on the bill of {amount} {currency}?",
        ),
        (
            "I changed plans in the middle of the month, is that why my {date} bill is higher?",
            "Why does my bill from {date} charge me for part of a month on the new plan?",
        ),
    ),
    "device_installment": (
        (
            "Is the payment for my new phone included in the bill of {amount} {currency}?",
            "Why does my bill of {amount} {currency} include a charge for the handset I bought?",
        ),
        (
            "My {date} bill has a monthly payment for my phone, how is it calculated?",
            "Why is there a handset payment on the bill dated {date}?",
        ),
    ),
    NEW_CHARGE: (
        (
            "Why am I paying for a TV streaming service on my bill of {amount} {currency}?",
            "I never asked for a streaming subscription. Is that why I was billed {amount} {currency}?",
        ),
        (
            "What is the video streaming charge on my bill from {date}?",
            "My {date} bill has a streaming subscription I don't recognise, can you explain?",
        ),
    ),
}
CHARGE_QUESTION_FRACTION = 0.9  # of found bills with an extra charge; the rest get a generic question
_CARD_SUFFIX = " I paid it with card {card}."

# Bill number = 10000 + permutation(stripe * _BLOCK + index): 9 disjoint blocks of the 5-digit space.
_ID_SPACE, _BLOCK, _STRIPES, _MUL, _ADD = 90_000, 10_000, 9, 7919, 12_345
MAX_BILLS_PER_CUSTOMER = 5
MAX_ROWS = _BLOCK // MAX_BILLS_PER_CUSTOMER


def _bill_number(stripe: int, index: int) -> int:
    return 10_000 + (_MUL * (stripe * _BLOCK + index) + _ADD) % _ID_SPACE


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, day.day)  # day <= 28, always valid


def monthly_bills(rng: random.Random, numbers: list[int], new_charge_share: float = 0.0) -> list[dict[str, Any]]:
    """One customer's consecutive monthly bills (one per bill number), each with line items and change_reason.

    `new_charge_share`: the share of bills whose extra charge is NEW_CHARGE instead (0: the random draws, hence
    the bills, are exactly those of a generator without it)."""
    plan, low, high = rng.choice(_PLANS)
    base = round(rng.uniform(low, high), 2)
    start = date(rng.randrange(2023, 2026), rng.randrange(1, 13), rng.randrange(1, 29))
    bills: list[dict[str, Any]] = []
    seen_amounts: set[float] = set()
    for month, number in enumerate(numbers):
        while True:
            reason = "none" if rng.random() < 0.35 else rng.choice(CHANGE_REASONS[1:])
            if new_charge_share and rng.random() < new_charge_share:
                reason = NEW_CHARGE
            items: list[dict[str, Any]] = [{"description": f"Monthly plan ({plan})", "amount": base}]
            if reason != "none":
                label, lo, hi = _EXTRA[reason]
                items.append({"description": label, "amount": round(rng.uniform(lo, hi), 2)})
            subtotal = round(sum(item["amount"] for item in items), 2)
            items.append({"description": "Taxes and surcharges", "amount": round(subtotal * 0.08, 2)})
            amount = round(sum(item["amount"] for item in items), 2)
            if amount not in seen_amounts:  # a quoted amount must identify one bill
                break
        seen_amounts.add(amount)
        bills.append(
            {
                "bill_id": f"B-{number}",
                "bill_date": _add_months(start, month).isoformat(),
                "amount": amount,
                "currency": CURRENCY,
                "line_items": items,
                "change_reason": reason,
            }
        )
    return bills


def _question(rng: random.Random, customer: dict[str, str], bills: list[dict[str, Any]]) -> tuple[str, dict]:
    found = rng.random() < FOUND_FRACTION
    target = rng.choice(bills)
    by_amount = rng.random() < 0.7
    names_charge = found and target["change_reason"] != "none" and rng.random() < CHARGE_QUESTION_FRACTION
    if by_amount:
        amount = target["amount"]
        if not found:
            amounts = {b["amount"] for b in bills}
            while amount in amounts:
                amount = round(rng.uniform(25.0, 250.0), 2)
        templates: tuple[str, ...] = (
            _CHARGE_TEMPLATES[target["change_reason"]][0] if names_charge else _AMOUNT_TEMPLATES
        )
        value = {"amount": f"{amount:.2f}", "currency": target["currency"]}
    else:
        day = target["bill_date"]
        if not found:
            first = date.fromisoformat(bills[0]["bill_date"])
            offset = -rng.randrange(1, 4) if rng.random() < 0.5 else len(bills) + rng.randrange(0, 3)
            day = _add_months(first, offset).isoformat()
        templates = _CHARGE_TEMPLATES[target["change_reason"]][1] if names_charge else _DATE_TEMPLATES
        value = {"date": day}
    text = rng.choice(templates).format(**value, **customer)
    if rng.random() < 0.1:
        text += _CARD_SUFFIX.format(card=luhn_card(rng))
    expected = {
        "bill_found": found,
        "bill_id": target["bill_id"] if found else "",
        "bill_date": target["bill_date"] if found else "",
    }
    return text, expected


def generate_bill_records(n: int, seed: int, new_charge_share: float = 0.0) -> list[dict[str, Any]]:
    """`n` synthetic customer questions; the same (n, seed, new_charge_share) always gives the same records.

    `new_charge_share` (0 to 1): the share of bills charged NEW_CHARGE, a kind of charge the default data never
    has (drifting traffic); 0 gives the records of the generator without it."""
    if not 1 <= n <= MAX_ROWS:
        raise InvalidInputError(f"rows must be between 1 and {MAX_ROWS} per seed, got {n}; use several seeds for more.")
    if not 0.0 <= new_charge_share <= 1.0:
        raise InvalidInputError(f"new_charge_share must be between 0 and 1, got {new_charge_share}")
    rng = random.Random(seed)
    counts = [rng.randrange(3, MAX_BILLS_PER_CUSTOMER + 1) for _ in range(n)]
    indexes = rng.sample(range(_BLOCK), sum(counts))
    stripe = seed % _STRIPES
    accounts: set[str] = set()
    records: list[dict[str, Any]] = []
    for i, count in enumerate(counts):
        account = f"ACC-{rng.randrange(10**7, 10**8)}"
        while account in accounts:
            account = f"ACC-{rng.randrange(10**7, 10**8)}"
        accounts.add(account)
        customer = invented_customer(rng, account)
        numbers = [_bill_number(stripe, index) for index in indexes[:count]]
        del indexes[:count]
        bills = monthly_bills(rng, numbers, new_charge_share)
        question, expected = _question(rng, customer, bills)
        records.append(
            {
                "record_id": f"synthetic-{seed}-{i:05d}",
                "customer": customer,
                "bills": bills,
                "question": question,
                "expected": expected,
            }
        )
    return records


def main(argv: list[str] | None = None) -> int:
    return generator_cli.run(
        argv,
        "steps.data.billing",
        "Write synthetic telecom bill questions as JSONL.",
        generate_bill_records,
        300,
        rows_help="number of records (one per customer)",
        seed_help="random seed; seeds differing mod 9 share no bill id",
        notice=SYNTHETIC_NOTICE,
    )


if __name__ == "__main__":
    sys.exit(main())
