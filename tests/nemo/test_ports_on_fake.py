"""The ports with LLMOPS_PLATFORM=nemo, chained as the pipeline chains them, on the fake platform."""

from __future__ import annotations

import json
import logging

from steps import platforms
from steps.contracts import LoraHyperparameters
from steps.nemo.customizer import NemoCustomizer
from tests.nemo.conftest import assert_no_secrets, fault

BASE = "meta/llama-3.2-1b-instruct"
HP = LoraHyperparameters(rank=8, alpha=16, dropout=0.0, epochs=1, learning_rate=3e-3, batch_size=2, seed=0)


def rows(n):
    return "".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) + "\n" for i in range(n)).encode()


def test_prepare_deploy_customize_serve_infer_and_benchmark(make_fake, tmp_path, caplog):
    fake = make_fake()
    platform = platforms.build()
    with caplog.at_level(logging.DEBUG):
        ref = platform.datastore.put_dataset(
            "llmops",
            "bills",
            {
                "training/training.jsonl": rows(40),
                "validation/validation.jsonl": rows(4),
                "testing/testing.jsonl": rows(3),
            },
        )
        deployment = platform.deployer.ensure_base(BASE)
        points = []
        job = platform.customizer.run("bill-lora", BASE, ref.uri, HP, on_metrics=lambda s, m: points.append((s, m)))
        model = platform.inference.chat_model(BASE, job.adapter_id)  # waits until NIM lists the adapter
        reply = model.create([{"role": "user", "content": "ping"}], max_tokens=4)
        served_again = platform.deployer.serve_adapter(BASE, job.adapter_id)
        score = platform.evaluator.run_benchmark("gsm8k", "standard", BASE, job.adapter_id, 10, tmp_path)

    assert deployment.model_id == BASE
    assert job.status == "completed" and job.adapter_id == f"llmops/bill-lora@{job.job_id}"
    assert job.adapter_id in fake.served_models()
    steps = [s for s, _ in points]
    assert (
        steps == sorted(steps)
        and len(steps) == len(set(steps))
        and {"train_loss", "val_loss"} <= {k for _, m in points for k in m}
    )
    assert reply["model"] == job.adapter_id and served_again is False
    assert score.n == 10
    eval_body = fake.creations("evaluation_job")[0].body
    assert eval_body["target"]["model"]["api_endpoint"]["model_id"] == job.adapter_id
    assert len(fake.creations("customization_job")) == 1
    assert_no_secrets(caplog.text, job.model_dump_json(), score.model_dump_json())

    again = platform.customizer.run("bill-lora", BASE, ref.uri, HP)
    assert again.job_id == job.job_id and len(fake.creations("customization_job")) == 1


def test_a_training_failure_on_the_fake_reports_the_platform_detail(make_fake):
    import pytest

    from steps.errors import StepFailedError

    make_fake(faults=[fault("job_fails", detail="CUDA error: out of memory")])
    ref = platforms.build().datastore.put_dataset("llmops", "bills", {"training/training.jsonl": rows(8)})
    with pytest.raises(StepFailedError, match="failed: CUDA error: out of memory"):
        NemoCustomizer().run("bill-lora", BASE, ref.uri, HP)


def test_a_job_create_lost_in_a_timeout_is_found_not_duplicated(make_fake):
    from steps.nemo.client import nemo_client

    fake = make_fake(
        faults=[fault("timeout", "POST", r"^/v1/customization/jobs$", seconds=0.3, commit_before_timeout=True)]
    )
    ref = platforms.build().datastore.put_dataset("llmops", "bills", {"training/training.jsonl": rows(8)})
    job = NemoCustomizer(client=nemo_client(timeout=0.3)).run("bill-lora", BASE, ref.uri, HP)
    assert job.status == "completed"
    assert len(fake.creations("customization_job")) == 1
