"""A customization job asked for by two runs at once is trained once: the second waits for it, then finds it."""

import json
import threading

from steps import tracking
from steps.contracts import TRAINING_FILE, VALIDATION_FILE, LoraHyperparameters
from steps.local import lora_training
from steps.local.platform import LocalPlatform


def test_two_runs_asking_for_the_same_job_at_once_train_it_once(tmp_path, monkeypatch):
    platform = LocalPlatform(tmp_path, tracking)
    rows = [
        {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}, {"role": "assistant", "content": str(2 * i)}]}
        for i in range(8)
    ]
    jsonl = ["".join(json.dumps(row) + "\n" for row in part).encode() for part in (rows, rows[:2])]
    ref = platform.datastore.put_dataset("tests", "sums", {TRAINING_FILE: jsonl[0], VALIDATION_FILE: jsonl[1]})
    hp = LoraHyperparameters(
        rank=2, alpha=4, dropout=0.0, epochs=1, learning_rate=1e-3, batch_size=4, seed=0, max_steps=2
    )
    calls = []
    real = lora_training.train_lora

    def counted(*args, **kwargs):
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(lora_training, "train_lora", counted)
    jobs = {}

    def ask(name: str) -> None:  # each run builds its own ports, as each step process does
        jobs[name] = LocalPlatform(tmp_path, tracking).customizer.run("sums", "llmops/tiny-llama", ref.uri, hp)

    threads = [threading.Thread(target=ask, args=(name,), name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(calls) == 1, calls
    assert (
        jobs["first"].job_id == jobs["second"].job_id and jobs["first"].status == jobs["second"].status == "completed"
    )
    assert (tmp_path / "customization" / "adapters" / jobs["first"].adapter_id / "adapter_config.json").is_file()
