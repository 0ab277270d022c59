"""A chat model over any OpenAI-compatible HTTP route (NIM's `/v1`, a gateway's OpenAI route).

`OpenAIChat(policy, base_url, model_id, path=...).create(messages)` returns an OpenAI `chat.completion`
dict; `create_batch` sends many conversations concurrently (bounded, 8 by default) and returns the replies
in input order. A chat completion has no side effect, so a request is retried on transient failures
(connection reset, timeout, 408/429/5xx, honouring Retry-After), a few times at most; other errors fail at
once, through the backend's `RemotePolicy` (its redaction, its time scale). Tool-call `arguments` come
back as a JSON string (the OpenAI shape) whether the server sent a string or an object; `parse_tool_calls`
gives them as dicts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel

from steps import progress
from steps.errors import InvalidInputError
from steps.logic.generation import per_conversation_tools, stop_strings
from steps.remote import calls
from steps.remote.policy import RemotePolicy

CHAT_PATH = "/v1/chat/completions"


class ToolCall(BaseModel):
    id: str | None
    name: str
    arguments: dict[str, Any]
    arguments_valid: bool  # False when `arguments` was not a JSON object (kept as {} then)


def _arguments(raw: Any) -> tuple[dict[str, Any], bool]:
    if isinstance(raw, dict):
        return raw, True
    if isinstance(raw, str):
        try:
            value = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            return {}, False
        return (value, True) if isinstance(value, dict) else ({}, False)
    return {}, raw is None


def parse_tool_calls(reply: dict) -> list[ToolCall]:
    """The tool calls of a chat completion (or of one message), arguments parsed from string or object."""
    message = reply["choices"][0]["message"] if "choices" in reply else reply
    found = []
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        arguments, valid = _arguments(function.get("arguments"))
        found.append(
            ToolCall(
                id=call.get("id"), name=str(function.get("name") or ""), arguments=arguments, arguments_valid=valid
            )
        )
    return found


def normalise(reply: dict) -> dict:
    """Tool-call arguments sent as an object become the JSON string OpenAI's shape has."""
    for choice in reply.get("choices") or []:
        for call in (choice.get("message") or {}).get("tool_calls") or []:
            function = call.get("function") or {}
            if isinstance(function.get("arguments"), (dict, list)):
                function["arguments"] = json.dumps(function["arguments"], sort_keys=True)
    return reply


class OpenAIChat:
    """The ChatModel port over `POST {base_url}{path}`; `headers()` is read once per batch (fresh secrets)."""

    def __init__(
        self,
        policy: RemotePolicy,
        base_url: str,
        model_id: str,
        *,
        path: str = CHAT_PATH,
        headers: Callable[[], dict[str, str]] = dict,
        concurrency: int = 8,
        timeout: float = 120.0,
        attempts: int = 4,
    ) -> None:
        policy.install_log_redaction()
        self.policy = policy
        self.base_url = base_url.rstrip("/")
        self.path = path
        self.model_id = model_id
        self.headers = headers
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.attempts = max(1, attempts)

    def create(
        self,
        messages: list[dict],
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        tools: list[dict] | None = None,
        **extra: Any,
    ) -> dict:
        return self.create_batch([messages], max_tokens, temperature, stop, seed=seed, tools=[tools], **extra)[0]

    def create_batch(
        self,
        conversations: list[list[dict]],
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        batch_size: int = 16,
        seed: int | None = None,
        tools: list[list[dict] | None] | None = None,
        **extra: Any,
    ) -> list[dict]:
        """Replies in input order; `batch_size` is accepted for interface parity (concurrency bounds the load)."""
        stop = stop_strings(max_tokens, temperature, stop) or None
        offered = per_conversation_tools(tools, len(conversations))
        bodies = []
        for index, messages in enumerate(conversations):
            if not messages or any(not isinstance(m, dict) or "role" not in m for m in messages):
                raise InvalidInputError("messages must be a non-empty list of {'role', 'content'} objects")
            body = {
                "model": self.model_id,
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": temperature,
                **extra,
            }
            if stop:
                body["stop"] = list(stop)
            if seed is not None:
                body["seed"] = seed
            if offered[index]:
                body["tools"] = offered[index]
            bodies.append(body)
        if not bodies:
            return []
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._send_all(bodies))
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # called from inside an event loop
            return pool.submit(asyncio.run, self._send_all(bodies)).result()

    async def _send_all(self, bodies: list[dict]) -> list[dict]:
        import aiohttp

        # aiohttp rather than httpx here: httpcore's pool scans every connection for every request, so at 32
        # requests in flight the client, not the server, bounded the throughput (bench/eval_client.py).
        # aiohttp sets TCP_NODELAY on its connections (no Nagle wait for the server's delayed ACK).
        limit = asyncio.Semaphore(self.concurrency)
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        timeout = aiohttp.ClientTimeout(total=self.timeout, connect=10.0)
        proxy = env_proxy(self.base_url)  # read once per batch: aiohttp's trust_env reads it for every request
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=self.headers()) as session:
            tasks = [asyncio.create_task(self._send(session, limit, body, i, proxy)) for i, body in enumerate(bodies)]
            if len(tasks) > 1:  # a batch, not one reply: the step's progress (Argo's N/M)
                done = [0]

                def count(_: asyncio.Task) -> None:
                    done[0] += 1
                    progress.report(done[0], len(tasks), unit="replies")

                for task in tasks:
                    task.add_done_callback(count)
            try:
                return list(await asyncio.gather(*tasks))
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

    async def _send(self, session: Any, limit: asyncio.Semaphore, body: dict, index: int, proxy: str | None) -> dict:
        what = f"chat completion {index} for {self.model_id}"
        log = self.policy.get_logger(__name__)
        url = f"{self.base_url}{self.path}"
        async with limit:
            for attempt in range(1, self.attempts + 1):
                try:
                    return normalise(await _post(session, url, body, proxy))
                except self.policy.api_errors as exc:
                    if attempt == self.attempts or not calls.is_transient(self.policy, exc):
                        where = f"{what} (POST {url})"
                        raise calls.platform_error(self.policy, exc, where) from None
                    delay = calls.backoff(self.policy, attempt, exc)
                    log.warning("%s: transient failure; retry %d/%d in %.1fs", what, attempt, self.attempts - 1, delay)
                    await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for this URL (HTTP_PROXY/HTTPS_PROXY, NO_PROXY honoured), as httpx and
    the SDKs use it; None for none."""
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not proxies or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


async def _post(session: Any, url: str, body: dict, proxy: str | None) -> dict:
    """POST one request; an HTTP error status is raised as httpx's HTTPStatusError (status, headers and body
    kept, so the remote policy reads a 429's Retry-After as for the SDKs' errors), a failed connection as
    ConnectionError, a timeout as TimeoutError."""
    import aiohttp

    try:
        async with session.post(url, json=body, proxy=proxy) as response:
            content = await response.read()
            if response.status >= 400:
                request = httpx.Request("POST", url)
                answer = httpx.Response(
                    response.status, headers=list(response.headers.items()), content=content, request=request
                )
                kind = "Client" if response.status < 500 else "Server"
                raise httpx.HTTPStatusError(
                    f"{kind} error '{response.status} {response.reason}' for url '{url}'",
                    request=request,
                    response=answer,
                )
            return json.loads(content)
    except aiohttp.ClientError as exc:  # refused, reset, closed mid-answer
        raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
