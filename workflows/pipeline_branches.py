"""The DAG templates of the pipeline's branches: one per base model, one per candidate, one for the champion.

evaluate:   benchmark-keys ── benchmark × suites (memoized) + business-eval-key ── business-eval (memoized) of
            one model; outputs both results
base-model: deploy-base ── evaluate (target base)
candidate:  deploy-base ─┬─ wait-for-adapter ── evaluate (target candidate)
            customize ───┘
champion:   deploy-base ── wait-for-adapter ── evaluate (target champion)

Each takes what it needs as DAG inputs (`inp`); a template argument of the same name passes it on. The
pipeline (`workflows.pipeline`) fans `base-model` out over the distinct base models and `candidate` over
the candidates; Argo aggregates each output into a JSON list over the branches that finished.
"""

from __future__ import annotations

from hera.workflows import DAG, Parameter, Task
from hera.workflows import models as m

from components.common import cwt_name
from steps.logic.candidates import Candidate

CANDIDATE_FIELDS = tuple(Candidate.model_fields)  # name, base_model, then the customization settings
RESULTS = ("benchmarks", "business")


def wp(name: str) -> str:
    return "{{workflow.parameters." + name + "}}"


def params(*names: str) -> dict[str, str]:
    """Arguments that pass workflow parameters to the step inputs of the same names."""
    return {name: wp(name) for name in names}


def inp(*names: str) -> dict[str, str]:
    """Arguments that pass the DAG's inputs on under the same names."""
    return {name: "{{inputs.parameters." + name + "}}" for name in names}


def out(task: str, name: str) -> str:
    return "{{tasks." + task + ".outputs.parameters." + name + "}}"


def ref(family: str, template: str) -> m.TemplateRef:
    return m.TemplateRef(name=cwt_name(family), template=template, cluster_scope=True)


def _inputs(*names: str) -> list[Parameter]:
    return [Parameter(name=name) for name in names]


def _results(task: str, default: str | None = None) -> list[Parameter]:
    """The evaluation results of `task` (an evaluate task) as the DAG's outputs."""
    return [
        Parameter(name=name, value_from=m.ValueFrom(parameter=out(task, name), default=default)) for name in RESULTS
    ]


def evaluate_dag() -> None:
    """Benchmarks and business evaluation of one model (base, candidate or champion)."""
    model = ("mlflow_run_id", "target", "candidate", "base_model", "model_key", "adapter_id")
    with DAG(
        name="evaluate",
        inputs=_inputs(*model, "dataset_uri"),
        outputs=[
            Parameter(name="benchmarks", value_from=m.ValueFrom(parameter=out("benchmark", "scores"))),
            Parameter(name="business", value_from=m.ValueFrom(parameter=out("business-eval", "scores"))),
        ],
    ):
        settings = params("benchmark_limit", "benchmark_data", "benchmark_fewshot")
        Task(
            name="benchmark-keys",
            template_ref=ref("evaluation", "benchmark-keys"),
            arguments={**inp(*model), **params("benchmarks"), **settings},
        )
        Task(
            name="benchmark",
            template_ref=ref("evaluation", "benchmark"),
            depends="benchmark-keys",
            with_param=out("benchmark-keys", "keys"),
            arguments={**inp(*model), "benchmark": "{{item.benchmark}}", "memo_key": "{{item.memo_key}}", **settings},
        )
        business = {
            **inp(*model, "dataset_uri"),
            **params("business_metrics", "business_limit", "business_max_tokens", "business_headline"),
        }
        Task(name="business-eval-key", template_ref=ref("evaluation", "business-eval-key"), arguments=business)
        Task(
            name="business-eval",
            template_ref=ref("evaluation", "business-eval"),
            depends="business-eval-key",
            arguments={**business, "memo_key": out("business-eval-key", "memo_key")},
        )


def _evaluate(target: str, depends: str, adapter_id: str, candidate: str = "") -> Task:
    return Task(
        name="evaluate",
        template="evaluate",
        depends=depends,
        arguments={
            **inp("mlflow_run_id", "base_model", "dataset_uri"),
            "target": target,
            "candidate": candidate,
            "model_key": out("deploy-base", "model_key"),
            "adapter_id": adapter_id,
        },
    )


def _deploy_base() -> Task:
    return Task(
        name="deploy-base", template_ref=ref("serving", "deploy-base"), arguments=inp("mlflow_run_id", "base_model")
    )


def _wait_for_adapter(adapter_id: str, depends: str) -> Task:
    return Task(
        name="wait-for-adapter",
        template_ref=ref("serving", "wait-for-adapter"),
        depends=depends,
        arguments={**inp("mlflow_run_id", "base_model"), "adapter_id": adapter_id},
    )


def base_model_dag() -> None:
    with DAG(
        name="base-model", inputs=_inputs("mlflow_run_id", "base_model", "dataset_uri"), outputs=_results("evaluate")
    ):
        _deploy_base()
        _evaluate("base", "deploy-base", "")


def champion_dag() -> None:
    """The registered model's champion, evaluated on the run's items; empty results when the run has none."""
    with DAG(
        name="champion",
        inputs=_inputs("mlflow_run_id", "base_model", "adapter_id", "dataset_uri"),
        outputs=_results("evaluate", default=""),
    ):
        _deploy_base()
        _wait_for_adapter("{{inputs.parameters.adapter_id}}", "deploy-base")
        _evaluate("champion", "wait-for-adapter", "{{inputs.parameters.adapter_id}}")


def candidate_dag() -> None:
    """Train one candidate and evaluate it; its outputs carry its name (the gate joins on it)."""
    with DAG(
        name="candidate",
        inputs=_inputs("mlflow_run_id", "dataset_uri", *CANDIDATE_FIELDS),
        outputs=[
            *_results("evaluate"),
            Parameter(name="cost", value_from=m.ValueFrom(parameter=out("customize", "cost"))),
        ],
    ):
        _deploy_base()
        Task(
            name="customize",
            template_ref=ref("customize", "customize"),
            arguments={
                **inp("mlflow_run_id", "dataset_uri", *CANDIDATE_FIELDS[1:]),
                "candidate": "{{inputs.parameters.name}}",
            },
        )
        adapter = out("wait-for-adapter", "model_id")
        _wait_for_adapter(out("customize", "adapter_id"), "customize && deploy-base")
        _evaluate("candidate", "wait-for-adapter", adapter, candidate="{{inputs.parameters.name}}")
