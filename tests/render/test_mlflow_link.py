"""The Argo UI's link from a workflow to its MLflow parent run, in every environment.

Argo's links can read any field of the workflow (`${workflow.<path>}`), not a step's output: open-run publishes
the run id as a global output (`mlflow-run-id`), the first one a run sets, so the link is
`<MLflow address>/#/runs/${workflow.status.outputs.parameters.0.value}`; MLflow's UI opens a run from
`#/runs/<id>` alone (the e2e browser check loads that address). The environment's MLflow address is the one
setting.
"""

from __future__ import annotations

import pytest

from steps.open_run import RUN_ID_OUTPUT
from tests.render.helm_chart import ROOT
from workflows.gitops.inventory import release_values

ENVIRONMENTS = sorted(p.name for p in (ROOT / "argocd" / "env").iterdir() if p.is_dir())
RUN_PATH = "/#/runs/${workflow.status.outputs.parameters.0.value}"


def _workflow_links(env: str) -> list[dict]:
    values = release_values("argo-workflows", env)
    return [link for link in (values.get("controller") or {}).get("links") or [] if link.get("scope") == "workflow"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_environment_links_a_workflow_to_its_mlflow_run(env):
    [link] = _workflow_links(env)
    address, _, path = link["url"].partition("/#/")
    assert "/#/" + path == RUN_PATH and address.startswith(("http://", "https://")), link
    expected = {"kind": "http://127.0.0.1:5000"}.get(env)  # where `make cluster` port-forwards MLflow
    assert expected is None or address == expected
    assert env == "kind" or "example.com" not in address  # every cluster names its own MLflow


def _global_outputs(docs: list[dict]) -> dict[str, str]:
    out = {}
    for doc in docs:
        for template in (doc.get("spec") or {}).get("templates") or []:
            for param in (template.get("outputs") or {}).get("parameters") or []:
                if param.get("globalName"):
                    out[param["globalName"]] = template["name"]
    return out


def test_the_run_id_is_the_first_global_output_a_run_sets(docs, pipeline):
    assert _global_outputs(docs) == {RUN_ID_OUTPUT: "open-run", "verdict": "finalize"}
    tasks = next(t for t in pipeline["spec"]["templates"] if t["name"] == pipeline["spec"]["entrypoint"])["dag"][
        "tasks"
    ]
    first = [t["name"] for t in tasks if not t.get("depends") and not t.get("dependencies")]
    assert first == ["open-run"]  # every other task waits for it; finalize (verdict) runs on exit
    assert pipeline["spec"]["onExit"] == "exit-handler"
