"""NemoCustomizer against a scripted stub: contract, find-existing-first, no blind retries, lifecycle, SIGTERM."""

from __future__ import annotations

import os
import signal

import pytest
from pydantic import ValidationError

from steps.contracts import LoraHyperparameters, job_key
from steps.errors import StepFailedError
from steps.nemo.customization_jobs import nemo_hyperparameters
from steps.nemo.customizer import NemoCustomizer
from steps.nemo.settings import Timing
from tests.nemo.conftest import assert_sdk_body

REV = "a" * 40
URI = f"hf://datasets/llmops/bills@{REV}"
BASE = "meta/llama-3.2-1b-instruct"
HP = LoraHyperparameters(rank=8, alpha=16, dropout=0.0, epochs=2, learning_rate=3e-4, batch_size=8, seed=0)
KEY = job_key(BASE, URI, HP.model_dump(mode="json"))
OUTPUT = "llmops/bill-lora"
FAST = Timing(poll=1, stall=2000, cap=60000)  # x0.001: 1 ms polls


def page(items):
    return 200, {
        "object": "list",
        "data": items,
        "pagination": {
            "page": 1,
            "page_size": 100,
            "current_page_size": len(items),
            "total_pages": 1,
            "total_results": len(items),
        },
    }


def job(job_id="cust-1", status="created", key=KEY, details=None):
    return {
        "id": job_id,
        "namespace": "llmops",
        "config": f"{BASE}",
        "dataset": "llmops/bills",
        "hyperparameters": {"finetuning_type": "lora"},
        "output_model": f"{OUTPUT}@{job_id}",
        "custom_fields": {"llmops_job_key": key, "llmops_output_model": OUTPUT},
        "status": status,
        "status_details": details,
    }


def status(state, steps=0, pct=0.0, train=(), val=(), logs=None):
    return 200, {
        "status": state,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
        "steps_completed": steps,
        "percentage_done": pct,
        "epochs_completed": 0,
        "metrics": {
            "keys": ["train_loss", "val_loss"],
            "metrics": {
                "train_loss": [{"step": s, "value": v} for s, v in train],
                "val_loss": [{"step": s, "value": v} for s, v in val],
            },
        },
        "status_logs": logs or [{"updated_at": "2025-01-01T00:00:00Z", "message": state}],
    }


CONFIG = {
    "name": "llama-3.2-1b-instruct@v1.0.0+A100",
    "namespace": "meta",
    "max_seq_length": 4096,
    "target": {
        "name": "llama-3.2-1b-instruct@2.0",
        "namespace": "meta",
        "base_model": BASE,
        "model_path": "x",
        "num_parameters": 1,
        "precision": "bf16-mixed",
        "enabled": True,
    },
    "training_options": [{"training_type": "sft", "finetuning_type": "lora", "num_gpus": 1, "micro_batch_size": 1}],
}
OTHER = dict(
    CONFIG,
    name="other",
    target={
        "name": "x",
        "namespace": "meta",
        "base_model": "meta/other",
        "model_path": "x",
        "num_parameters": 1,
        "precision": "bf16-mixed",
    },
)
COMPLETED = status("completed", 20, 100.0)


def setup_platform(stub, jobs=(), statuses=(COMPLETED,), head=REV):
    stub.on("GET", r"/v1/customization/configs", page([OTHER, CONFIG]))
    stub.on("GET", r"/v1/customization/jobs", page(list(jobs)))
    stub.on("GET", r"/v1/hf/api/datasets/llmops/bills", (200, {"id": "llmops/bills", "sha": head}))
    stub.on("POST", r"/v1/customization/jobs", lambda req, m: (200, job("cust-new", "created")))
    stub.on("GET", r"/v1/customization/jobs/(?P<id>[^/]+)/status", *statuses)
    stub.on(
        "GET",
        r"/v1/customization/jobs/(?P<id>[^/]+)",
        lambda req, m: (200, job(m["id"], "completed", details=status("completed", 20, 100.0)[1])),
    )
    stub.on("POST", r"/v1/customization/jobs/(?P<id>[^/]+)/cancel", (200, job("cust-new", "cancelling")))


