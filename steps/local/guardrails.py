"""Local guardrails: a rails config per released adapter and a check of conversations against it.

Same contract as NeMo Guardrails (`ensure_config`, `check`, `guard`, the `GuardrailCheck` result): the
input rail blocks configured terms in user messages; the output rail blocks answers that leak PII
(e-mail addresses, phone numbers, payment cards), detected with the anonymiser prepare-data uses.
"""

import json
import os
import tempfile
from pathlib import Path

from steps.contracts import GuardrailCheck, GuardrailConfigRef
from steps.errors import InvalidInputError
from steps.logic.anonymize import anonymize_text

DEFAULT_BLOCKED_TERMS = ("ignore your instructions", "ignore previous instructions", "other customer's card")


def _slug(adapter_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "-" for c in adapter_id)


class LocalGuardrails:
    def __init__(self, root: Path) -> None:
        self.root = root / "guardrails"

    def ensure_config(
        self, adapter_id: str, blocked_terms: tuple[str, ...] = DEFAULT_BLOCKED_TERMS
    ) -> GuardrailConfigRef:
        name = f"{_slug(adapter_id)}-rails"
        data = {
            "model": adapter_id,
            "input": {"blocked_terms": sorted(t.lower() for t in blocked_terms)},
            "output": {"block_pii": True},
        }
        path = self.root / f"{name}.json"
        old = json.loads(path.read_text()) if path.exists() else None
        action = "unchanged" if old == data else ("updated" if old else "created")
        if action != "unchanged":
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".json")
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
            os.replace(tmp, path)
        return GuardrailConfigRef(
            config_id=f"local/{name}", namespace="local", name=name, model=adapter_id, action=action
        )

    def check(self, adapter_id: str, messages: list[dict], config_id: str | None = None) -> GuardrailCheck:
        if not messages:
            raise InvalidInputError("a guardrail check needs at least one message")
        ref = config_id or f"local/{_slug(adapter_id)}-rails"
        config = json.loads((self.root / f"{ref.split('/', 1)[1]}.json").read_text())
        rails = {}
        users = " ".join(m["content"].lower() for m in messages if m["role"] == "user")
        hit = [t for t in config["input"]["blocked_terms"] if t in users]
        rails["input: blocked terms"] = "blocked" if hit else "success"
        answers = [m["content"] for m in messages if m["role"] == "assistant"]
        if answers and config["output"]["block_pii"]:
            leaked = {k: n for a in answers for k, n in anonymize_text(a)[1].items() if n}
            rails["output: pii"] = "blocked" if leaked else "success"
        status = "blocked" if "blocked" in rails.values() else "success"
        return GuardrailCheck(config_id=ref, model=adapter_id, status=status, allowed=status == "success", rails=rails)

    def guard(self, adapter_id: str, messages: list[dict]) -> GuardrailCheck:
        ref = self.ensure_config(adapter_id)
        return self.check(adapter_id, messages, ref.config_id)
