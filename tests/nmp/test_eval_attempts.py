"""Which evaluation job a content key reads: the first that completed or is running, past failed attempts."""

from __future__ import annotations

import pytest

from steps.errors import StepFailedError
from steps.nmp import eval_jobs


@pytest.fixture
def jobs(monkeypatch):
    monkeypatch.setenv("NMP_URL", "http://127.0.0.1:9")
    found: dict[str, dict] = {}
    created: list[str] = []
    monkeypatch.setattr(eval_jobs, "_get", lambda client, name: found.get(name))
    monkeypatch.setattr(eval_jobs, "_create", lambda client, name, key, specs, rows: created.append(name))
    return found, created


def test_a_new_content_key_creates_its_first_job(jobs):
    _, created = jobs
    assert eval_jobs._usable_job(None, "k1", [], []) == "llmops-eval-k1"
    assert created == ["llmops-eval-k1"]


@pytest.mark.parametrize("status", ["completed", "active", "pending", "created"])
def test_a_completed_or_running_job_is_used_not_created_again(jobs, status):
    found, created = jobs
    found["llmops-eval-k1"] = {"status": "error"}
    found["llmops-eval-k1-2"] = {"status": status}
    assert eval_jobs._usable_job(None, "k1", [], []) == "llmops-eval-k1-2"
    assert created == []


def test_failed_attempts_leave_their_names_to_the_next_one_up_to_a_limit(jobs):
    found, created = jobs
    found["llmops-eval-k1"] = {"status": "error"}
    found["llmops-eval-k1-2"] = {"status": "cancelled"}
    assert eval_jobs._usable_job(None, "k1", [], []) == "llmops-eval-k1-3"
    assert created == ["llmops-eval-k1-3"]
    for attempt in range(3, eval_jobs.MAX_ATTEMPTS + 1):
        found[f"llmops-eval-k1-{attempt}"] = {"status": "failed"}
    with pytest.raises(StepFailedError, match=f"failed {eval_jobs.MAX_ATTEMPTS} times"):
        eval_jobs._usable_job(None, "k1", [], [])
