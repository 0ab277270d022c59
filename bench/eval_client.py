"""Evaluation client throughput against an OpenAI-compatible server that answers after a fixed latency.

The server (127.0.0.1, a process of its own, asyncio, `asyncio.sleep(latency)` per request) stands for a model
whose answers take `latency` seconds. At each concurrency the project's client
(`steps.remote.openai_chat.OpenAIChat.create_batch`, what the NeMo backends' evaluations use) and
lm-evaluation-harness's `local-chat-completions` client (`LocalChatCompletion.generate_until`) send the same
requests to the same server, in turns, from this process. Per concurrency: requests/s of each (the median of
three alternating rounds), the project's as a share of the ideal (concurrency / latency) and its ratio to
lm-eval's.

Usage: python -m bench.eval_client [--latency 0.05] [--requests 256] [--concurrency 1 8 32] (also in `make bench`)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_OF_IDEAL, TARGET_OF_LM_EVAL = 0.9, 1.0
ROUNDS = 3


ANSWER = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "42"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


def serve_forever(latency: float) -> None:
    """In the server's own process (no GIL shared with the clients measured): print the port, then serve.

    An asyncio server (aiohttp), as model servers are (uvicorn, vLLM): every request waits `latency` without a
    thread of its own, keep-alive and TCP_NODELAY on, a 256-deep listen backlog for 32 clients connecting at
    once."""
    import asyncio
    import socket

    from aiohttp import web

    async def complete(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(latency)
        return web.json_response({**ANSWER, "model": body.get("model")})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", complete)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.create_server(("127.0.0.1", 0), backlog=256)
        await web.SockSite(runner, sock).start()
        print(sock.getsockname()[1], flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def serve(latency: float) -> tuple[subprocess.Popen, str]:
    """The fixed-latency server in a process of its own, and its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.eval_client", "--serve", str(latency)], cwd=ROOT, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    return proc, f"http://127.0.0.1:{int(proc.stdout.readline())}"


def conversations(n: int) -> list[list[dict]]:
    return [[{"role": "user", "content": f"What is {i} + {i}?"}] for i in range(n)]


def ours(url: str, concurrency: int, n: int) -> float:
    from steps.nmp.policy import POLICY
    from steps.remote.openai_chat import OpenAIChat

    model = OpenAIChat(POLICY, url, "bench", concurrency=concurrency)
    started = time.perf_counter()
    replies = model.create_batch(conversations(n), max_tokens=8)
    elapsed = time.perf_counter() - started
    assert len(replies) == n
    return n / elapsed


def lm_eval(url: str, concurrency: int, n: int) -> float:
    from lm_eval.api.instance import Instance
    from lm_eval.models.api_models import JsonChatStr
    from lm_eval.models.openai_completions import LocalChatCompletion

    lm = LocalChatCompletion(
        base_url=f"{url}/v1/chat/completions", model="bench", num_concurrent=concurrency, max_retries=1, timeout=120
    )
    requests = [
        Instance(
            request_type="generate_until",
            doc={},
            arguments=(JsonChatStr(json.dumps(messages)), {"until": [], "max_gen_toks": 8}),
            idx=i,
        )
        for i, messages in enumerate(conversations(n))
    ]
    started = time.perf_counter()
    answers = lm.generate_until(requests, disable_tqdm=True)
    elapsed = time.perf_counter() - started
    assert len(answers) == n
    return n / elapsed


def measure(latency: float, n: int, levels: list[int]) -> list[dict]:
    server, url = serve(latency)
    rows = []
    try:
        for concurrency in levels:
            # At least 16 waves of requests: the steady state, not the batch's start-up, is measured.
            count = max(n if concurrency > 1 else n // 4, concurrency * 16)
            # Alternating rounds, medians: one round each is at the mercy of a noisy machine.
            rounds = [(ours(url, concurrency, count), lm_eval(url, concurrency, count)) for _ in range(ROUNDS)]
            mine, theirs = (statistics.median(r[i] for r in rounds) for i in (0, 1))
            ideal = concurrency / latency
            rows.append(
                {
                    "concurrency": concurrency,
                    "requests": count,
                    "ours_rps": mine,
                    "lm_eval_rps": theirs,
                    "of_ideal": mine / ideal,
                    "vs_lm_eval": mine / theirs,
                    "met": mine / ideal >= TARGET_OF_IDEAL and mine / theirs >= TARGET_OF_LM_EVAL,
                }
            )
    finally:
        server.kill()
        server.wait()
    return rows


def figures(latency: float = 0.05, n: int = 256, levels: tuple[int, ...] = (1, 8, 32)) -> list:
    from bench.table import at_least

    out = []
    for r in measure(latency, n, list(levels)):
        c = r["concurrency"]
        how = f"ours {r['ours_rps']:.1f} req/s, lm-eval {r['lm_eval_rps']:.1f} req/s, ideal {c / latency:.0f} req/s"
        out.append(
            at_least("eval client", f"concurrency {c}: share of ideal", r["of_ideal"], "share", TARGET_OF_IDEAL, how)
        )
        out.append(
            at_least("eval client", f"concurrency {c}: vs lm-eval's client", r["vs_lm_eval"], "x", TARGET_OF_LM_EVAL)
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--requests", type=int, default=256)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--serve", type=float, metavar="LATENCY", help=argparse.SUPPRESS)  # the server process
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve_forever(args.serve)
        return 0
    from bench.table import render

    print(render(figures(args.latency, args.requests, tuple(args.concurrency))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
