"""NmpCustomizer against the schema-checked fake: create, follow, curves; find by content; faults; SIGTERM."""

from __future__ import annotations

import os
import signal

import pytest

from steps.contracts import Customizer, LoraHyperparameters
from steps.errors import StepFailedError
from steps.nmp.client import platform_client
from steps.nmp.customizer import NmpCustomizer
from steps.remote.waiting import Timing
from tests.fakes.faults import Fault
from tests.fakes.nmp import FakeNmp
from tests.nmp.fake_nmp import WORKSPACE

BASE = "system/llama-3.2-1b-instruct"
URI = f"nmp://{WORKSPACE}/datasets/billing/billing-data@0123456789abcdef"
FILESET = f"{WORKSPACE}/billing.billing-data.0123456789abcdef"
HP = LoraHyperparameters(rank=8, alpha=16, dropout=0.05, epochs=2, learning_rate=1e-4, batch_size=4, max_steps=6)
JOBS = f"/apis/customization/v2/workspaces/{WORKSPACE}/automodel/jobs"


def curves() -> tuple[list[tuple[int, dict]], object]:
    seen: list[tuple[int, dict]] = []
    return seen, lambda step, values: seen.append((step, values))


def test_is_a_customizer(fake: FakeNmp) -> None:
    assert isinstance(NmpCustomizer(), Customizer)
    assert NmpCustomizer().adapter_files("x/y") is None


def test_creates_follows_and_reports_the_loss_curve(fake: FakeNmp) -> None:
    seen, on_metrics = curves()
    job = NmpCustomizer().run("billing-lora", BASE, URI, HP, on_metrics=on_metrics)
    assert job.status == "completed" and job.base_model == BASE
    assert job.adapter_id.startswith(f"{WORKSPACE}/billing-lora-")
    [created] = fake.creations("customization_job")
    spec = created.body["spec"]
    assert spec["model"] == BASE and spec["dataset"] == {
        "training": f"{WORKSPACE}/billing.billing-data.0123456789abcdef"
    }
    assert spec["training"]["lora"] == {"rank": 8, "alpha": 16, "dropout": 0.05}
    assert spec["schedule"] == {"epochs": 2, "seed": 0, "max_steps": 6}
    assert spec["batch"] == {"global_batch_size": 4} and spec["optimizer"] == {"learning_rate": 1e-4}
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert seen[1][1].keys() == {"train_loss", "val_loss"} and seen[0][1].keys() == {"train_loss"}
    assert job.result and job.result["steps"] == 6 and job.result["train_loss"] < 1.0
    # the adapter is registered on the base model, for the deployer to serve
    [adapter] = fake.creations("adapter")
    assert adapter.body["model"] == BASE and adapter.body["name"] == job.adapter_id.split("/")[1]
    assert NmpCustomizer().adapter_uri(job.adapter_id).endswith(f"/adapters/{adapter.body['name']}")


