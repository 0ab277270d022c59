"""Progress of an lm-evaluation-harness run, as `N/M` requests in the step's progress file.

lm-eval's Hugging Face model reports its requests through a tqdm bar (`total=len(requests)`, one `update`
per request answered), disabled in the steps' logs. `reported()` swaps that module's tqdm for one that also
writes each update to the progress file Argo provides (`steps.progress`), so `llmops run` and the Argo UI
show a benchmark's progress like a business evaluation's. Nothing about the evaluation changes: the same
requests, in the same batches.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from steps import progress


@contextlib.contextmanager
def reported(unit: str = "requests") -> Iterator[None]:
    import lm_eval.models.huggingface as hf_model

    base = hf_model.tqdm

    class ReportingBar(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.requests_total = int(kwargs.get("total") or 0)
            self.requests_done = 0
            progress.report(0, self.requests_total, unit)

        def update(self, n: float | None = 1) -> bool | None:
            self.requests_done += int(n or 0)
            progress.report(self.requests_done, self.requests_total, unit)
            return super().update(n)

    hf_model.tqdm = ReportingBar
    try:
        yield
    finally:
        hf_model.tqdm = base
