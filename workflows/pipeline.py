"""WorkflowTemplate `llmops-lora-pipeline`: the components composed into the LoRA release pipeline.

open-run ── prepare-data ─┬─ base-model × distinct base models   (deploy-base, evaluate; benchmarks memoized)
                          ├─ champion (when the registered model has one: its adapter, evaluated alike)
                          └─ candidate × candidates               (deploy-base, customize, wait-for-adapter, evaluate)
gate (every candidate vs its base and the champion; picks one; runs when at least one candidate finished)
     ── register (only when the gate passed: the chosen version @challenger)
     ── approval (suspend; only when required and the gate passed) ── rollout (only when released: @champion)
     ── guardrails (only when the run spec enables it and rollout happened)
onExit: finalize (closes the MLflow parent run with the workflow status, writes the report)

open-run resolves the candidates (`steps.logic.candidates`): a run spec without a candidates section has
one. The branches are DAG templates (`workflows.pipeline_branches`). The workflow parameters are generated
from the run-spec schema (`workflows/parameters.py`); a task passes a workflow parameter to the step
input of the same name (`params`).
"""

from __future__ import annotations

from hera.workflows import DAG, Parameter, Suspend, Task, WorkflowTemplate
from hera.workflows import models as m

from components.common import LABELS, SERVICE_ACCOUNT, SYNC_WAVE
from steps.io import CustomizationSettings
from workflows.parameters import PARAMETERS
from workflows.pipeline_branches import (
    CANDIDATE_FIELDS,
    base_model_dag,
    candidate_dag,
    champion_dag,
    evaluate_dag,
    out,
    params,
    ref,
    wp,
)

NAME = "llmops-lora-pipeline"
NAMESPACE = "llmops"
RUN_ID = "{{tasks.open-run.outputs.parameters.mlflow_run_id}}"
APPROVAL_SKIPPED = "NOT-REQUIRED"
APPROVAL_STEP = "approval"  # the suspend template and its task
APPROVAL_PARAMETER = "approve"  # its supplied output: YES releases, NO stops the release
CUSTOMIZATION = tuple(CustomizationSettings.model_fields)  # the run's own: open-run resolves the candidates
DATASET = out("prepare-data", "dataset_uri")
CHOSEN = {"base_model": out("gate", "base_model"), "adapter_id": out("gate", "adapter_id")}


