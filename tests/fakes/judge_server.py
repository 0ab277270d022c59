"""A deterministic OpenAI-compatible judge on 127.0.0.1, with fault injection, for the judge client's tests.

`POST /v1/chat/completions` reads the reference and the assistant answer from the rubric's tags
(`steps.logic.judge_rubrics`) and the scale from "an integer from MIN to MAX", and grades by word overlap:
raw = MIN + round(F1(reference words, answer words) * (MAX - MIN)). The reply's form is `style`:
"plain" (`Rationale: ...` / `Score: N`, with other digits in the rationale), "json" or "markdown"
(`**Rating:** N/MAX`).

Faults: the first `fail_first` requests fail with `fail_with` ("reset": the connection is dropped with no
answer, or an HTTP status); `reply_for[answer]` replaces the reply text for that answer (garbage, an
out-of-range score); `status_for[answer]` answers that HTTP status for it; `api_key` set means a request
without `Authorization: Bearer <api_key>` gets 401; `model` set means another model id gets 404.
Every request is recorded in `requests` (with its headers).
"""

from __future__ import annotations

import json
import re
import threading

from tests.fakes.fake_http import Request, RequestRecord, Response, ServedApp, json_response

_TAG = re.compile(r"<(reference_answer|assistant_answer)>\n(.*?)\n</\1>", re.DOTALL)
_SCALE = re.compile(r"an integer from (\d+) to (\d+)")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def overlap_f1(reference: str, answer: str) -> float:
    ref, ans = _words(reference), _words(answer)
    common = sum(min(ref.count(w), ans.count(w)) for w in set(ans))
    if not ref or not ans or not common:
        return 0.0
    precision, recall = common / len(ans), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def expected_score(reference: str, answer: str, low: int = 1, high: int = 5) -> int:
    """The raw score this fake gives (what tests compare against)."""
    return low + round(overlap_f1(reference, answer) * (high - low))


def _error(status: int, message: str) -> Response:
    return json_response({"error": {"message": message, "type": "invalid_request_error", "code": status}}, status)


class FakeJudge(ServedApp):
    thread_name = "fake-judge"

    def __init__(
        self,
        *,
        style: str = "plain",
        fail_first: int = 0,
        fail_with: str | int = "reset",
        reply_for: dict[str, str] | None = None,
        status_for: dict[str, int] | None = None,
        api_key: str | None = None,
        model: str | None = None,
    ) -> None:
        if style not in ("plain", "json", "markdown"):
            raise ValueError(f"unknown style {style!r}")
        self.style, self.fail_first, self.fail_with = style, fail_first, fail_with
        self.reply_for, self.status_for = dict(reply_for or {}), dict(status_for or {})
        self.api_key, self.model = api_key, model
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def app(self, req: Request) -> Response:
        with self._lock:
            self.requests.append(req.record)
            position = len(self.requests)
        if position <= self.fail_first:
            req.record.fault = str(self.fail_with)
            if self.fail_with == "reset":
                return Response(0, reset=True)
            return _error(int(self.fail_with), "injected fault")
        if req.method != "POST" or req.path != "/v1/chat/completions":
            return _error(404, f"no route {req.method} {req.path}")
        if self.api_key is not None and req.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid or missing API key")
        body = req.json if isinstance(req.json, dict) else {}
        if self.model is not None and body.get("model") != self.model:
            return _error(404, f"The model `{body.get('model')}` does not exist.")
        messages = body.get("messages") or []
        prompt = "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        tags = dict(_TAG.findall(prompt))
        scale = _SCALE.search(prompt)
        if "reference_answer" not in tags or "assistant_answer" not in tags or scale is None:
            return _error(400, "this fake judge needs the rubric prompt of steps.logic.judge_rubrics")
        answer = tags["assistant_answer"]
        if answer in self.status_for:
            return _error(self.status_for[answer], "injected item error")
        text = self.reply_for.get(answer)
        if text is None:
            text = self._grade(tags["reference_answer"], answer, int(scale.group(1)), int(scale.group(2)))
        return json_response(
            {
                "id": f"chatcmpl-judge-{position}",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(_words(prompt)), "completion_tokens": len(_words(text))},
            }
        )

    def _grade(self, reference: str, answer: str, low: int, high: int) -> str:
        f1 = overlap_f1(reference, answer)
        raw = expected_score(reference, answer, low, high)
        shared = len(set(_words(reference)) & set(_words(answer)))
        why = f"The answer shares {shared} words with the reference (F1 {f1:.2f})."
        if self.style == "json":
            return json.dumps({"rationale": why, "score": raw})
        if self.style == "markdown":
            return f"{why} A 2 would mean little overlap.\n\n**Rating:** {raw}/{high}"
        return f"Rationale: {why} Scores 1 and 2 are for low overlap.\nScore: {raw}"
