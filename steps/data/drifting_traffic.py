"""SYNTHETIC production traffic of the bill explainer that drifts: the requests of one simulated round, and the
log records once the deployed model has answered them (`llmops flywheel simulate`, docs/flywheel.md).

A round's requests are `steps.data.billing` questions of their own seed (customers and bills nobody else has);
from the drift's first round on, a share of the bills carries a charge the example data never has
(`billing.NEW_CHARGE`, a product launch), so questions about it appear that the released adapter never saw.
Once the model has answered, each request becomes a production log record (docs/curation.md) as the deployed
agent would write it: the request, the model's own answer, what people did with it (`production_logs.
user_feedback`: a right answer rated up now and then, a wrong one rated down and mostly corrected by a support
agent) and, for a share of the requests, a reference model's answer. The simulated reference model answers
right: it stands for the larger model a flywheel asks to label traffic, and is what the drift check scores.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from steps.data.billing import generate_bill_records
from steps.data.production_logs import FORMAT, intent_of, interaction_log, user_feedback
from steps.logic import billing_records

SEED_STRIDE = 9  # a round's seed is seed + round * 9: the same bill-id block as `seed`, other customers
SPACING = timedelta(seconds=20)  # between two requests of a round


@dataclass(frozen=True)
class Request:
    """One customer's question to the deployed model, with what a right answer is."""

    log_id: str
    when: datetime
    messages: list[dict[str, str]]  # system and user
    expected: str  # the right answer (one line of JSON)
    intent: str  # the asked bill's change reason, or bill_not_found
    account: str
    name: str  # the customer's name (personal data curation replaces)


def round_requests(round_no: int, n: int, seed: int, new_charge_share: float, end: datetime) -> list[Request]:
    """Round `round_no`'s `n` requests, the last one at `end`; the same arguments give the same requests."""
    rows = generate_bill_records(n, seed + round_no * SEED_STRIDE, new_charge_share)
    requests = []
    for i, raw in enumerate(rows):
        record = billing_records.BillRecord.model_validate(raw)
        system, user, expected = billing_records.to_chat(record, FORMAT)["messages"]
        requests.append(
            Request(
                log_id=f"sim-{seed}-r{round_no:02d}-{i:04d}",
                when=end - (n - 1 - i) * SPACING,
                messages=[system, user],
                expected=expected["content"],
                intent=intent_of(json.loads(expected["content"])),
                account=record.customer.account_id,
                name=record.customer.name,
            )
        )
    return requests


def answered_right(answer: str, expected: str) -> bool:
    """Whether a customer would call the answer right: the same JSON object as the expected one."""
    try:
        return bool(json.loads(answer) == json.loads(expected))
    except ValueError:
        return False


def round_logs(
    requests: list[Request], answers: list[str], seed: int, round_no: int, reference_share: float
) -> list[dict[str, Any]]:
    """The production log records of answered requests: feedback as people give it, and a reference model's
    answer for about `reference_share` of them (the same arguments give the same records)."""
    if len(answers) != len(requests):
        raise ValueError(f"{len(answers)} answers for {len(requests)} requests")
    rng = random.Random(f"{seed}:{round_no}")
    logs = []
    for request, answer in zip(requests, answers, strict=True):
        log = interaction_log(
            request.log_id, request.when, request.messages, answer, request.intent, request.account, request.name
        )
        feedback = user_feedback(rng, answered_right(answer, request.expected), request.expected)
        if feedback is not None:
            log["feedback"] = feedback
        if rng.random() < reference_share:
            log["reference"] = {"content": request.expected}
        logs.append(log)
    return logs
