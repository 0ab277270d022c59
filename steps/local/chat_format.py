"""Chat format of the local base models: ChatML special tokens and chat template.

One place for what the tokenizer build (`steps.basemodel`) and the pre-training corpus share; the
committed tokenizer carries the same tokens and template to the serving side.
"""

from __future__ import annotations

ENDOFTEXT, IM_START, IM_END, PAD = "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, PAD]

# ChatML. Prefix-stable: rendering messages[:i] is a prefix of rendering messages[:i+1].
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def chatml(turns: list[tuple[str, str]]) -> str:
    """(role, content) turns rendered as `CHAT_TEMPLATE` renders them (no generation prompt)."""
    return "".join(f"{IM_START}{role}\n{content}{IM_END}\n" for role, content in turns)