def customizer(**kw):
    return NemoCustomizer(timing=kw.pop("timing", FAST), **kw)


def test_creates_one_job_with_an_sdk_valid_body_and_streams_each_loss_point_once(stub):
    from nemo_microservices.types.customization.job_create_params import JobCreateParams

    setup_platform(
        stub,
        statuses=[
            status("created"),
            status("pending"),
            status("running", 10, 25.0, train=[(10, 1.5)]),
            status("running", 20, 50.0, train=[(10, 1.5), (20, 1.1)], val=[(20, 1.2)]),
            status("completed", 40, 98.0, train=[(10, 1.5), (20, 1.1), (30, 0.9)], val=[(20, 1.2), (40, 0.8)]),
        ],
    )
    seen = []
    result = customizer().run("bill-lora", BASE, URI, HP, on_metrics=lambda s, m: seen.append((s, m)))
    posts = stub.seen("POST", r"/v1/customization/jobs")
    assert len(posts) == 1
    body = posts[0].json
    assert_sdk_body(JobCreateParams, body)
    assert body["config"] == "meta/llama-3.2-1b-instruct@v1.0.0+A100"
    assert body["dataset"] == {"name": "bills", "namespace": "llmops"}
    assert body["output_model"] == OUTPUT
    assert body["hyperparameters"] == {
        "training_type": "sft",
        "finetuning_type": "lora",
        "epochs": 2,
        "batch_size": 8,
        "learning_rate": 3e-4,
        "seed": 0,
        "lora": {"adapter_dim": 8, "alpha": 16, "adapter_dropout": 0.0},
    }
    assert body["custom_fields"]["llmops_job_key"] == KEY
    assert seen == [
        (10, {"train_loss": 1.5}),
        (20, {"train_loss": 1.1, "val_loss": 1.2}),
        (30, {"train_loss": 0.9}),
        (40, {"val_loss": 0.8}),
    ]
    assert result.job_id == "cust-new" and result.status == "completed"
    assert result.adapter_id == f"{OUTPUT}@cust-new"
    assert result.result["steps"] == 20


def test_a_completed_job_with_the_same_content_is_returned_without_creating_another(stub):
    setup_platform(stub, jobs=[job("cust-other", "completed", key="0" * 12), job("cust-done", "completed")])
    result = customizer().run("bill-lora", BASE, URI, HP)
    assert result.job_id == "cust-done" and result.adapter_id == f"{OUTPUT}@cust-done"
    assert not stub.seen("POST", r"/v1/customization/jobs")
    assert not stub.seen("GET", r"/v1/customization/jobs/cust-done/status")  # nobody asked for the curves


def test_a_found_completed_job_reports_the_curves_it_recorded(stub):
    """A run that finds the job shows its loss curves as a run that trained it did (one status call)."""
    setup_platform(
        stub,
        jobs=[job("cust-done", "completed")],
        statuses=[status("completed", 40, 100.0, train=[(10, 1.5), (30, 0.9)], val=[(40, 0.8)])],
    )
    seen = []
    result = customizer().run("bill-lora", BASE, URI, HP, on_metrics=lambda s, m: seen.append((s, m)))
    assert result.job_id == "cust-done" and not stub.seen("POST", r"/v1/customization/jobs")
    assert seen == [(10, {"train_loss": 1.5}), (30, {"train_loss": 0.9}), (40, {"val_loss": 0.8})]
    assert len(stub.seen("GET", r"/v1/customization/jobs/cust-done/status")) == 1


def test_a_running_job_is_followed_not_duplicated(stub):
    setup_platform(
        stub, jobs=[job("cust-run", "running")], statuses=[status("running", 5, 10.0), status("completed", 10, 100.0)]
    )
    result = customizer().run("bill-lora", BASE, URI, HP)
    assert result.job_id == "cust-run"
    assert not stub.seen("POST", r"/v1/customization/jobs")
    assert stub.seen("GET", r"/v1/customization/jobs/cust-run/status")


