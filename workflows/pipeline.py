"""WorkflowTemplate `llmops-lora-pipeline`: the components composed into the LoRA release pipeline.

open-run ─┬─ prepare-data ── customize ── wait-for-adapter ─┬─ benchmark-candidate × suites
          │                                                 └─ business-eval-candidate
          └─ deploy-base ─┬─ benchmark-base × suites (memoized)
                          └─ business-eval-base (after prepare-data)
gate ── register (only when the gate passed: version @challenger)
     ── approval (suspend; only when required and the gate passed) ── rollout (only when released: @champion)
     ── guardrails (only when the run spec enables it and rollout happened)
onExit: finalize (closes the MLflow parent run with the workflow status, writes the report)

The workflow parameters are generated from the run-spec schema (`workflows/parameters.py`); a task
passes a workflow parameter to the step input of the same name (`params`).
"""

from __future__ import annotations

from hera.workflows import DAG, Parameter, Suspend, Task, WorkflowTemplate
from hera.workflows import models as m

from components.common import LABELS, SERVICE_ACCOUNT, SYNC_WAVE, cwt_name
from workflows.parameters import PARAMETERS

NAME = "llmops-lora-pipeline"
NAMESPACE = "llmops"
RUN_ID = "{{tasks.open-run.outputs.parameters.mlflow_run_id}}"
APPROVAL_SKIPPED = "NOT-REQUIRED"
APPROVAL_STEP = "approval"  # the suspend template and its task
APPROVAL_PARAMETER = "approve"  # its supplied output: YES releases, NO stops the release


def wp(name: str) -> str:
    return "{{workflow.parameters." + name + "}}"


def params(*names: str) -> dict[str, str]:
    """Arguments that pass workflow parameters to the step inputs of the same names."""
    return {name: wp(name) for name in names}


def out(task: str, name: str) -> str:
    return "{{tasks." + task + ".outputs.parameters." + name + "}}"


def ref(family: str, template: str) -> m.TemplateRef:
    return m.TemplateRef(name=cwt_name(family), template=template, cluster_scope=True)


def _benchmarks(target: str, depends: str, adapter_id: str) -> Task:
    return Task(
        name=f"benchmark-{target}",
        template_ref=ref("evaluation", "benchmark"),
        with_param=wp("benchmarks"),
        depends=depends,
        arguments={
            "mlflow_run_id": RUN_ID,
            "benchmark": "{{item}}",
            "target": target,
            **params("base_model"),
            "model_key": out("deploy-base", "model_key"),
            "adapter_id": adapter_id,
            **params("benchmark_limit", "benchmark_data", "benchmark_fewshot"),
        },
    )


def _business(target: str, depends: str, adapter_id: str) -> Task:
    return Task(
        name=f"business-eval-{target}",
        template_ref=ref("evaluation", "business-eval"),
        depends=depends,
        arguments={
            "mlflow_run_id": RUN_ID,
            "target": target,
            **params("base_model"),
            "adapter_id": adapter_id,
            "dataset_uri": out("prepare-data", "dataset_uri"),
            **params("business_metrics", "business_limit", "business_max_tokens", "business_headline"),
        },
    )


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

    with DAG(name="pipeline"):
        Task(
            name="open-run",
            template_ref=ref("tracking", "open-run"),
            arguments={
                **params("experiment"),
                "workflow_name": "{{workflow.name}}",
                "workflow_uid": "{{workflow.uid}}",
                **params("run_spec_name", "run_spec_hash", "git_commit", "base_model", "platform"),
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
                ),
            },
        )
        Task(
            name="deploy-base",
            template_ref=ref("serving", "deploy-base"),
            depends="open-run",
            arguments={"mlflow_run_id": RUN_ID, **params("base_model")},
        )
        Task(
            name="customize",
            template_ref=ref("customize", "customize"),
            depends="prepare-data",
            arguments={
                "mlflow_run_id": RUN_ID,
                **params("base_model"),
                "dataset_uri": out("prepare-data", "dataset_uri"),
                **params(
                    "output_model",
                    "lora_rank",
                    "lora_alpha",
                    "lora_dropout",
                    "epochs",
                    "learning_rate",
                    "batch_size",
                    "max_steps",
                    "train_seed",
                ),
            },
        )
        Task(
            name="wait-for-adapter",
            template_ref=ref("serving", "wait-for-adapter"),
            depends="customize && deploy-base",
            arguments={"mlflow_run_id": RUN_ID, **params("base_model"), "adapter_id": out("customize", "adapter_id")},
        )
        adapter = out("wait-for-adapter", "model_id")
        _benchmarks("base", "deploy-base", "")
        _benchmarks("candidate", "wait-for-adapter", adapter)
        _business("base", "deploy-base && prepare-data", "")
        _business("candidate", "wait-for-adapter", adapter)
        Task(
            name="gate",
            template_ref=ref("gate", "gate"),
            depends="benchmark-base && benchmark-candidate && business-eval-base && business-eval-candidate",
            arguments={
                "mlflow_run_id": RUN_ID,
                "base_benchmarks": out("benchmark-base", "scores"),
                "candidate_benchmarks": out("benchmark-candidate", "scores"),
                "base_business": out("business-eval-base", "scores"),
                "candidate_business": out("business-eval-candidate", "scores"),
                **params(
                    "min_business_gain",
                    "max_regression",
                    "max_regression_per_benchmark",
                    "min_samples",
                    "gain_rule",
                    "regression_rule",
                    "gate_confidence",
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
                **params("base_model"),
                "adapter_id": adapter,
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
                **params("base_model"),
                "adapter_id": adapter,
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
                **params("base_model"),
                "adapter_id": adapter,
                "dataset_uri": out("prepare-data", "dataset_uri"),
                **params("guardrails_limit", "business_max_tokens"),
            },
        )
