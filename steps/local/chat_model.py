"""In-process transformers model behind an OpenAI-style chat interface (the local inference port).

`LocalChatModel(base_dir, adapter_dir).create(messages)` returns an OpenAI `chat.completion` dict;
`create_batch` generates many conversations at once (left padding, greedy by default), stopping at
the end-of-turn token or at any of the `stop` strings (the content is truncated before the stop string).
A LoRA adapter is merged into the base weights once at load time (inference only).

With `tools` (OpenAI tool definitions, one list per conversation in `create_batch`), the prompt lists them
(`chat_format.plain_messages`) and the reply's text is read for calls (`steps/logic/tool_call_parsing.py`):
the message then carries `tool_calls` and the finish reason is `tool_calls`. Without tools nothing changes.
"""

from __future__ import annotations

import time
import uuid
import warnings
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from steps import progress
from steps.errors import InvalidInputError, NotFoundError
from steps.local.chat_format import plain_messages
from steps.logic.generation import per_conversation_tools, stop_strings
from steps.logic.tool_call_parsing import parse_tool_calls


class LocalChatModel:
    def __init__(self, base_dir: Path, adapter_dir: Path | None = None, model_id: str = "llmops/tiny-llama") -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        from steps.thread_budget import ThreadBudget

        base_dir = Path(base_dir)
        if not (base_dir / "config.json").is_file():
            raise NotFoundError(
                f"no model at {base_dir} (config.json missing); get it with steps.local.base_model.ensure_base_model"
            )
        if adapter_dir is not None and not (Path(adapter_dir) / "adapter_config.json").is_file():
            raise NotFoundError(f"no LoRA adapter at {adapter_dir} (adapter_config.json missing)")
        hf_logging.disable_progress_bar()
        self.threads = ThreadBudget(torch)
        self.base_dir = base_dir
        self.adapter_dir = Path(adapter_dir) if adapter_dir is not None else None
        self.model_id = model_id
        self.created = int(time.time())
        self.tokenizer = AutoTokenizer.from_pretrained(base_dir)
        self.tokenizer.padding_side = "left"
        model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
        if self.adapter_dir is not None:
            from peft import PeftModel

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
                model = PeftModel.from_pretrained(model, self.adapter_dir).merge_and_unload()
        self.model = model.eval()
        self.pad_id = (
            self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        )
        eos = self.model.generation_config.eos_token_id
        eos_ids = eos if isinstance(eos, list) else [eos]
        self.eos_ids = sorted({i for i in [*eos_ids, self.tokenizer.eos_token_id] if i is not None})

    def models(self) -> dict:
        """An OpenAI `/v1/models`-style list."""
        return {
            "object": "list",
            "data": [
                {
                    "id": self.model_id,
                    "object": "model",
                    "created": self.created,
                    "owned_by": "llmops-local",
                    "root": str(self.base_dir),
                    "parent": None if self.adapter_dir is None else str(self.base_dir),
                }
            ],
        }

    def create(
        self,
        messages: list[dict],
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        seed: int | None = None,
        tools: list[dict] | None = None,
    ) -> dict:
        return self.create_batch([messages], max_tokens, temperature, stop, batch_size=1, seed=seed, tools=[tools])[0]

    def create_batch(
        self,
        conversations: list[list[dict]],
        max_tokens: int = 128,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        batch_size: int = 16,
        seed: int | None = None,
        tools: list[list[dict] | None] | None = None,
    ) -> list[dict]:
        stop = stop_strings(max_tokens, temperature, stop)
        offered = per_conversation_tools(tools, len(conversations))
        prompts = [self._prompt_ids(messages, offered[i]) for i, messages in enumerate(conversations)]
        # Longest first so each batch has similar lengths; results go back to the input order.
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        results: dict[int, dict] = {}
        for start in range(0, len(order), max(1, batch_size)):
            chunk = order[start : start + max(1, batch_size)]
            outputs = self._generate([prompts[i] for i in chunk], max_tokens, temperature, stop, seed)
            for i, (content, completion_tokens, finish) in zip(chunk, outputs, strict=True):
                results[i] = self._completion(content, len(prompts[i]), completion_tokens, finish, bool(offered[i]))
            if len(prompts) > 1:  # a batch, not one reply: the step's progress (Argo's N/M)
                progress.report(len(results), len(prompts), unit="replies")
        return [results[i] for i in range(len(prompts))]

    def _prompt_ids(self, messages: list[dict], tools: list[dict] | None = None) -> list[int]:
        if not messages or any(not isinstance(m, dict) or "role" not in m for m in messages):
            raise InvalidInputError("messages must be a non-empty list of {'role', 'content'} objects")
        messages = [{"role": m["role"], "content": m.get("content") or ""} for m in plain_messages(messages, tools)]
        text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        limit = self.model.config.max_position_embeddings - 1
        return ids[-limit:]

    def _generate(
        self, prompts: list[list[int]], max_tokens: int, temperature: float, stop: list[str], seed: int | None
    ) -> list[tuple[str, int, str]]:
        import torch

        from steps.local.seeding import seeded_torch

        self.threads.follow()
        width = max(len(p) for p in prompts)
        max_new = max(1, min(max_tokens, self.model.config.max_position_embeddings - width))
        input_ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, ids in enumerate(prompts):
            input_ids[row, width - len(ids) :] = torch.tensor(ids)
            mask[row, width - len(ids) :] = 1
        kwargs = {"max_new_tokens": max_new, "eos_token_id": self.eos_ids, "pad_token_id": self.pad_id}
        rng: AbstractContextManager[None] = nullcontext()
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=1.0, top_k=0)
            if seed is not None:
                rng = seeded_torch(seed)
        else:
            kwargs.update(do_sample=False)
        if stop:
            kwargs.update(stop_strings=stop, tokenizer=self.tokenizer)
        with torch.no_grad(), rng:
            out = self.model.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
        results = []
        for row in out[:, width:].tolist():
            generated, finish = [], "length"
            for token in row:
                if token in self.eos_ids:
                    finish = "stop"
                    break
                if token == self.pad_id:
                    continue
                generated.append(token)
            completion_tokens = len(generated) + (1 if finish == "stop" else 0)
            content = self.tokenizer.decode(generated, skip_special_tokens=True)
            cut = min((content.find(s) for s in stop if s in content), default=-1)
            if cut >= 0:
                content, finish = content[:cut], "stop"
            results.append((content, completion_tokens, finish))
        return results

    def _completion(self, content: str, prompt_tokens: int, completion_tokens: int, finish: str, tools: bool) -> dict:
        message: dict = {"role": "assistant", "content": content}
        if tools:
            parsed = parse_tool_calls(content)
            if parsed.tool_calls:
                message = {"role": "assistant", "content": parsed.content, "tool_calls": parsed.tool_calls}
                finish = "tool_calls"
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_id,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish,
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
