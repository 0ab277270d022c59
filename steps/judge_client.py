"""The LLM judge: any OpenAI-compatible chat-completions endpoint (NIM, vLLM, an inference gateway).

`judge_items(items, criterion, config, scale)` asks the judge to grade every item against its reference
with the rubric of `steps.logic.judge_rubrics` and returns one `JudgeResult` per item, in input order.

- Endpoint: `config.base_url` is what the `openai` client calls a base URL (the request goes to
  `{base_url}/chat/completions`, e.g. `http://nim:8000/v1`), `config.model` the judge's model id. Both come
  from configuration; the API key never does: it is read from the environment variable `JUDGE_API_KEY`
  (the `judge-api-key` key of the llmops Secret), sent as a Bearer token, and never logged or put in an
  error. Without it no Authorization header is sent (a local vLLM).
- Requests: temperature 0 and a `max_tokens` budget.
- Retries: transport failures only (connection refused or reset, timeouts, HTTP 429/502/503/504), with
  exponential backoff (Retry-After honoured); when they persist the judge is unavailable and the step
  fails (`JudgeUnavailableError`). 401/403/404 fail at once (wrong key, URL or model). Any other HTTP error
  is the item's failure, not retried.
- An answer without a usable score is the item's failure too: `score` None, the reason in `error`, the
  judge's text in `response`. It is never counted as 0.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from steps.errors import StepFailedError
from steps.logic.judge_parsing import JudgeParseError, parse_judgement
from steps.logic.judge_rubrics import LIKERT_5, PROMPT_VERSION, Scale, judge_messages, rubric

API_KEY_ENV = "JUDGE_API_KEY"
RETRY_STATUS = frozenset({429, 502, 503, 504})
FATAL_STATUS = {
    401: f"the judge refused the API key; check the {API_KEY_ENV} environment variable (Secret key judge-api-key)",
    403: f"the judge refused the API key; check the {API_KEY_ENV} environment variable (Secret key judge-api-key)",
    404: "no such judge route or model; base_url must be the part before /chat/completions (e.g. "
    "http://nim:8000/v1) and model an id the endpoint serves",
}
INITIAL_DELAY, MAX_DELAY, MAX_RETRY_AFTER = 0.5, 8.0, 30.0
_BODY_EXCERPT = 300

log = logging.getLogger(__name__)


class JudgeConfig(BaseModel):
    """Where the judge is and how to ask it. There is deliberately no API key field: see API_KEY_ENV."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: HttpUrl
    model: str = Field(min_length=1)
    max_tokens: int = Field(default=512, ge=16)
    timeout_s: float = Field(default=60.0, gt=0)
    attempts: int = Field(default=4, ge=1, le=10)
    concurrency: int = Field(default=4, ge=1, le=64)

    @property
    def url(self) -> str:
        return str(self.base_url).rstrip("/") + "/chat/completions"

    def tracking_params(self, scale: Scale = LIKERT_5) -> dict[str, str]:
        """What identifies a judge score: model, prompt version and scale (for MLflow)."""
        return {"judge_model": self.model, "judge_prompt_version": PROMPT_VERSION, "judge_scale": str(scale)}


class JudgeItem(BaseModel):
    id: str = Field(min_length=1)
    messages: list[dict[str, Any]]  # the conversation the model answered
    reference: str
    prediction: str


@dataclass(frozen=True)
class JudgeResult:
    id: str
    score: float | None  # normalised to 0-1; None when the judge gave no usable score
    raw: int | None  # the score on the rubric's scale
    rationale: str
    error: str | None  # why there is no score
    response: str  # the judge's answer as received ("" when there was none)


class JudgeUnavailableError(StepFailedError):
    """The judge cannot be used at all (unreachable after retries, wrong key, URL or model)."""


class _Rejected(Exception):
    """A non-retryable HTTP error for one item."""


def api_key() -> str:
    return os.environ.get(API_KEY_ENV, "").strip()


def _redact(text: str, key: str) -> str:
    return text.replace(key, "***") if key else text


