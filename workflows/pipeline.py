"""WorkflowTemplate `llmops-lora-pipeline`: the components composed into the LoRA release pipeline.

open-run ─┬─ prepare-data ── customize ── wait-for-adapter ─┬─ benchmark-candidate × suites
          │                                                 └─ business-eval-candidate
          └─ deploy-base ─┬─ benchmark-base × suites (memoized)
                          └─ business-eval-base (after prepare-data)
gate ── approval (suspend; only when required and the gate passed) ── rollout (only when released)
     ── guardrails (only when the run spec enables it and rollout happened)
onExit: finalize (closes the MLflow parent run with the workflow status, writes the report)
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


def wp(name: str) -> str:
    return "{{workflow.parameters.%s}}" % name


def out(task: str, name: str) -> str:
    return "{{tasks.%s.outputs.parameters.%s}}" % (task, name)


def ref(family: str, template: str) -> m.TemplateRef:
    return m.TemplateRef(name=cwt_name(family), template=template, cluster_scope=True)


def _benchmarks(target: str, depends: str, adapter_id: str) -> Task:
    return Task(
        name=f"benchmark-{target}",
        template_ref=ref("evaluation", "benchmark"),
        with_param=wp("benchmarks"),
        depends=depends,
        arguments={
            "mlflow_run_id": RUN_ID, "benchmark": "{{item}}", "target": target,
            "base_model": wp("base_model"), "model_key": out("deploy-base", "model_key"),
            "adapter_id": adapter_id, "limit": wp("benchmark_limit"), "data": wp("benchmark_data"),
            "num_fewshot": wp("benchmark_fewshot"),
        },
    )


def _business(target: str, depends: str, adapter_id: str) -> Task:
    return Task(
        name=f"business-eval-{target}",
        template_ref=ref("evaluation", "business-eval"),
        depends=depends,
        arguments={
            "mlflow_run_id": RUN_ID, "target": target, "base_model": wp("base_model"),
            "adapter_id": adapter_id, "dataset_uri": out("prepare-data", "dataset_uri"),
            "task": wp("dataset_task"), "limit": wp("business_limit"),
            "max_tokens": wp("business_max_tokens"), "headline_metric": wp("business_headline"),
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
    arguments=[
        Parameter(name=p.name, value=p.default, description=p.description, enum=list(p.enum) if p.enum else None)
        for p in PARAMETERS
    ],
) as wt:
    Suspend(
        name="approval",
        inputs=[Parameter(name="approve", default="NO", enum=["YES", "NO"],
                          description="YES releases the adapter, NO stops the release")],
        outputs=[Parameter(name="approve", value_from=m.ValueFrom(supplied=m.SuppliedValueFrom(), default=APPROVAL_SKIPPED))],
        duration="72h",
    )

    with DAG(name="exit-handler"):
        Task(
            name="finalize",
            template_ref=ref("tracking", "finalize"),
            arguments={"workflow_uid": "{{workflow.uid}}", "workflow_name": "{{workflow.name}}",
                       "workflow_status": "{{workflow.status}}"},
        )

    with DAG(name="pipeline"):
        Task(
            name="open-run",
            template_ref=ref("tracking", "open-run"),
            arguments={
                "experiment": wp("experiment"), "workflow_name": "{{workflow.name}}",
                "workflow_uid": "{{workflow.uid}}", "run_spec_name": wp("run_spec_name"),
                "run_spec_hash": wp("run_spec_hash"), "git_commit": wp("git_commit"),
                "base_model": wp("base_model"),
            },
        )
        Task(
            name="prepare-data",
            template_ref=ref("data", "prepare-data"),
            depends="open-run",
            arguments={
                "mlflow_run_id": RUN_ID, "source": wp("dataset_source"), "task": wp("dataset_task"),
                "namespace": wp("dataset_namespace"), "dataset_name": wp("dataset_name"),
                "validation_fraction": wp("validation_fraction"), "test_fraction": wp("test_fraction"),
                "test_source": wp("dataset_test_source"), "split_seed": wp("split_seed"),
            },
        )
        Task(
            name="deploy-base",
            template_ref=ref("serving", "deploy-base"),
            depends="open-run",
            arguments={"mlflow_run_id": RUN_ID, "base_model": wp("base_model")},
        )
        Task(
            name="customize",
            template_ref=ref("customize", "customize"),
            depends="prepare-data",
            arguments={
                "mlflow_run_id": RUN_ID, "base_model": wp("base_model"),
                "dataset_uri": out("prepare-data", "dataset_uri"), "output_model": wp("output_model"),
                "lora_rank": wp("lora_rank"), "lora_alpha": wp("lora_alpha"),
                "lora_dropout": wp("lora_dropout"), "epochs": wp("epochs"),
                "learning_rate": wp("learning_rate"), "batch_size": wp("batch_size"),
                "max_steps": wp("max_steps"), "seed": wp("train_seed"),
            },
        )
        Task(
            name="wait-for-adapter",
            template_ref=ref("serving", "wait-for-adapter"),
            depends="customize && deploy-base",
            arguments={"mlflow_run_id": RUN_ID, "base_model": wp("base_model"),
                       "adapter_id": out("customize", "adapter_id")},
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
                "min_business_gain": wp("min_business_gain"), "max_regression": wp("max_regression"),
                "max_regression_per_benchmark": wp("max_regression_per_benchmark"),
                "min_samples": wp("min_samples"),
            },
        )
        Task(
            name="approval",
            template="approval",
            depends="gate",
            when=f"{wp('require_approval')} == true && {out('gate', 'decision')} == pass",
        )
        Task(
            name="rollout",
            template_ref=ref("serving", "rollout"),
            depends="gate && (approval.Succeeded || approval.Skipped)",
            when=(f"{out('gate', 'decision')} == pass && "
                  f"({wp('require_approval')} == false || {out('approval', 'approve')} == YES)"),
            arguments={
                "mlflow_run_id": RUN_ID, "base_model": wp("base_model"), "adapter_id": adapter,
                "registered_model_name": wp("registered_model_name"),
                "gate_decision": out("gate", "decision"),
            },
        )
        Task(
            name="guardrails",
            template_ref=ref("serving", "guardrails"),
            depends="rollout.Succeeded",
            when=f"{wp('guardrails_check')} == true",
            arguments={
                "mlflow_run_id": RUN_ID, "base_model": wp("base_model"), "adapter_id": adapter,
                "dataset_uri": out("prepare-data", "dataset_uri"), "limit": wp("guardrails_limit"),
                "max_tokens": wp("business_max_tokens"),
            },
        )
