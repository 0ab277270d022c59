"""The pipeline's workflow parameters: one table shared by the WorkflowTemplate and run-spec rendering.

Every parameter has a description (the Argo UI shows it next to the field) and closed sets have
an enum (the UI shows a drop-down). Defaults are those of an empty run spec section.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from workflows.runspec import RunSpec


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    default: str
    enum: tuple[str, ...] | None = None


def _bool(value: bool) -> str:
    return "true" if value else "false"


PARAMETERS: list[Param] = [
    Param("run_spec_name", "Run spec name (git: workflows/runs/<name>.yaml)", "manual"),
    Param("run_spec_hash", "sha256 of the canonical run spec; empty for manual runs", ""),
    Param("git_commit", "Git commit the run spec was read from", ""),
    Param("experiment", "MLflow experiment", "llmops"),
    Param("base_model", "Base model id served as a NIM (e.g. meta/llama-3.2-1b-instruct)", "llmops/tiny-llama"),
    Param("dataset_source", "Raw records (JSONL path or file:// URI)", "examples/bill-explainer/bills.jsonl"),
    Param("dataset_test_source", "Raw records of other customers used as the whole test split "
          "(JSONL path or file:// URI; needs test_fraction 0); empty: test rows come from dataset_source", ""),
    Param("dataset_task", "Record layout, answer contract and business metrics", "bill-json",
          ("bill-json", "bill-reason", "chat")),
    Param("dataset_namespace", "Datastore namespace", "llmops"),
    Param("dataset_name", "Dataset name in the datastore", "telecom-bills"),
    Param("validation_fraction", "Share of groups for validation", "0.1"),
    Param("test_fraction", "Share of groups held out for testing (0 with dataset_test_source)", "0.2"),
    Param("split_seed", "Seed of the deterministic split", "0"),
    Param("output_model", "Adapter name", "manual-adapter"),
    Param("lora_rank", "LoRA rank (adapter_dim)", "8"),
    Param("lora_alpha", "LoRA alpha", "16"),
    Param("lora_dropout", "LoRA dropout", "0.0"),
    Param("epochs", "Training epochs", "1"),
    Param("learning_rate", "Peak learning rate", "0.003"),
    Param("batch_size", "Batch size", "8"),
    Param("max_steps", "Cap on training steps (0 = none)", "0"),
    Param("train_seed", "Training seed", "0"),
    Param("benchmarks", "JSON list of regression benchmarks", '["gsm8k", "squad", "triviaqa"]'),
    Param("benchmark_limit", "Items per benchmark (0 = all)", "50"),
    Param("benchmark_data", "'smoke' (synthetic) or a benchmark data set name", "smoke"),
    Param("benchmark_fewshot", "Few-shot examples (-1 = the task default)", "-1"),
    Param("business_limit", "Test rows for the business evaluation (0 = all)", "0"),
    Param("business_max_tokens", "Generation budget per business answer", "64"),
    Param("business_headline", "Business metric the gate compares (e.g. all_fields_exact); "
          "empty: the task's default", ""),
    Param("min_business_gain", "Gate: minimum candidate - base on the business headline metric", "0.0"),
    Param("max_regression", "Gate: maximum allowed drop on any benchmark", "0.05"),
    Param("max_regression_per_benchmark", "Gate: JSON object benchmark -> maximum drop", "{}"),
    Param("min_samples", "Gate: minimum items behind every compared score", "20"),
    Param("require_approval", "Wait for a person to approve the release in the Argo UI", "false", ("true", "false")),
    Param("registered_model_name", "MLflow registered model that gets the champion alias", "manual-adapter"),
    Param("guardrails_check", "After rollout, check the adapter's answers with guardrails", "false", ("true", "false")),
    Param("guardrails_limit", "Test prompts the guardrails check probes", "10"),
]


def arguments(spec: RunSpec) -> dict[str, str]:
    """The workflow arguments that run a spec (every parameter, as strings)."""
    c, b, g, d = spec.customization, spec.benchmarks, spec.gate, spec.dataset
    values = {
        "run_spec_name": spec.name,
        "run_spec_hash": spec.spec_hash(),
        "git_commit": "",
        "experiment": spec.tracking.experiment,
        "base_model": spec.base_model,
        "dataset_source": d.source,
        "dataset_test_source": d.test_source,
        "dataset_task": d.task,
        "dataset_namespace": d.namespace,
        "dataset_name": d.name,
        "validation_fraction": str(d.split.validation),
        "test_fraction": str(d.split.test),
        "split_seed": str(d.split.seed),
        "output_model": c.output_model or spec.name,
        "lora_rank": str(c.lora.rank),
        "lora_alpha": str(c.lora.alpha),
        "lora_dropout": str(c.lora.dropout),
        "epochs": str(c.epochs),
        "learning_rate": str(c.learning_rate),
        "batch_size": str(c.batch_size),
        "max_steps": str(c.max_steps),
        "train_seed": str(c.seed),
        "benchmarks": json.dumps(list(b.suites)),
        "benchmark_limit": str(b.limit),
        "benchmark_data": b.data,
        "benchmark_fewshot": str(b.num_fewshot),
        "business_limit": str(spec.business_eval.limit),
        "business_max_tokens": str(spec.business_eval.max_tokens),
        "business_headline": spec.business_eval.headline,
        "min_business_gain": str(g.min_business_gain),
        "max_regression": str(g.max_regression),
        "max_regression_per_benchmark": json.dumps(g.max_regression_per_benchmark, sort_keys=True),
        "min_samples": str(g.min_samples),
        "require_approval": _bool(spec.approval.required),
        "registered_model_name": spec.release.registered_model_name or spec.name,
        "guardrails_check": _bool(spec.guardrails.check),
        "guardrails_limit": str(spec.guardrails.limit),
    }
    assert set(values) == {p.name for p in PARAMETERS}, "parameters table and run spec mapping diverged"
    return values
