"""A run spec's `dataset.augmentation`: how many paraphrases, which model writes them, and how it is asked.

The generating model is either served by the platform's inference port (`model` alone: the local platform's
in-process model, a NIM on the others) or an explicit OpenAI-compatible `endpoint` with its `model`; the API
key of an endpoint is read from the environment variable `api_key_env` names, never written in the spec.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

PLACEHOLDER = "{request}"
DEFAULT_PROMPT = (
    "Rewrite the customer request below in other words, as the same customer would ask it. Keep its meaning, "
    "and keep every number, amount, date, name, code and identifier exactly as written. Answer with the "
    "rewritten request only, without quotes or comments.\n\nRequest: " + PLACEHOLDER
)


class AugmentationSection(BaseModel):
    """Paraphrases of the training rows' last user turn, written by a chat model; off when the section is absent."""

    model_config = ConfigDict(extra="forbid")

    paraphrases: int = Field(1, ge=1, le=10, description="Paraphrases asked per training row.")
    model: str = Field(
        min_length=1,
        description="The generating model: one the platform's inference port serves (e.g. llmops/tiny-llama, "
        "meta/llama-3.1-8b-instruct) or, with endpoint, the model id that endpoint serves.",
    )
    endpoint: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="OpenAI-compatible base URL, the part before /chat/completions (e.g. https://host/v1); "
        "absent: the platform's inference port serves the model.",
    )
    api_key_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding the endpoint's API key (sent as a Bearer token); "
        "absent: no Authorization header.",
    )
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="Sampling temperature of the generator.")
    seed: int = Field(0, description="Seed of the row order under max_rows and of the generator's sampling.")
    max_rows: int | None = Field(
        None, ge=1, description="At most this many paraphrases asked (rows chosen by a hash of the seed)."
    )
    max_tokens: int = Field(128, ge=8, le=4096, description="Generation budget per paraphrase.")
    max_length_ratio: float = Field(
        3.0,
        gt=1.0,
        description="A paraphrase longer than this many times its original (at least 20 characters) is dropped.",
    )
    prompt: str = Field(
        DEFAULT_PROMPT, description=f"The generator's instruction; {PLACEHOLDER} stands for the user's request."
    )

    # Field validators (a cross-field one reads the fields before it), so that an error names its field.
    @field_validator("api_key_env")
    @classmethod
    def _key_with_endpoint(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("endpoint") is None:
            raise ValueError("api_key_env is only used with endpoint; remove it, or name the endpoint")
        return value

    @field_validator("temperature")
    @classmethod
    def _varied(cls, value: float, info: ValidationInfo) -> float:
        paraphrases = info.data.get("paraphrases", 1)
        if paraphrases > 1 and value == 0:
            raise ValueError(
                f"paraphrases is {paraphrases} with temperature 0: every paraphrase of a row would be the same; "
                "raise the temperature or ask for 1 paraphrase"
            )
        return value

    @field_validator("prompt")
    @classmethod
    def _placeholder(cls, value: str) -> str:
        if PLACEHOLDER not in value:
            raise ValueError(f"the prompt must contain {PLACEHOLDER}, where the user's request goes")
        return value

    def generator(self) -> dict[str, str | float | int]:
        """What identifies the generated rows' origin (no secret: the key's variable name, never its value)."""
        return {
            "model": self.model,
            "endpoint": self.endpoint or "",
            "temperature": self.temperature,
            "seed": self.seed,
            "prompt_sha256": hashlib.sha256(self.prompt.encode()).hexdigest()[:12],
        }
