"""Step guardrails: put rails around the released adapter and check its answers to held-out prompts.

Creates (or updates) the adapter's guardrail config, generates the adapter's answers to prompts of
the test split, and runs every (prompt, answer) conversation through the rails. Any blocked
conversation fails the step, naming the rails that blocked it. Enabled per run spec.
"""

import json
from typing import Annotated

from hera.workflows import Output, Parameter

from steps import platforms
from steps.contracts import TESTING_FILE
from steps.errors import InvalidInputError, StepFailedError
from steps.io import TrackedInput


class GuardrailsInput(TrackedInput):
    base_model: Annotated[str, Parameter(description="Base model id")]
    adapter_id: Annotated[str, Parameter(description="Released adapter")]
    dataset_uri: Annotated[str, Parameter(description="Dataset revision; its test prompts probe the rails")]
    guardrails_limit: Annotated[int, Parameter(description="Test prompts to check")]
    business_max_tokens: Annotated[
        int, Parameter(description="Generation budget per answer (the business evaluation's)")
    ]


class GuardrailsOutput(Output):
    checked: Annotated[str, Parameter(name="checked", description="JSON: config, conversations checked, blocked")]


def guardrails(inputs: GuardrailsInput) -> GuardrailsOutput:
    platform = platforms.build()
    rows = platform.datastore.read_jsonl(inputs.dataset_uri, TESTING_FILE)[: inputs.guardrails_limit]
    if not rows:
        raise InvalidInputError(f"guardrails: {inputs.dataset_uri} has no test rows to probe with")
    model = platform.inference.chat_model(inputs.base_model, inputs.adapter_id)
    prompts = [[m for m in r["messages"] if m["role"] != "system"] for r in rows]
    replies = model.create_batch(prompts, max_tokens=inputs.business_max_tokens)
    rails = platform.guardrails
    config = rails.ensure_config(inputs.adapter_id)
    results = [
        rails.check(inputs.adapter_id, [*p, reply["choices"][0]["message"]], config.config_id)
        for p, reply in zip(prompts, replies, strict=True)
    ]
    blocked = [r for r in results if not r.allowed]
    summary = {"config_id": config.config_id, "config": config.action, "checked": len(results), "blocked": len(blocked)}
    with platform.tracker.step_run(inputs.mlflow_run_id, "guardrails") as mlflow:
        mlflow.log_metrics({"guardrails_checked": len(results), "guardrails_blocked": len(blocked)})
        mlflow.set_tags({"guardrails.config_id": config.config_id, "adapter_id": inputs.adapter_id})
        mlflow.log_dict([r.model_dump() for r in results], "guardrails/checks.json")
    print(f"guardrails {config.config_id} ({config.action}): {len(results) - len(blocked)}/{len(results)} allowed")
    if blocked:
        first = ", ".join(f"{k}={v}" for k, v in blocked[0].rails.items())
        raise StepFailedError(
            f"guardrails blocked {len(blocked)} of {len(results)} answers of {inputs.adapter_id} "
            f"(first: {first}); see the guardrails run in MLflow"
        )
    return GuardrailsOutput(checked=json.dumps(summary, sort_keys=True))