def test_a_failed_job_is_reported_and_only_then_a_new_one_is_created(stub, caplog):
    failed = job(
        "cust-bad",
        "failed",
        details=status(
            "failed",
            logs=[
                {"updated_at": "2025-01-01T00:00:00Z", "message": "TrainingJobFailed", "detail": "CUDA out of memory"}
            ],
        )[1],
    )
    setup_platform(stub, jobs=[failed])
    with caplog.at_level("WARNING"):
        result = customizer().run("bill-lora", BASE, URI, HP)
    assert "CUDA out of memory" in caplog.text
    posts = stub.seen("POST", r"/v1/customization/jobs")
    assert len(posts) == 1 and posts[0].json["name"].endswith("-2")
    assert result.job_id == "cust-new"


def test_a_failing_job_raises_with_the_last_status_log_detail(stub):
    setup_platform(
        stub,
        statuses=[
            status("running", 3, 5.0),
            status(
                "failed",
                3,
                5.0,
                logs=[
                    {"updated_at": "2025-01-01T00:00:00Z", "message": "TrainingJobRunning", "detail": None},
                    {
                        "updated_at": "2025-01-01T00:00:01Z",
                        "message": "TrainingJobFailed",
                        "detail": "loss is NaN at step 3",
                    },
                    {"updated_at": "2025-01-01T00:00:02Z", "message": "EntityHandler_1_Completed", "detail": None},
                ],
            ),
        ],
    )
    with pytest.raises(StepFailedError, match="cust-new failed: loss is NaN at step 3"):
        customizer().run("bill-lora", BASE, URI, HP)


def test_a_create_that_fails_with_5xx_is_not_posted_again_the_job_is_looked_up(stub):
    setup_platform(stub)
    stub.on("GET", r"/v1/customization/jobs", page([]), page([job("cust-landed", "pending")]))
    stub.on("POST", r"/v1/customization/jobs", (503, {"detail": "upstream timeout"}))
    stub.on("GET", r"/v1/customization/jobs/cust-landed/status", status("completed", 5, 100.0))
    result = customizer().run("bill-lora", BASE, URI, HP)
    assert len(stub.seen("POST", r"/v1/customization/jobs")) == 1
    assert result.job_id == "cust-landed"


def test_a_create_that_keeps_failing_without_a_job_gives_up_saying_a_rerun_is_safe(stub):
    setup_platform(stub)
    stub.on("POST", r"/v1/customization/jobs", (502, {"detail": "bad gateway"}))
    with pytest.raises(StepFailedError, match="re-running the step is safe"):
        customizer().run("bill-lora", BASE, URI, HP)
    # posted again only after looking for the job each time, and a bounded number of times
    assert len(stub.seen("POST", r"/v1/customization/jobs")) == 3


def test_a_409_on_create_means_the_job_exists(stub):
    setup_platform(stub)
    stub.on("GET", r"/v1/customization/jobs", page([]), page([job("cust-twin", "running")]))
    stub.on("POST", r"/v1/customization/jobs", (409, {"detail": "already exists"}))
    stub.on("GET", r"/v1/customization/jobs/cust-twin/status", status("completed", 5, 100.0))
    assert customizer().run("bill-lora", BASE, URI, HP).job_id == "cust-twin"
    assert len(stub.seen("POST", r"/v1/customization/jobs")) == 1


def test_status_polls_are_retried_on_5xx_and_429(stub):
    setup_platform(
        stub,
        statuses=[
            (503, {"detail": "busy"}),
            (429, {"detail": "slow down"}, {"Retry-After": "0"}),
            status("completed", 5, 100.0),
        ],
    )
    assert customizer().run("bill-lora", BASE, URI, HP).status == "completed"
    assert len(stub.seen("GET", r"/v1/customization/jobs/cust-new/status")) == 3


def test_no_progress_fails_after_the_stall_timeout(stub):
    setup_platform(
        stub,
        statuses=[
            status(
                "pending",
                logs=[{"updated_at": "2025-01-01T00:00:00Z", "message": "NotEnoughResources", "detail": None}],
            )
        ],
    )
    with pytest.raises(StepFailedError, match=r"no progress for .*NotEnoughResources"):
        customizer(timing=Timing(poll=1, stall=30, cap=60000)).run("bill-lora", BASE, URI, HP)