def _delay(attempt: int, response: httpx.Response | None) -> float:
    asked = response.headers.get("retry-after") if response is not None else None
    try:
        return min(max(0.0, float(asked)), MAX_RETRY_AFTER) if asked is not None else _backoff(attempt)
    except ValueError:
        return _backoff(attempt)


def _backoff(attempt: int) -> float:
    return min(INITIAL_DELAY * 2 ** (attempt - 1), MAX_DELAY) * (0.75 + random.random() / 2)


class _Judge:
    def __init__(self, config: JudgeConfig, sleep: Callable[[float], None]) -> None:
        self.config, self.sleep, self.key = config, sleep, api_key()
        self.failure: JudgeUnavailableError | None = None  # once set, no further request is sent
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        self.client = httpx.Client(headers=headers, timeout=httpx.Timeout(config.timeout_s, connect=10.0))

    def post(self, body: dict[str, Any], what: str) -> dict[str, Any]:
        """The judge's JSON answer; retried on transport failures only."""
        attempts = self.config.attempts
        for attempt in range(1, attempts + 1):
            response = None
            try:
                response = self.client.post(self.config.url, json=body)
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code in RETRY_STATUS:
                    failure = f"HTTP {response.status_code}"
                elif response.is_error:
                    self._refuse(response)
                else:
                    return self._json(response)
            failure = _redact(failure, self.key)
            if attempt == attempts:
                raise JudgeUnavailableError(
                    f"the judge at {self.config.url} failed {attempts} times ({failure}) on {what}; "
                    "check that it is up and reachable, then run again"
                )
            delay = _delay(attempt, response)
            log.warning("judge %s: %s; retry %d/%d in %.1fs", what, failure, attempt, attempts - 1, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _refuse(self, response: httpx.Response) -> None:
        body = _redact(response.text[:_BODY_EXCERPT], self.key)
        status = response.status_code
        if status in FATAL_STATUS:
            raise JudgeUnavailableError(
                f"the judge at {self.config.url} answered HTTP {status} ({body}): {FATAL_STATUS[status]}"
            )
        raise _Rejected(f"the judge answered HTTP {status}: {body}")

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise _Rejected(f"the judge's answer is not a JSON object: {response.text[:_BODY_EXCERPT]!r}")
        return payload

    def grade(self, item: JudgeItem, criterion: str, scale: Scale) -> JudgeResult:
        body = {
            "model": self.config.model,
            "messages": judge_messages(criterion, item.messages, item.reference, item.prediction, scale),
            "temperature": 0,
            "max_tokens": self.config.max_tokens,
        }
        what = f"{criterion} of item {item.id!r}"
        if self.failure is not None:
            raise self.failure
        try:
            text = _content(self.post(body, what))
            raw, rationale = parse_judgement(text, scale)
        except _Rejected as exc:
            return JudgeResult(item.id, None, None, "", _redact(str(exc), self.key), "")
        except JudgeParseError as exc:
            return JudgeResult(item.id, None, None, "", exc.reason, _redact(exc.text, self.key))
        except JudgeUnavailableError as exc:
            self.failure = self.failure or exc
            raise
        return JudgeResult(item.id, scale.normalise(raw), raw, rationale, None, text)


def _content(payload: dict[str, Any]) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _Rejected(f"the judge's answer has no choices[0].message: {str(payload)[:_BODY_EXCERPT]}") from None
    return content if isinstance(content, str) else ""


def judge_items(
    items: Sequence[JudgeItem],
    criterion: str,
    config: JudgeConfig,
    scale: Scale = LIKERT_5,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> list[JudgeResult]:
    """Grade every item for `criterion` (up to `config.concurrency` at once); results in input order."""
    rubric(criterion)  # an unknown criterion fails before any request
    judge = _Judge(config, sleep)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="judge")
    try:
        futures = [pool.submit(judge.grade, item, criterion, scale) for item in items]
        results = [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        judge.client.close()
    failed = [r.id for r in results if r.score is None]
    log.info(
        "judge %s (%s, prompt v%s): %d item(s) graded, %d without a usable score%s",
        config.model,
        criterion,
        PROMPT_VERSION,
        len(results) - len(failed),
        len(failed),
        f": {', '.join(failed[:10])}{' ...' if len(failed) > 10 else ''}" if failed else "",
    )
    return results
