"""prepare-data's augmentation: paraphrases of the training rows, written by a chat model (docs/curation.md).

The run spec's `dataset.augmentation` arrives as the `dataset_augmentation` parameter (JSON; empty: no
augmentation). The generating model is the platform's inference port serving `model` (the local platform's
in-process model, a NIM on the others), or an explicit OpenAI-compatible `endpoint` called through
`steps.remote.openai_chat` with the API key read from the environment variable `api_key_env` names. The pure
part (which rows, the prompts, the filters, the labels) is `steps.logic.augmentation`. Any failure to
generate fails the step before anything is stored.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import ValidationError

from steps.contracts import ChatModel
from steps.contracts import Platform as PlatformPorts
from steps.errors import InvalidInputError, LlmopsError, StepFailedError
from steps.logic.augmentation import AugmentationReport, AugmentationSection, Augmented, accept, plan
from steps.logic.chat_records import ChatRecord
from steps.logic.field_paths import dotted, one_line

TIME_SCALE_VAR = "LLMOPS_AUGMENT_TIME_SCALE"
AFTER = "nothing was stored. Check that the model is served (or the endpoint, model and API key), then retry"


def parse_section(text: str) -> AugmentationSection | None:
    """The `dataset_augmentation` workflow parameter: the run spec's dataset.augmentation as JSON (empty: off)."""
    if not text.strip():
        return None
    try:
        return AugmentationSection.model_validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{dotted(e['loc'], '(section)')}: {one_line(e['msg'])}" for e in error.errors(include_url=False)
        )
        raise InvalidInputError(
            f"dataset_augmentation: {problems}. The parameter is the run spec's dataset.augmentation section as "
            "JSON (docs/curation.md lists its fields)"
        ) from None


def _endpoint_model(section: AugmentationSection) -> ChatModel:
    import httpx

    from steps.remote.openai_chat import OpenAIChat
    from steps.remote.policy import RemotePolicy

    variable = section.api_key_env
    if variable is not None and not os.environ.get(variable, "").strip():
        raise InvalidInputError(
            f"dataset.augmentation.api_key_env names {variable}, which is not set in the step's environment; "
            f"set {variable} to the endpoint's API key (on a cluster: from a Secret), or remove api_key_env"
        )
    policy = RemotePolicy(
        name="augmentation",
        secret_vars=(variable,) if variable else (),
        time_scale_var=TIME_SCALE_VAR,
        endpoints="dataset.augmentation.endpoint",
        connection_errors=(httpx.TransportError, ConnectionError, TimeoutError),
        api_errors=(httpx.HTTPError, ConnectionError, TimeoutError),
    )

    def headers() -> dict[str, str]:  # read at each batch: a rotated key is used at once
        key = os.environ.get(variable, "").strip() if variable else ""
        return {"Authorization": f"Bearer {key}"} if key else {}

    return OpenAIChat(policy, str(section.endpoint), section.model, path="/chat/completions", headers=headers)  # type: ignore[return-value]


def generator_model(platform: PlatformPorts, section: AugmentationSection) -> ChatModel:
    """The chat model that writes the paraphrases."""
    if section.endpoint is not None:
        return _endpoint_model(section)
    return platform.inference.chat_model(section.model)


def identity(platform: PlatformPorts, section: AugmentationSection) -> dict[str, str | float | int]:
    """The generator's identity on every generated row: the model, where it was served, how it was asked."""
    served = {} if section.endpoint is not None else {"platform": platform.name}
    return {**section.generator(), **served}


def augment(platform: PlatformPorts, section: AugmentationSection, parts: dict[str, list[ChatRecord]]) -> Augmented:
    """The paraphrases of the training records kept by the filters, labelled; raises (nothing generated is kept)
    when the generator cannot be reached or fails."""
    the_plan = plan(parts["training"], section)
    where = f"{section.model} at {section.endpoint}" if section.endpoint else f"{section.model} ({platform.name})"
    replies: list[str | None] = [None] * len(the_plan.requests)
    try:
        model = generator_model(platform, section) if the_plan.requests else None
        for index in range(section.paraphrases):  # the k-th paraphrases of every row, seeded with seed + k
            batch = [i for i, request in enumerate(the_plan.requests) if request.index == index]
            if not batch or model is None:
                continue
            answers = model.create_batch(
                [the_plan.requests[i].messages for i in batch],
                max_tokens=section.max_tokens,
                temperature=section.temperature,
                seed=section.seed + index,
            )
            for i, answer in zip(batch, answers, strict=True):
                replies[i] = answer["choices"][0]["message"].get("content")
    except LlmopsError as error:  # the port's own error class (not found, unreachable, ...), with the context
        raise type(error)(f"dataset.augmentation: generating paraphrases with {where}: {error}; {AFTER}") from None
    except Exception as error:  # a reply of the wrong shape, a failure inside the model
        raise StepFailedError(
            f"dataset.augmentation: generating paraphrases with {where} failed ({type(error).__name__}: {error}); "
            f"{AFTER}"
        ) from error
    others = [record for split in parts.values() for record in split]
    augmented = accept(the_plan, replies, others, section, identity(platform, section))
    report = augmented.report
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(report.dropped.items())) or "none"
    print(f"augmentation with {where}: {report.asked} asked, {report.kept} kept, dropped: {why}")
    return augmented


def log_augmentation(mlflow: Any, report: AugmentationReport) -> None:
    """The generator settings, the counts and the report in the active MLflow run (prepare-data's)."""
    mlflow.log_params({f"augmentation_{key}": value for key, value in report.generator.items()})
    mlflow.log_metrics({f"augmentation_{name}": value for name, value in report.summary().items()})
    mlflow.log_dict(report.model_dump(mode="json"), "augmentation/report.json")
    mlflow.log_text(report.markdown(), "augmentation/report.md")
