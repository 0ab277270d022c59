"""Step business-eval-key: the memoization key of one business evaluation, from everything its result depends on.

The business-eval template is memoized on `business-eval-<this key>` (components/evaluation.py): a later run
that evaluates the same model on the same data with the same settings reuses the result, and the result names
the MLflow run that computed it (`source_run_id`). Argo cannot hash inside a manifest and refuses most of the
characters these inputs hold, so this step computes the digest (`steps.logic.memo_key`) and business-eval
checks that the key it was given is the one of its own inputs. The key covers:

- the model: `base_model` (the id the result names), `model_key` (the exact base weights, from deploy-base)
  and `adapter_id` (empty for the base model). An adapter id names one set of weights on every platform: the
  local customizer's id ends with a hash of the base weights, the dataset and every effective hyperparameter;
  a NeMo id carries the customization job that trained it, and a job is never trained twice. So a candidate's
  and the champion's evaluations are memoized too: a run that trains an adapter anew gets a new id.
- the data: `dataset_uri` (content-addressed: one URI is one test split);
- the settings: `business_metrics` as a JSON value (metric types, templates, fields, the llm-judge's URL,
  model, max_tokens, timeout, attempts, concurrency, scale, criteria and calibration settings), the bytes of
  every llm-judge calibration labels file, `business_limit`, `business_max_tokens`, `business_headline`;
- the code: the installed llmops package's version, and `steps.logic.memo_key.KEY_VERSION`.

Not in the key: the role the model plays (`target`, `candidate`): a score does not depend on it, so a champion
that was the candidate of an earlier run on the same data reuses the evaluation it got then, as benchmarks do
(`steps.benchmark_keys`; the result keeps that role's labels, and the gate reads a champion's results whatever
they say). The MLflow parent run (a reused result keeps naming the run that computed it), the judge's
API key (a secret: it changes who is billed, not the grades), and an outside judge's behaviour beyond its URL
and model (the cache's maxAge bounds how long its grades are reused). Answers are generated greedily
(temperature 0, no seed) and the judge is asked at temperature 0, so no seed is an input.
"""

import hashlib
import json
from typing import Annotated

from hera.workflows import Output, Parameter

from steps import judging, platforms, settings
from steps.errors import InvalidInputError
from steps.io import ROLE_FIELDS, ScoredModel, TrackedInput
from steps.logic import metrics as metric_engine
from steps.logic.memo_key import canonical_json, memo_key
from steps.logic.metrics.llm_judge import LlmJudgeSpec

KIND = "business-eval"
SETTINGS = ("business_metrics", "business_limit", "business_max_tokens", "business_headline")


class BusinessEvalSettings(ScoredModel):
    """The inputs a business evaluation's result depends on (every one is part of its key)."""

    dataset_uri: Annotated[str, Parameter(description="Dataset revision from prepare-data")]
    business_metrics: Annotated[str, Parameter(description="JSON list of metric specs (type and parameters)")]
    business_limit: Annotated[int, Parameter(description="Test rows to score (0 = all)")]
    business_max_tokens: Annotated[int, Parameter(description="Generation budget per answer")]
    business_headline: Annotated[
        str, Parameter(description="Score the gate compares (<metric>.<score>); empty: the first metric's first score")
    ]


class BusinessEvalKeyInput(TrackedInput, BusinessEvalSettings):
    pass


class BusinessEvalKeyOutput(Output):
    memo_key: Annotated[
        str, Parameter(name="memo_key", description="sha256 of everything the evaluation's result depends on")
    ]


def _calibration_digests(metrics: object) -> dict[str, str]:
    """sha256 of each llm-judge metric's calibration labels ("missing" where the file is absent: the
    evaluation then fails and stores nothing)."""
    specs = metric_engine.parse_metric_specs(metrics, "business_metrics")
    digests = {}
    for spec in specs:
        path = judging.calibration_path(spec) if isinstance(spec, LlmJudgeSpec) else None
        if path is not None:
            digests[spec.name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    return digests


def key_of(given: BusinessEvalSettings) -> str:
    """The memoization key of a business evaluation with these inputs (see the module docstring)."""
    try:
        metrics = canonical_json(given.business_metrics)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"business-eval: business_metrics is not JSON ({exc})") from None
    inputs = given.model_dump(mode="json", include=set(BusinessEvalSettings.model_fields) - ROLE_FIELDS)
    inputs |= {
        "business_metrics": metrics,
        "calibration_labels": _calibration_digests(metrics),
        "llmops_version": settings.llmops_version(),
    }
    return memo_key(KIND, inputs)


def business_eval_key(inputs: BusinessEvalKeyInput) -> BusinessEvalKeyOutput:
    key = key_of(inputs)
    # Logged here, not only by business-eval: a run whose evaluations are all reused still records its settings.
    platforms.build().tracker.log_parent_params(inputs.mlflow_run_id, inputs.model_dump(include=set(SETTINGS)))
    print(f"business-eval [{inputs.target}{'/' + inputs.candidate if inputs.candidate else ''}] key {key}")
    return BusinessEvalKeyOutput(memo_key=key)
