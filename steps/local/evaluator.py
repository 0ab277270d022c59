"""Local evaluator: regression benchmarks through lm-evaluation-harness on in-process models.

Speaks in model ids like the NeMo Evaluator does (base model id, adapter id, benchmark data set
name); resolving them to folders is this module's business, not the step's.
"""

from pathlib import Path

from steps import settings
from steps.errors import NotFoundError

SMOKE = "smoke"


def data_dir(data: str) -> Path:
    """'smoke' = the project's synthetic sets; another name = <workspace>/benchmarks/<name>."""
    if data == SMOKE:
        from steps.data.smoke_benchmarks import ensure_smoke_sets

        return ensure_smoke_sets()
    path = settings.workspace() / "benchmarks" / data
    if not path.is_dir():
        raise NotFoundError(f"benchmark data {data!r}: no folder {path}; use 'smoke' or create it")
    return path


class LocalEvaluator:
    def run_benchmark(self, benchmark: str, data: str, base_model: str, adapter_id: str, limit: int | None,
                      output_dir: Path, num_fewshot: int | None = None):
        from steps.local import harness
        from steps.ports import customizer, deployer

        adapter_dir = customizer().adapter_dir(adapter_id) if adapter_id else None
        return harness.run_benchmark(benchmark, data_dir(data), deployer().model_dir(base_model), adapter_dir,
                                     limit, output_dir, num_fewshot=num_fewshot)
