"""Deployment Management (nemo-api.md §5) and NIM (§6).

DMS: `pending -> ready` (`status_details.status`, `deployed` flips to true), or `failed` under a
`deployment_fails` fault. A duplicate create answers HTTP 500 "model deployment already exists",
as the blueprint observed (§5). NIM lives under the `/nim` prefix of the fake (its `/v1/models`
would otherwise collide with the Entity Store's): it serves the base model of every ready
deployment, `nim_base_models` given at start-up, and every LoRA model entity whose base it serves,
once the model-sync delay after `upload_completed` has passed (NIM polls the Entity Store).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time

from tests.fakes.entity_handlers import Collection, register_crud
from tests.fakes.nemo_state import (
    ApiError,
    entity_common,
    list_response,
    matches_filters,
    parse_filters,
    split_ref,
    unprocessable,
)


class Deployment:
    def __init__(self, ctx, body: dict, model: str, faults: dict) -> None:
        self.ctx, self.body, self.model = ctx, body, model
        self.t0 = ctx.clock.now()
        self.t_ready = self.t0 + ctx.delays["deployment.pending"]
        self.fail_detail = None
        if "deployment_fails" in faults:
            self.fail_detail = faults["deployment_fails"].params.get(
                "detail", "pod failed: ImagePullBackOff for the NIM image (injected fault)"
            )
        self.k8s_name = f"modeldeployment-{body['namespace']}-{body['name']}"

    def status_at(self, t: float) -> str:
        if self.fail_detail and t >= self.t0 + (self.t_ready - self.t0) / 2:
            return "failed"
        return "ready" if t >= self.t_ready and not self.fail_detail else "pending"

    def view(self, t: float) -> dict:
        status = self.status_at(t)
        description = {
            "pending": f'deployment "{self.k8s_name}" is pending',
            "ready": f'deployment "{self.k8s_name}" successfully rolled out',
            "failed": f'deployment "{self.k8s_name}" failed: {self.fail_detail}',
        }[status]
        return dict(
            self.body, status_details={"status": status, "description": description}, deployed=status == "ready", url=""
        )


def served_models(ctx, t: float) -> list[str]:
    """Model ids NIM `/v1/models` lists at nominal time t."""
    bases = list(
        dict.fromkeys(
            list(ctx.state.nim_static_models)
            + [d.model for d in ctx.state.deployments.values() if d.status_at(t) == "ready"]
        )
    )
    adapters = []
    for key, meta in ctx.state.model_meta.items():
        entity = ctx.state.models.get(key)
        if entity is None or meta.get("ready_t") is None or t < meta["ready_t"] + meta["sync_delay"]:
            continue
        base = entity.get("base_model")
        base = base.get("name") if isinstance(base, dict) else base
        if base in bases and (entity.get("peft") or f"{key[0]}/{key[1]}" != base):
            adapters.append(f"{key[0]}/{key[1]}")
    return bases + adapters


# ----------------------------------------------------------------------------- DMS


def deployment_create(ctx, req, m):
    body = req.json_object()
    errors = [(("body", f), "Field required", "missing") for f in ("name", "namespace", "config") if not body.get(f)]
    cfg = body.get("config")
    model = None
    if isinstance(cfg, dict):
        model = cfg.get("model")
        if not model:
            errors.append((("body", "config", "model"), "Field required", "missing"))
        nim = cfg.get("nim_deployment")
        if nim is None and not cfg.get("external_endpoint"):
            errors.append((("body", "config", "nim_deployment"), "Field required", "missing"))
        for f in ("image_name", "image_tag", "gpu") if isinstance(nim, dict) else ():
            if nim.get(f) in (None, ""):
                errors.append((("body", "config", "nim_deployment", f), "Field required", "missing"))
    if errors:
        raise unprocessable(errors)
    if isinstance(cfg, str):
        stored = ctx.state.deployment_configs.get(split_ref(cfg))
        if stored is None:
            raise ApiError(404, f"Deployment config {cfg} not found")
        model = stored.get("model")
    key = (body["namespace"], body["name"])
    if key in ctx.state.deployments:
        raise ApiError(500, "model deployment already exists")  # sic: the real DMS answers 500 (§5)
    view = entity_common(ctx.state, ctx.clock, {k: v for k, v in body.items() if k != "hf_token"})
    view.setdefault("async_enabled", False)
    view.setdefault("models", [model])
    faults = ctx.faults.take_lifecycle({"deployment_fails"}, req.method, req.path)
    dep = Deployment(ctx, view, model, faults)
    ctx.state.deployments[key] = dep
    ctx.created("deployment", f"{key[0]}/{key[1]}", body)
    return dep.view(ctx.clock.now())


def _deployment(ctx, m) -> Deployment:
    dep = ctx.state.deployments.get((m["ns"], m["name"]))
    if dep is None:
        raise ApiError(404, f"Model deployment {m['ns']}/{m['name']} not found")
    return dep


def deployment_delete(ctx, req, m):
    dep = _deployment(ctx, m)
    del ctx.state.deployments[(m["ns"], m["name"])]
    return {"id": dep.k8s_name, "deleted_at": ctx.clock.iso(ctx.clock.now()), "message": "Deployment deleted"}


def deployment_list(ctx, req, m):
    t, filters = ctx.clock.now(), parse_filters(req.query)
    views = [d.view(t) for d in ctx.state.deployments.values()]
    return list_response([v for v in views if matches_filters(v, filters)], req.query)


# ----------------------------------------------------------------------------- NIM


def openai_error(status: int, message: str, typ: str, param: str | None = None) -> ApiError:
    return ApiError(status, message, body={"error": {"message": message, "type": typ, "param": param, "code": status}})


def nim_models(ctx, req, m):
    t, created = ctx.clock.now(), int(time.time())
    data = []
    for mid in served_models(ctx, t):
        entity = ctx.state.models.get(split_ref(mid)) if ctx.state.model_meta.get(split_ref(mid)) else None
        parent = entity.get("base_model") if entity else None
        data.append(
            {
                "id": mid,
                "object": "model",
                "created": created,
                "owned_by": "system",
                "root": mid,
                "parent": parent,
                "max_model_len": 4096,
            }
        )
    return {"object": "list", "data": data}


def _echo(model: str, messages: list, tools, tool_choice, max_tokens: int) -> dict:
    text = next((m.get("content") or "" for m in reversed(messages) if m.get("role") == "user"), "")
    if isinstance(text, list):
        text = " ".join(p.get("text", "") for p in text if isinstance(p, dict))
    message = {"role": "assistant", "content": " ".join(("echo: " + text).split()[:max_tokens])}
    finish = "stop"
    forced = tool_choice == "required" or isinstance(tool_choice, dict)
    if tools and forced:
        name = (tool_choice.get("function") or {}).get("name") if isinstance(tool_choice, dict) else None
        name = name or tools[0].get("function", {}).get("name")
        call_id = "chatcmpl-tool-" + hashlib.sha1(f"{model}{text}".encode()).hexdigest()[:16]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}],
        }
        finish = "tool_calls"
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}]}


def _chat_model_for(ctx, model_id: str):
    cm = ctx.chat_model
    if cm is None:
        return None
    if isinstance(cm, dict):
        return cm.get(model_id) or cm.get("*")
    if not hasattr(cm, "create") and callable(cm):
        return cm(model_id)
    return cm


def _accepts(fn, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def chat_completion(ctx, body: dict):
    """Validate under the state lock; return a callable that generates outside it."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        raise openai_error(400, "'model' is required", "BadRequestError", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(x, dict) and "role" in x for x in messages):
        raise openai_error(400, "'messages' must be a non-empty list of {role, content}", "BadRequestError", "messages")
    model = body["model"]
    if model not in served_models(ctx, ctx.clock.now()):
        raise openai_error(404, f"The model `{model}` does not exist.", "NotFoundError", "model")
    cm = _chat_model_for(ctx, model)
    tools, tool_choice = body.get("tools"), body.get("tool_choice", "auto" if body.get("tools") else None)
    max_tokens = int(body.get("max_tokens") or 256)

    def generate():
        if cm is None:
            out = _echo(model, messages, tools, tool_choice, max_tokens)
        else:
            kwargs = {
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": float(body.get("temperature") or 0.0),
                "stop": body.get("stop"),
            }
            for name, value in (("tools", tools), ("tool_choice", tool_choice)):
                if value is not None and _accepts(cm.create, name):
                    kwargs[name] = value
            try:
                out = dict(cm.create(**kwargs))
            except Exception as exc:  # the model's failure is the server's 500
                raise openai_error(500, f"{type(exc).__name__}: {exc}", "InternalServerError") from exc
        for choice in out.get("choices", []):
            for call in (choice.get("message") or {}).get("tool_calls") or []:
                fn = call.get("function") or {}
                if not isinstance(fn.get("arguments"), str):
                    fn["arguments"] = json.dumps(fn.get("arguments") or {})
        prompt_tokens = sum(len(str(x.get("content") or "").split()) for x in messages)
        completion_tokens = sum(len(str((c.get("message") or {}).get("content") or "").split()) for c in out["choices"])
        response = {
            "id": "chatcmpl-" + hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:24],
            "object": "chat.completion",
            "created": int(time.time()),
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        response.update(out)
        response["model"] = model  # the served id, whatever the chat model calls itself
        return response

    return generate


def routes(router, ctx) -> None:
    def add(methods, pattern, fn):
        return router.add(methods, pattern, lambda req, m: fn(ctx, req, m))

    add("POST", r"/v1/deployment/model-deployments", deployment_create)
    add("GET", r"/v1/deployment/model-deployments", deployment_list)
    item = r"/v1/deployment/model-deployments/(?P<ns>[^/]+)/(?P<name>[^/]+)"
    add("GET", item, lambda c, r, m: _deployment(c, m).view(c.clock.now()))
    add("DELETE", item, deployment_delete)
    register_crud(
        router,
        ctx,
        Collection("deployment_config", "Deployment config", "deployment_configs", "/v1/deployment/configs"),
    )
    add("GET", r"/nim/v1/models", nim_models)
    add("POST", r"/nim/v1/chat/completions", lambda c, r, m: chat_completion(c, r.json))
    add("GET", r"/nim/v1/health/(?:ready|live)", lambda c, r, m: {"object": "health.response", "message": "ready"})
