"""A deterministic content-safety model on 127.0.0.1 (OpenAI chat completions), for guardrail checks.

It reads NemoGuard's content-safety prompts (`steps.logic.content_safety`): the conversation after
`user:` and, for the output rail, after `response: agent:`; a text containing any of `unsafe_words` is
unsafe. Its answer is NemoGuard's JSON (`{"User Safety": ..., "Response Safety": ...}`). Other prompts (a
main-model call through the same server) get a plain helpful answer. Every request is recorded.
"""

from __future__ import annotations

import json
import re
import threading

from tests.fakes.fake_http import Request, RequestRecord, Response, ServedApp, json_response

_USER = re.compile(r"user: (.*?)(?:\n\nresponse: agent: |\n\nAnswer in JSON|$)", re.DOTALL)
_AGENT = re.compile(r"response: agent: (.*?)\n\nAnswer in JSON", re.DOTALL)


class FakeSafetyModel(ServedApp):
    thread_name = "fake-safety"

    def __init__(self, unsafe_words: tuple[str, ...] = ("explosive", "weapon")) -> None:
        self.unsafe_words = tuple(w.lower() for w in unsafe_words)
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _safe(self, text: str) -> str:
        return "unsafe" if any(word in text.lower() for word in self.unsafe_words) else "safe"

    def app(self, req: Request) -> Response:
        with self._lock:
            self.requests.append(req.record)
        if req.method == "GET" and req.path == "/v1/models":
            return json_response({"object": "list", "data": [{"id": "safety", "object": "model"}]})
        if req.method != "POST" or req.path != "/v1/chat/completions":
            return json_response({"error": {"message": f"no route {req.method} {req.path}"}}, 404)
        body = req.json if isinstance(req.json, dict) else {}
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages") or [] if isinstance(m, dict))
        if "Check if there is unsafe content" in prompt:
            user = _USER.search(prompt)
            verdict = {"User Safety": self._safe(user.group(1) if user else prompt)}
            agent = _AGENT.search(prompt)
            if agent:
                verdict["Response Safety"] = self._safe(agent.group(1))
            text = json.dumps(verdict)
        else:
            text = "Here is the breakdown of your bill."
        return json_response(
            {
                "id": f"chatcmpl-safety-{len(self.requests)}",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1},
            }
        )