with WorkflowTemplate(
    name=NAME,
    namespace=NAMESPACE,
    labels=LABELS,
    annotations={SYNC_WAVE: "1"},  # after the ClusterWorkflowTemplates it references
    service_account_name=SERVICE_ACCOUNT,
    entrypoint="pipeline",
    on_exit="exit-handler",
    arguments=[Parameter(**p.render()) for p in PARAMETERS],
) as wt:
    Suspend(
        name=APPROVAL_STEP,
        inputs=[
            Parameter(
                name=APPROVAL_PARAMETER,
                default="NO",
                enum=["YES", "NO"],
                description="YES releases the adapter, NO stops the release",
            )
        ],
        outputs=[
            Parameter(
                name=APPROVAL_PARAMETER,
                value_from=m.ValueFrom(supplied=m.SuppliedValueFrom(), default=APPROVAL_SKIPPED),
            )
        ],
        duration="72h",
    )

    with DAG(name="exit-handler"):
        Task(
            name="finalize",
            template_ref=ref("tracking", "finalize"),
            arguments={
                "workflow_uid": "{{workflow.uid}}",
                "workflow_name": "{{workflow.name}}",
                "workflow_status": "{{workflow.status}}",
            },
        )

    evaluate_dag()
    base_model_dag()
    champion_dag()
    candidate_dag()

    with DAG(name="pipeline"):
        Task(
            name="open-run",
            template_ref=ref("tracking", "open-run"),
            arguments={
                **params("experiment"),
                "workflow_name": "{{workflow.name}}",
                "workflow_uid": "{{workflow.uid}}",
                **params("run_spec_name", "run_spec_hash", "git_commit", "trigger", "base_model", "platform"),
                **params(*CUSTOMIZATION, "candidates", "registered_model_name"),
            },
        )
        Task(
            name="prepare-data",
            template_ref=ref("data", "prepare-data"),
            depends="open-run",
            arguments={
                "mlflow_run_id": RUN_ID,
                **params(
                    "dataset_source",
                    "dataset_format",
                    "dataset_group_by",
                    "dataset_namespace",
                    "dataset_name",
                    "validation_fraction",
                    "test_fraction",
                    "dataset_test_source",
                    "split_seed",
                    "dataset_curation",
                    "dataset_augmentation",
                ),
            },
        )
        Task(
            name="base-model",
            template="base-model",
            depends="prepare-data",
            with_param=out("open-run", "base_models"),
            arguments={"mlflow_run_id": RUN_ID, "base_model": "{{item}}", "dataset_uri": DATASET},
        )
        Task(
            name="champion",
            template="champion",
            depends="prepare-data",
            when=f"'{out('open-run', 'champion_version')}' != ''",
            arguments={
                "mlflow_run_id": RUN_ID,
                "base_model": out("open-run", "champion_base"),
                "adapter_id": out("open-run", "champion_adapter"),
                "dataset_uri": DATASET,
            },
        )
        Task(
            name="candidate",
            template="candidate",
            depends="prepare-data",
            with_param=out("open-run", "candidate_list"),
            arguments={
                "mlflow_run_id": RUN_ID,
                "dataset_uri": DATASET,
                **{field: "{{item." + field + "}}" for field in CANDIDATE_FIELDS},
            },
        )
        Task(
            name="gate",
            template_ref=ref("gate", "gate"),
            # A failed candidate (or base model) does not stop the others: the gate decides among those that
            # finished; a candidate whose base model failed has no base scores and is blocked.
            depends=(
                "(base-model.Succeeded || base-model.Failed) && champion && (candidate.Succeeded || candidate.Failed)"
            ),
            arguments={
                "mlflow_run_id": RUN_ID,
                "candidate_list": out("open-run", "candidate_list"),
                "base_benchmarks": out("base-model", "benchmarks"),
                "base_business": out("base-model", "business"),
                "candidate_benchmarks": out("candidate", "benchmarks"),
                "candidate_business": out("candidate", "business"),
                "candidate_costs": out("candidate", "cost"),
                "champion_version": out("open-run", "champion_version"),
                "champion_adapter": out("open-run", "champion_adapter"),
                "champion_base": out("open-run", "champion_base"),
                "champion_benchmarks": out("champion", "benchmarks"),
                "champion_business": out("champion", "business"),
                **params(
                    "min_business_gain",
                    "max_regression",
                    "max_regression_per_benchmark",
                    "max_business_regression",
                    "min_samples",
                    "gain_rule",
                    "regression_rule",
                    "gate_confidence",
                    "min_gain_over_champion",
                ),
            },
        )
        Task(
            name="register",
            template_ref=ref("serving", "register"),
            depends="gate",
            when=f"{out('gate', 'decision')} == pass",
            arguments={
                "mlflow_run_id": RUN_ID,
                **CHOSEN,
                **params("registered_model_name"),
                "dataset_revision": out("prepare-data", "dataset_revision"),
                "gate_decision": out("gate", "decision"),
                "gate_rows": out("gate", "rows"),
            },
        )
        Task(
            name=APPROVAL_STEP,
            template=APPROVAL_STEP,
            depends="register",
            when=f"{wp('require_approval')} == true && {out('gate', 'decision')} == pass",
        )
        Task(
            name="rollout",
            template_ref=ref("serving", "rollout"),
            depends="register && (approval.Succeeded || approval.Skipped)",
            when=(
                f"{out('gate', 'decision')} == pass && "
                f"({wp('require_approval')} == false || {out('approval', 'approve')} == YES)"
            ),
            arguments={
                "mlflow_run_id": RUN_ID,
                **CHOSEN,
                **params("registered_model_name"),
                "gate_decision": out("gate", "decision"),
            },
        )
        Task(
            name="guardrails",
            template_ref=ref("serving", "guardrails"),
            depends="rollout.Succeeded",
            when=f"{wp('guardrails_check')} == true",
            arguments={
                "mlflow_run_id": RUN_ID,
                **CHOSEN,
                "dataset_uri": DATASET,
                **params("guardrails_limit", "business_max_tokens"),
            },
        )