def test_unsloth_backend(fake: FakeNmp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMOPS_NMP_CUSTOMIZATION_BACKEND", "unsloth")
    job = NmpCustomizer().run("billing-lora", BASE, URI, HP)
    [created] = fake.creations("customization_job")
    assert created.body["spec"]["model"] == {"name": BASE}
    assert created.body["spec"]["dataset"] == {"path": FILESET}
    assert job.status == "completed"


def test_a_rerun_finds_the_job_and_replays_its_curve(fake: FakeNmp) -> None:
    first = NmpCustomizer().run("billing-lora", BASE, URI, HP)
    seen, on_metrics = curves()
    again = NmpCustomizer().run("billing-lora", BASE, URI, HP, on_metrics=on_metrics)
    assert again.job_id == first.job_id and again.adapter_id == first.adapter_id
    assert len(fake.posts(JOBS)) == 1 and len(fake.creations("customization_job")) == 1
    assert [s for s, _ in seen] == [1, 2, 3, 4, 5, 6]
    # other content is another job
    NmpCustomizer().run("billing-lora", BASE, URI, HP.model_copy(update={"rank": 16}))
    assert len(fake.creations("customization_job")) == 2


def test_a_5xx_burst_on_create_still_makes_exactly_one_job(fake: FakeNmp) -> None:
    fake.faults.add(Fault("http_5xx", "POST", f"{JOBS}$", times=2))
    NmpCustomizer().run("billing-lora", BASE, URI, HP)
    assert len(fake.creations("customization_job")) == 1
    assert len(fake.posts(JOBS)) == 3


@pytest.mark.parametrize(
    "fault",
    [
        Fault("reset", "POST", f"{JOBS}$", commit_before_reset=True),
        Fault("timeout", "POST", f"{JOBS}$", seconds=0.3, commit_before_timeout=True),
    ],
    ids=["reset-after-create", "timeout-after-create"],
)
def test_a_lost_answer_after_the_create_makes_no_second_job(fake: FakeNmp, fault: Fault) -> None:
    fake.faults.add(fault)
    job = NmpCustomizer(client=platform_client(timeout=0.3)).run("billing-lora", BASE, URI, HP)
    assert len(fake.posts(JOBS)) == 1 and len(fake.creations("customization_job")) == 1
    assert job.job_id == fake.creations("customization_job")[0].body["name"]


def test_reads_are_retried_through_a_burst(fake: FakeNmp) -> None:
    fake.faults.add(Fault("http_5xx", "GET", "/status$", times=3, status=502))
    fake.faults.add(Fault("reset", "GET", f"{JOBS}$", times=1))
    assert NmpCustomizer().run("billing-lora", BASE, URI, HP).status == "completed"


def test_a_failed_job_is_a_clear_error_and_the_rerun_creates_a_new_one(fake: FakeNmp) -> None:
    fake.faults.add(Fault("job_fails", "POST", f"{JOBS}$", detail="CUDA out of memory"))
    with pytest.raises(StepFailedError, match=r"customization job billing-lora-\w+-1 .*error: CUDA out of memory"):
        NmpCustomizer().run("billing-lora", BASE, URI, HP)
    job = NmpCustomizer().run("billing-lora", BASE, URI, HP)
    assert job.job_id.endswith("-2") and len(fake.creations("customization_job")) == 2


def test_a_stalled_job_fails_clearly_and_is_left_running(fake: FakeNmp) -> None:
    fake.faults.add(Fault("job_stalls", "POST", f"{JOBS}$", at_fraction=0.5))
    with pytest.raises(StepFailedError, match=r"customization job .* no progress for .*re-run the step to follow it"):
        NmpCustomizer(timing=Timing(poll=2, stall=60, cap=10_000)).run("billing-lora", BASE, URI, HP)
    assert fake.cancelled == []


def test_sigterm_while_following_cancels_the_job_then_passes_the_signal_on(fake: FakeNmp) -> None:
    class Stopped(Exception):
        pass

    def previous(signum: int, frame: object) -> None:
        raise Stopped()

    old = signal.signal(signal.SIGTERM, previous)
    try:
        with pytest.raises(Stopped):
            NmpCustomizer().run(
                "billing-lora", BASE, URI, HP, on_metrics=lambda s, m: os.kill(os.getpid(), signal.SIGTERM)
            )
        assert signal.getsignal(signal.SIGTERM) is previous
    finally:
        signal.signal(signal.SIGTERM, old)
    [created] = fake.creations("customization_job")
    assert fake.cancelled == [created.body["name"]]
    assert [r.path for r in fake.posts("/cancel")] == [f"{JOBS}/{created.body['name']}/cancel"]


def test_a_fractional_alpha_is_refused_before_anything_is_sent(fake: FakeNmp) -> None:
    with pytest.raises(Exception, match=r"alpha=16\.5 must be a whole number"):
        NmpCustomizer().run("billing-lora", BASE, URI, HP.model_copy(update={"alpha": 16.5}))
    assert fake.requests == []