def test_steady_progress_keeps_the_stall_timeout_from_firing(stub):
    counter = {"n": 0}

    def growing(req, m):
        counter["n"] += 1
        return status("completed", 100, 100.0) if counter["n"] > 40 else status("running", counter["n"], counter["n"])

    setup_platform(stub, statuses=[growing])
    # poll 5 ms, stall 30 ms: 40 polls take far longer than the stall window, but each one shows progress.
    assert customizer(timing=Timing(poll=5, stall=30, cap=60000)).run("bill-lora", BASE, URI, HP).status == "completed"


def test_the_hard_cap_fires_even_with_progress(stub):
    counter = {"n": 0}

    def growing(req, m):
        counter["n"] += 1
        return status("running", counter["n"], 1.0)

    setup_platform(stub, statuses=[growing])
    with pytest.raises(StepFailedError, match="not finished after"):
        customizer(timing=Timing(poll=1, stall=1000, cap=40)).run("bill-lora", BASE, URI, HP)


def test_sigterm_while_following_cancels_the_job_then_passes_the_signal_on(stub):
    class Stopped(Exception):
        pass

    def previous(signum, frame):
        raise Stopped()

    setup_platform(stub, statuses=[status("running", 1, 1.0, train=[(1, 2.0)])])
    old = signal.signal(signal.SIGTERM, previous)
    try:
        with pytest.raises(Stopped):
            customizer().run("bill-lora", BASE, URI, HP, on_metrics=lambda s, m: os.kill(os.getpid(), signal.SIGTERM))
        assert signal.getsignal(signal.SIGTERM) is previous  # our handler lived only during run
    finally:
        signal.signal(signal.SIGTERM, old)
    assert [r.path for r in stub.seen("POST", r"/v1/customization/jobs/.+/cancel")] == [
        "/v1/customization/jobs/cust-new/cancel"
    ]


def test_no_config_for_the_base_model_fails_clearly(stub):
    setup_platform(stub)
    stub.on("GET", r"/v1/customization/configs", page([OTHER]))
    with pytest.raises(StepFailedError, match="no customization config trains LoRA SFT on 'meta/llama"):
        customizer().run("bill-lora", BASE, URI, HP)


def test_a_dataset_head_that_moved_on_is_refused_before_any_job(stub):
    setup_platform(stub, head="b" * 40)
    with pytest.raises(StepFailedError, match=r"head is b+, not a+"):
        customizer().run("bill-lora", BASE, URI, HP)
    assert not stub.seen("POST", r"/v1/customization/jobs")


def test_the_content_key_is_the_one_jobs_created_before_the_typed_contract_carry():
    # Until the hyperparameters were a typed contract, the key was computed from this dict.
    before = {
        "rank": 8,
        "alpha": 16,
        "dropout": 0.0,
        "epochs": 2,
        "learning_rate": 3e-4,
        "batch_size": 8,
        "max_steps": None,
        "seed": 0,
    }
    assert job_key(BASE, URI, before) == KEY


def test_hyperparameters_map_to_the_customizer_names_and_reject_unknown_ones():
    body = nemo_hyperparameters(
        LoraHyperparameters(
            rank=16, alpha=32.0, dropout=0.1, epochs=1, learning_rate=1e-4, batch_size=4, max_steps=100, seed=3
        )
    )
    assert body["lora"] == {"adapter_dim": 16, "alpha": 32, "adapter_dropout": 0.1}
    assert body["max_steps"] == 100 and body["seed"] == 3
    assert "max_steps" not in nemo_hyperparameters(LoraHyperparameters())  # no cap: the Customizer decides
    with pytest.raises(ValidationError, match="momentum"):
        LoraHyperparameters(rank=8, momentum=0.9)
    with pytest.raises(Exception, match="whole number"):
        nemo_hyperparameters(LoraHyperparameters(alpha=16.5))


def test_adapters_stay_remote(stub):
    assert customizer().adapter_files("llmops/x@cust-1") is None
    assert customizer().adapter_uri("llmops/x@cust-1").endswith("/v1/models/llmops/x@cust-1")
