"""Shared fixtures of the local-platform tests: one tiny model, smoke sets and adapter per session."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# One torch thread: the tests are tiny, and on a shared 2-core machine more threads only contend.
THREADS = os.environ.get("LLMOPS_THREADS", "1")


@pytest.fixture(scope="session")
def session_workspace(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("llmops-session-workspace")


@pytest.fixture(scope="session")
def base_dir(session_workspace) -> Path:
    from steps.local.base_model import ensure_base_model

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_WORKSPACE", str(session_workspace))
        mp.setenv("LLMOPS_THREADS", THREADS)
        return ensure_base_model()


@pytest.fixture(scope="session")
def smoke_dir(session_workspace) -> Path:
    from steps.data.smoke_benchmarks import ensure_smoke_sets

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_WORKSPACE", str(session_workspace))
        mp.setenv("LLMOPS_THREADS", THREADS)
        return ensure_smoke_sets()


@pytest.fixture(scope="session")
def arc_easy_cache(tmp_path_factory) -> Path:
    """A Hugging Face datasets cache holding `allenai/ai2_arc` config `ARC-Easy` as `load_dataset` leaves it
    (rows of our own): what an offline run of lm-eval's `arc_easy` task reads."""
    import json

    from datasets.packaged_modules.json.json import Json

    root = tmp_path_factory.mktemp("arc-easy")
    cache, source = root / "cache", root / "source"
    source.mkdir()
    rows = [
        {
            "id": f"Q{i}",
            "question": f"What is {i} + 1?",
            "choices": {"text": [str(i + 1), str(i + 2), "blue", "cat"], "label": ["A", "B", "C", "D"]},
            "answerKey": "A",
        }
        for i in range(6)
    ]
    splits = ("train", "validation", "test")
    for split in splits:
        (source / f"{split}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    data_files = {split: str(source / f"{split}.jsonl") for split in splits}
    builder = Json(
        cache_dir=str(cache),
        dataset_name="allenai___ai2_arc",
        config_name="ARC-Easy",
        hash="0" * 16,
        data_files=data_files,
    )
    builder.download_and_prepare()
    # A Hub download names the config folder and the files without the data-files suffix and namespace.
    built = Path(builder.cache_dir).parents[1]
    config_dir = built.rename(built.parent / "ARC-Easy")
    for arrow in config_dir.glob("*/*/allenai___ai2_arc-*.arrow"):
        arrow.rename(arrow.with_name(arrow.name.removeprefix("allenai___")))
    return cache


def make_toy_rows(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        a, b = rng.randint(1, 50), rng.randint(1, 50)
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": "You add two numbers."},
                    {"role": "user", "content": f"What is {a} + {b}?"},
                    {"role": "assistant", "content": f"{a} + {b} = {a + b}"},
                ]
            }
        )
    return rows


@pytest.fixture(scope="session")
def toy_rows():
    """Function (n, seed=0) -> chat rows teaching addition."""
    return make_toy_rows


@pytest.fixture(scope="session")
def trained_adapter(session_workspace, base_dir):
    """(adapter_dir, TrainingResult, metrics reported through on_metrics) of a 4-step LoRA run."""
    from steps.local.lora_training import LoraTrainingConfig, train_lora

    reported: list[tuple[int, dict]] = []
    out = session_workspace / "adapters" / "toy"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LLMOPS_THREADS", THREADS)
        result = train_lora(
            base_dir,
            make_toy_rows(16),
            make_toy_rows(4, seed=1),
            LoraTrainingConfig(batch_size=4, epochs=1),
            out,
            on_metrics=lambda step, m: reported.append((step, m)),
        )
    return out, result, reported


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("LLMOPS_THREADS", THREADS)
