"""Local evaluator: regression benchmarks through lm-evaluation-harness on in-process models.

Speaks in model ids like the NeMo Evaluator does (base model id, adapter id, benchmark data set
name); resolving them to folders is this module's business, not the step's.
"""

from __future__ import annotations

from pathlib import Path

from steps.benchmark_names import SMOKE, no_smoke_set
from steps.contracts import BenchmarkScore
from steps.errors import InvalidInputError, NotFoundError
from steps.local.customizer import LocalCustomizer
from steps.local.deployer import LocalDeployer


class LocalEvaluator:
    def __init__(self, root: Path, customizer: LocalCustomizer, deployer: LocalDeployer) -> None:
        self.root, self.customizer, self.deployer = root, customizer, deployer

    def data_dir(self, data: str, benchmark: str = "") -> Path:
        """'smoke' = the project's synthetic sets (built-in benchmarks only); another name =
        <workspace>/benchmarks/<name>: the built-in benchmarks' JSONL files, or the Hugging Face
        datasets cache an lm-evaluation-harness task reads its data sets from."""
        if data == SMOKE:
            problem = no_smoke_set(benchmark) if benchmark else None
            if problem:
                raise InvalidInputError(problem)
            from steps.data.smoke_benchmarks import ensure_smoke_sets

            return ensure_smoke_sets()
        path = self.root / "benchmarks" / data
        if not path.is_dir():
            raise NotFoundError(
                f"benchmark data {data!r}: no folder {path}; use 'smoke' or create it (the built-in benchmarks' "
                "JSONL files, or the Hugging Face datasets cache of an lm-evaluation-harness task)"
            )
        return path

    def run_benchmark(
        self,
        benchmark: str,
        data: str,
        base_model: str,
        adapter_id: str,
        limit: int | None,
        output_dir: Path,
        num_fewshot: int | None = None,
    ) -> BenchmarkScore:
        from steps.local import harness

        adapter_dir = self.customizer.adapter_dir(adapter_id) if adapter_id else None
        return harness.run_benchmark(
            benchmark,
            self.data_dir(data, benchmark),
            self.deployer.model_dir(base_model),
            adapter_dir,
            limit,
            output_dir,
            num_fewshot=num_fewshot,
        )
