"""A benchmark's requests reach the step's progress file through lm-eval's own progress bar."""

from pathlib import Path

from steps import progress
from steps.local.lm_eval_progress import reported


def test_lm_eval_bar_updates_write_n_of_m_and_the_bar_is_restored(tmp_path: Path, monkeypatch):
    import lm_eval.models.huggingface as hf_model

    original = hf_model.tqdm
    path = tmp_path / "progress"
    monkeypatch.setenv(progress.ENV, str(path))
    monkeypatch.setattr(progress, "MIN_INTERVAL_S", 0.0)
    with reported():
        bar = hf_model.tqdm(total=4, disable=True, desc="Running generate_until requests")  # as lm-eval makes it
        assert progress.read(path).done == 0
        for _ in range(3):
            bar.update(1)
        state = progress.read(path)
        assert (state.done, state.total, state.unit) == (3, 4, "requests")
        bar.update(1)
        bar.close()
    assert progress.read(path).done == 4
    assert hf_model.tqdm is original
