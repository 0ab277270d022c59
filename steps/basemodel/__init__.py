"""Building the local platform's own base models (`llmops model build`); serving never imports this.

- `recipe`: the recipes (`RECIPES`) and their identity (`recipe_hash`);
- `tokenizer_corpus`: the generated text the tokenizer is trained on;
- `pretrain_corpus`: the generated documents of pre-training, by skill;
- `tokenizer_training`: the byte-level BPE tokenizer with the ChatML tokens and template;
- `pretraining`: full-model causal-LM pre-training on the corpus;
- `build`: `build_base_model` (tokenizer, initialisation, pre-training, smoke evaluation, `recipe.json`).

The built folder is committed under `steps/local/weights/`; `steps.local.base_model` serves it.
"""
