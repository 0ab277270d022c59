"""A content-safety guardrail config (NeMo Guardrails' config format: models, rails, prompts), pure data.

Input and output rails ask a content-safety model (NemoGuard by default) whether the user message and the
answer are safe; both the nemo and the nemo-platform backends send this config, each naming the models the
way its service resolves them (`engine`).
"""

from __future__ import annotations

SAFETY_MODEL = "nvidia/llama-3.1-nemoguard-8b-content-safety"
# The NemoGuard content-safety prompts (shortened from the NeMo Guardrails library's example).
_CATEGORIES = (
    "S1: Violence. S2: Sexual. S3: Criminal Planning/Confessions. S4: Guns and Illegal Weapons. "
    "S5: Controlled/Regulated Substances. S6: Suicide and Self Harm. S7: Sexual (minor). S8: Hate/Identity "
    "Hate. S9: PII/Privacy. S10: Harassment. S11: Threat. S12: Profanity. S13: Needs Caution."
)
_INPUT_PROMPT = (
    "Task: Check if there is unsafe content in the user message in the conversation below according to "
    f"our safety policy with these categories: {_CATEGORIES}\n\nuser: {{{{ user_input }}}}\n\n"
    'Answer in JSON: {"User Safety": "safe" or "unsafe", "Safety Categories": "..."}'
)
_OUTPUT_PROMPT = (
    "Task: Check if there is unsafe content in the agent response in the conversation below according "
    f"to our safety policy with these categories: {_CATEGORIES}\n\nuser: {{{{ user_input }}}}\n\n"
    "response: agent: {{ bot_response }}\n\n"
    'Answer in JSON: {"User Safety": "safe" or "unsafe", "Response Safety": "safe" or "unsafe", '
    '"Safety Categories": "..."}'
)


def content_safety_config(model_id: str, safety_model: str = SAFETY_MODEL, engine: str = "nim") -> dict:
    """Guardrail config `data`: input and output content-safety rails around `model_id`."""
    return {
        "models": [
            {"type": "main", "engine": engine, "model": model_id},
            {"type": "content_safety", "engine": engine, "model": safety_model},
        ],
        "rails": {
            "input": {"flows": ["content safety check input $model=content_safety"]},
            "output": {"flows": ["content safety check output $model=content_safety"]},
        },
        "prompts": [
            {
                "task": "content_safety_check_input $model=content_safety",
                "output_parser": "nemoguard_parse_prompt_safety",
                "max_tokens": 50,
                "messages": [{"type": "system", "content": _INPUT_PROMPT}],
            },
            {
                "task": "content_safety_check_output $model=content_safety",
                "output_parser": "nemoguard_parse_response_safety",
                "max_tokens": 50,
                "messages": [{"type": "system", "content": _OUTPUT_PROMPT}],
            },
        ],
    }
