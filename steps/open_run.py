"""Step open-run: create the workflow's MLflow parent run, record the run's settings, plan its candidates.

A run that names its platform runs only where that platform is configured: open-run refuses it
elsewhere, before anything is created. The parent run records the platform either way.

The candidates (`steps.logic.candidates`) are resolved here from the workflow's parameters, so a run
submitted from the Argo UI gets the checks a run spec gets: a bad `candidates` object fails this step,
before any data is uploaded or any job started. The registered model's champion, when there is one, is
looked up here too: the pipeline evaluates it on the same items as the candidates.
"""

import json
from typing import Annotated, Literal

from hera.workflows import Output, Parameter
from pydantic import ValidationError

from steps import platforms, registry, tracking
from steps.errors import InvalidInputError
from steps.io import CustomizationSettings, Platform, Trigger, choices
from steps.logic.candidates import Candidate, CandidatesSection, base_models, resolve

PLATFORM_TAG = "llmops.platform"
RUN_ID_OUTPUT = "mlflow-run-id"
TRIGGER_TAG = "llmops.trigger"  # why the run started (the run report's details show it)
PlatformOrUnset = Literal["", Platform]  # "": the run spec names none
SETTINGS = tuple(CustomizationSettings.model_fields)  # the run's own customization settings


class OpenRunInput(CustomizationSettings):
    experiment: Annotated[str, Parameter(description="MLflow experiment name")]
    workflow_name: Annotated[str, Parameter(description="Argo workflow name")]
    workflow_uid: Annotated[str, Parameter(description="Argo workflow uid")]
    run_spec_name: Annotated[str, Parameter(description="Run spec name")]
    run_spec_hash: Annotated[str, Parameter(description="sha256 of the canonical run spec")]
    git_commit: Annotated[str, Parameter(description="Git commit of the run spec")]
    trigger: Annotated[
        Trigger,
        Parameter(description="Why the run started: manual, git, schedule, new-data or drift", enum=choices(Trigger)),
    ]
    base_model: Annotated[str, Parameter(description="Base model id")]
    platform: Annotated[
        PlatformOrUnset,
        Parameter(
            description="Platform the run needs; empty: the one this environment is configured with",
            enum=choices(PlatformOrUnset),
        ),
    ]
    # with the run's own customization settings (CustomizationSettings) and its candidates section
    candidates: Annotated[str, Parameter(description="JSON candidates section; empty: one candidate")]
    registered_model_name: Annotated[str, Parameter(description="MLflow registered model whose champion competes")]


class OpenRunOutput(Output):
    # A global output: the first the workflow sets, so the Argo UI's link reaches the run as
    # ${workflow.status.outputs.parameters.0.value} (charts/values/argo-workflows.yaml).
    mlflow_run_id: Annotated[
        str, Parameter(name="mlflow_run_id", global_name=RUN_ID_OUTPUT, description="MLflow parent run id")
    ]
    candidate_list: Annotated[
        str, Parameter(name="candidate_list", description="JSON list of the candidates to train, every setting")
    ]
    base_models: Annotated[str, Parameter(name="base_models", description="JSON list of their distinct base models")]
    champion_version: Annotated[
        str, Parameter(name="champion_version", description="Registered version with alias champion; empty: none")
    ]
    champion_adapter: Annotated[str, Parameter(name="champion_adapter", description="The champion's adapter id")]
    champion_base: Annotated[str, Parameter(name="champion_base", description="The champion's base model")]


def plan(inputs: OpenRunInput) -> list[Candidate]:
    """The candidates of the run; InvalidInputError naming the field when the candidates object is bad."""
    section = None
    if inputs.candidates.strip():
        try:
            section = CandidatesSection.model_validate_json(inputs.candidates)
        except ValidationError as exc:
            problems = "; ".join(f"candidates.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise InvalidInputError(f"open-run: the candidates parameter is not valid: {problems}") from None
    run = Candidate(name="", base_model=inputs.base_model, **inputs.model_dump(include=set(SETTINGS)))
    return resolve(run, section)


def champion(client: object, name: str) -> tuple[str, str, str]:
    """(version, adapter id, base model) of the registered model's champion; empty strings when none."""
    version = registry.alias_version(client, name, registry.CHAMPION)
    if version is None:
        return "", "", ""
    tags = client.get_model_version(name, version).tags  # type: ignore[attr-defined]
    return version, tags.get(registry.ADAPTER_TAG, ""), tags.get("base_model", "")


def open_run(inputs: OpenRunInput) -> OpenRunOutput:
    name = platforms.require(inputs.platform)  # before the parent run exists
    candidates = plan(inputs)  # before the parent run exists, too
    platform = platforms.build(name)
    tags = {
        "llmops.run_spec": inputs.run_spec_name,
        "llmops.run_spec_hash": inputs.run_spec_hash,
        "mlflow.source.git.commit": inputs.git_commit,
        TRIGGER_TAG: inputs.trigger,
        "llmops.base_model": inputs.base_model,
        PLATFORM_TAG: name,
        tracking.WORKFLOW_NAME_TAG: inputs.workflow_name,
        **platform.version_tags(),
    }
    run_id = platform.tracker.open_parent(inputs.experiment, inputs.workflow_name, inputs.workflow_uid, tags)
    settings = inputs.model_dump(include={"base_model", *SETTINGS, *(("candidates",) if inputs.candidates else ())})
    platform.tracker.log_parent_params(run_id, {**settings, "platform": name})
    version, adapter, base = champion(platform.tracker.client(), inputs.registered_model_name)
    print(f"MLflow parent run {run_id} (platform {name}, trigger {inputs.trigger})")
    print(f"{len(candidates)} candidate(s): " + ", ".join(c.name or c.output_model for c in candidates))
    print(f"champion: {inputs.registered_model_name} v{version} ({adapter})" if version else "no champion yet")
    return OpenRunOutput(
        mlflow_run_id=run_id,
        candidate_list=json.dumps([c.model_dump() for c in candidates]),
        base_models=json.dumps(base_models(candidates)),
        champion_version=version,
        champion_adapter=adapter,
        champion_base=base,
    )
