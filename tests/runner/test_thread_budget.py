"""The runner shares the cores among the steps running now: a step that starts beside another gets half, and
all of them once it is left alone; a computing step follows its share between batches."""

from __future__ import annotations

from tests.runner.manifests import task, workflow, workflow_template


def test_a_step_left_alone_gets_every_core(make_runner, monkeypatch) -> None:
    monkeypatch.setenv("LLMOPS_CPUS", "4")
    wt = workflow_template(
        "budget",
        [
            task("short", "sleep-long", {"seconds": "1"}),
            task("long", "watch-threads", {"seconds": "3"}),
            task("after", "watch-threads", {"seconds": "0.2"}, depends="long"),
        ],
    )
    result = make_runner(wt).run(workflow("budget"))
    assert result.phase == "Succeeded", result.message
    assert result.node("long").outputs["seen"] == "2,4"  # beside `short`, then alone
    assert result.node("after").outputs["seen"] == "4"


def test_a_computing_step_follows_its_share_between_batches(tmp_path, monkeypatch) -> None:
    from steps import thread_budget

    class Torch:
        threads = 0

        def set_num_threads(self, n: int) -> None:
            self.threads = n

        def get_num_threads(self) -> int:
            return self.threads

    share = tmp_path / "threads"
    share.write_text("1\n")
    monkeypatch.setenv("LLMOPS_THREADS_FILE", str(share))
    monkeypatch.setattr(thread_budget, "EVERY_S", 0.0)
    torch = Torch()
    budget = thread_budget.ThreadBudget(torch)
    assert torch.threads == 1
    share.write_text("2\n")
    budget.follow()
    assert torch.threads == 2
    share.write_text("not a number\n")
    monkeypatch.setenv("LLMOPS_THREADS", "2")
    budget.follow()
    assert torch.threads == 2  # an unreadable share keeps the step's share at start
