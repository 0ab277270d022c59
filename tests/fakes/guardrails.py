"""Guardrails (nemo-api.md §7): config store (`/v1/guardrail/configs`, built-ins `default`, `abc`,
`self-check` in namespace `default`), `POST /v1/guardrail/checks` and `/v1/guardrail/chat/completions`.

Policy (deterministic, [I]): a rail blocks when the checked text contains one of the config's
`data.blocked_terms` (a fake-only field) or, by default, BLOCKED_TERMS. Input rails are the
config's `data.rails.input.flows` (default "self check input") over the user messages; output rails
(`data.rails.output.flows`, default "self check output") run when the last message is the assistant's.
"""

from __future__ import annotations

import copy
import time

from tests.fakes.entity_handlers import Collection, register_crud
from tests.fakes.inference import chat_completion, served_models
from tests.fakes.nemo_state import ApiError, entity_common, split_ref

BLOCKED_TERMS = (
    "bomb",
    "weapon",
    "kill",
    "hack into",
    "credit card number",
    "social security number",
    "ignore previous instructions",
)
SEED_GUARDRAILS = [
    {"name": "default", "namespace": "default", "files_url": "file:///app/services/guardrails/config-store/default"},
    {"name": "abc", "namespace": "default", "files_url": "file:///app/services/guardrails/config-store/abc"},
    {
        "name": "self-check",
        "namespace": "default",
        "files_url": "file:///app/services/guardrails/config-store/self-check",
        "data": {"rails": {"input": {"flows": ["self check input"]}, "output": {"flows": ["self check output"]}}},
    },
]


def _guardrail_config(ctx, guardrails: dict) -> dict:
    if isinstance(guardrails.get("config"), dict):
        return guardrails["config"]
    ref = guardrails.get("config_id") or (guardrails.get("config_ids") or [None])[0]
    if not ref:
        raise ApiError(422, [{"loc": ["body", "guardrails", "config_id"], "msg": "Field required", "type": "missing"}])
    cfg = ctx.state.guardrail_configs.get(split_ref(ref))
    if cfg is None:
        raise ApiError(404, f"Guardrail config {ref} not found")
    return cfg


def check_messages(config: dict, messages: list) -> dict:
    data = config.get("data") or {}
    rails = data.get("rails") or {}
    terms = [t.lower() for t in data.get("blocked_terms") or BLOCKED_TERMS]

    def blocked(text):
        return any(t in str(text or "").lower() for t in terms)

    user_text = " ".join(str(x.get("content") or "") for x in messages if x.get("role") == "user")
    rails_status, activated = {}, []
    for flow in (rails.get("input") or {}).get("flows") or ["self check input"]:
        rails_status[flow] = {"status": "blocked" if blocked(user_text) else "success"}
        activated.append({"type": "input", "name": flow, "stop": blocked(user_text)})
    if messages and messages[-1].get("role") == "assistant":
        for flow in (rails.get("output") or {}).get("flows") or ["self check output"]:
            rails_status[flow] = {"status": "blocked" if blocked(messages[-1].get("content")) else "success"}
            activated.append({"type": "output", "name": flow, "stop": blocked(messages[-1].get("content"))})
    status = "blocked" if any(r["status"] == "blocked" for r in rails_status.values()) else "success"
    return {
        "status": status,
        "rails_status": rails_status,
        "guardrails_data": {"log": {"activated_rails": activated, "stats": {}}, "config_ids": []},
    }


def guardrail_check(ctx, req, m):
    body = req.json_object()
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        raise ApiError(422, [{"loc": ["body", "messages"], "msg": "Field required", "type": "missing"}])
    return check_messages(_guardrail_config(ctx, body.get("guardrails") or {}), body["messages"])


def guardrail_chat(ctx, req, m):
    body = req.json_object()
    result = check_messages(_guardrail_config(ctx, body.get("guardrails") or {}), body.get("messages") or [])
    if result["status"] == "blocked":
        return {
            "id": "chatcmpl-guardrails",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "guardrails_data": result["guardrails_data"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "I'm sorry, I can't respond to that."},
                }
            ],
        }
    generate = chat_completion(ctx, {k: v for k, v in body.items() if k != "guardrails"})
    return lambda: dict(generate(), guardrails_data=result["guardrails_data"])


def routes(router, ctx) -> None:
    def add(methods, pattern, fn):
        return router.add(methods, pattern, lambda req, m: fn(ctx, req, m))

    register_crud(
        router, ctx, Collection("guardrail_config", "Guardrail config", "guardrail_configs", "/v1/guardrail/configs")
    )
    add("POST", r"/v1/guardrail/checks", guardrail_check)
    add("POST", r"/v1/guardrail/chat/completions", guardrail_chat)
    add(
        "GET",
        r"/v1/guardrail/models",
        lambda c, r, m: {
            "object": "list",
            "data": [{"id": mid, "object": "model", "owned_by": "system"} for mid in served_models(c, c.clock.now())],
        },
    )


def seed(ctx) -> None:
    for cfg in copy.deepcopy(SEED_GUARDRAILS):
        obj = entity_common(ctx.state, ctx.clock, cfg, id_prefix="guardrail_config")
        ctx.state.guardrail_configs[(obj["namespace"], obj["name"])] = obj
