"""Fixture manifests for the local runner tests.

The ClusterWorkflowTemplate is rendered by Hera 7 (`Script(constructor="runner")`), so its shape is exactly what
the pipeline's components render; DAG WorkflowTemplates are plain dicts in the same shape Hera emits.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from hera.workflows import (
    ClusterWorkflowTemplate,
    EmptyDirVolume,
    Env,
    Parameter,
    RetryStrategy,
    Script,
    SecretEnv,
    Suspend,
    WorkflowTemplate,
)
from hera.workflows import models as m

from components.common import CONTAINER_SECURITY, POD_SECURITY
from tests.runner import fixture_steps as steps

CWT = "runner-fixtures"


@functools.cache
def _fixture_cwt() -> dict[str, Any]:
    def script(name: str, fn: Any, **kwargs: Any) -> Script:
        return Script(name=name, source=fn, constructor="runner", image="llmops-steps:test", **kwargs)

    with ClusterWorkflowTemplate(name=CWT) as cwt:
        script("add", steps.add)
        script("fail", steps.fail)
        script("record", steps.record)
        script("make-list", steps.make_list)
        script(
            "flaky",
            steps.flaky,
            retry_strategy=RetryStrategy(
                limit=2, retry_policy="OnFailure", backoff=m.Backoff(duration="0.1s", factor=2)
            ),
        )
        script("flaky-once", steps.flaky, retry_strategy=RetryStrategy(limit="1", retry_policy="Always"))
        script("flaky-on-error", steps.flaky, retry_strategy=RetryStrategy(limit=3, retry_policy="OnError"))
        script("sleep", steps.sleep, active_deadline_seconds=1)
        script("sleep-long", steps.sleep)
        script("count", steps.count)
        script(
            "add-memo",
            steps.add,
            memoize=m.Memoize(
                key="add-{{inputs.parameters.a}}-{{inputs.parameters.b}}",
                max_age="1h",
                cache=m.Cache(config_map=m.LocalObjectReference(name="runner-test-cache")),
            ),
        )
        script(
            "show-env",
            steps.show_env,
            env=[SecretEnv(name="RUNNER_TEST_TOKEN", secret_name="llmops-secrets", secret_key="token")],
        )
        script(  # locked down like the pipeline's steps: scratch emptyDir, env pointing into it
            "show-env-locked",
            steps.show_env,
            env=[Env(name="RUNNER_TEST_DIR", value="/scratch/cache"), Env(name="RUNNER_TEST_PLAIN", value="plain")],
            volumes=[EmptyDirVolume(name="scratch", mount_path="/scratch")],
            pod_security_context=POD_SECURITY,
            security_context=CONTAINER_SECURITY,
        )
        script("work", steps.work)
        script("watch-threads", steps.watch_threads)
    return cwt.to_dict()


def fixture_cwt() -> dict[str, Any]:
    return copy.deepcopy(_fixture_cwt())


@functools.cache
def _approval_template() -> dict[str, Any]:
    with WorkflowTemplate(name="unused") as wt:
        Suspend(
            name="approval",
            intermediate_parameters=[
                Parameter(name="approve", default="NO", enum=["YES", "NO"], description="Roll out?")
            ],
            duration="4h",
        )
    return wt.to_dict()["spec"]["templates"][0]


def approval_template() -> dict[str, Any]:
    return copy.deepcopy(_approval_template())


def task(
    name: str, template: str, args: dict[str, Any] | None = None, local: bool = False, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if args:
        body["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in args.items()]}
    if local:
        body["template"] = template
    else:
        body["templateRef"] = {"name": CWT, "template": template, "clusterScope": True}
    body.update(fields)
    return body


def dag(name: str, tasks: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"name": name, "dag": {"tasks": tasks}, **fields}


def workflow_template(
    name: str,
    tasks: list[dict[str, Any]] | None = None,
    params: dict[str, Any] | None = None,
    templates: list[dict[str, Any]] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    all_templates = list(templates or [])
    if tasks is not None:
        all_templates.insert(0, dag("main", tasks))
    body: dict[str, Any] = {"entrypoint": "main", "templates": all_templates, **spec}
    if params:
        body["arguments"] = {
            "parameters": [
                {"name": k, **v} if isinstance(v, dict) else {"name": k, "value": v} for k, v in params.items()
            ]
        }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTemplate",
        "metadata": {"name": name, "namespace": "llmops"},
        "spec": body,
    }


def workflow(template: str, args: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"workflowTemplateRef": {"name": template}, **spec}
    if args:
        body["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in args.items()]}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": f"{template}-", "namespace": "llmops"},
        "spec": body,
    }
