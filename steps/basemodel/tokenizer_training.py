"""The tokenizer of a recipe: byte-level BPE with ChatML special tokens and chat template.

Digits are split in chunks of 1-2 and punctuation and whitespace are isolated before BPE
(`PRE_TOKENIZER_REGEX` of the recipe), so ids, dates and amounts tokenize the same way everywhere.
"""

from __future__ import annotations

from typing import Any

from steps.local.chat_format import ENDOFTEXT, IM_END, IM_START, PAD


def train_tokenizer(recipe: dict[str, Any], corpus: list[str]) -> Any:
    """A `PreTrainedTokenizerFast` trained on `corpus` as the recipe's `tokenizer` section says."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    spec = recipe["tokenizer"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(spec["pre_tokenizer_regex"]), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec["vocab_size"],
        min_frequency=spec["min_frequency"],
        special_tokens=spec["special_tokens"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=PAD,
        additional_special_tokens=[ENDOFTEXT, IM_START],
        model_max_length=recipe["model"]["max_position_embeddings"],
        clean_up_tokenization_spaces=False,
    )
    wrapped.chat_template = spec["chat_template"]
    return wrapped
