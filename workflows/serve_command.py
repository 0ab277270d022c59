"""`llmops serve`: the local platform's chat models behind an OpenAI-compatible HTTP API.

Serves the base model and, with `--adapter`, adapters the local platform trained (by id), through
`steps.local.openai_server`; any OpenAI client, or NeMo Platform's Inference Gateway, can talk to it.
LLMOPS_SERVE_API_KEY, when set, is the bearer token every request but /health must carry.
"""

from __future__ import annotations

import argparse
import os

from workflows.command_help import subcommand
from workflows.run_command import workspace


def add_parser(sub: argparse._SubParsersAction) -> None:
    serve = subcommand(
        sub,
        "serve",
        "serve the local base model (and adapters) over an OpenAI-compatible HTTP API",
        ["llmops serve --port 8000", "llmops serve --port 8000 --adapter llmops/support-tickets@cust-1a2b3c"],
    )
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0 = a free one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--base-model", default="llmops/tiny-llama", help="base model id (default llmops/tiny-llama)")
    serve.add_argument("--adapter", action="append", default=[], help="adapter id to serve too (repeatable)")
    serve.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    workspace(args)
    from steps import platforms
    from steps.local.openai_server import API_KEY_VAR, OpenAIServer

    inference = platforms.build("local").inference
    models = {args.base_model: inference.chat_model(args.base_model)}
    for adapter in args.adapter:
        models[adapter] = inference.chat_model(args.base_model, adapter)
    server = OpenAIServer(models, args.host, args.port, api_key=os.environ.get(API_KEY_VAR, "").strip() or None)
    print(f"serving {', '.join(models)} at {server.url} (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.httpd.server_close()
    return 0
