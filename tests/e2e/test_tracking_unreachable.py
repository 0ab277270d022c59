"""The MLflow tracking server goes away in the middle of a run (stopped while the candidate trains): the steps
that need it fail with one clear error naming the server, the runner records it and the run fails; once the
server is back, `llmops retry` completes the run, with one MLflow child run per node and the parent FINISHED."""

import os

from steps import tracking
from tests.e2e.cli_process import Cli
from tests.e2e.conftest import duplicated_child_runs, workspace_env
from tests.e2e.mlflow_ui import free_port, mlflow_server
from workflows.local_runner.state import RunStore


def test_a_run_whose_tracking_server_went_away_is_retried_once_it_is_back(workspace, make_spec, tmp_path, monkeypatch):
    database, artifacts, port = tmp_path / "mlflow.db", tmp_path / "artifacts", free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(workspace_env(workspace))
    env.update(MLFLOW_TRACKING_URI=url, MLFLOW_HTTP_REQUEST_MAX_RETRIES="1", MLFLOW_HTTP_REQUEST_TIMEOUT="10")
    spec = make_spec("e2e-no-tracking", customization={"learning_rate": 0.0008})

    with mlflow_server(database, port=port, artifacts=artifacts):
        run = Cli(env, "run", str(spec), "--auto-approve")
        store = RunStore(workspace / "runs", run.run_name())
        run.started(store, "*.candidate(*).customize", after_s=1.0)
    code, out = run.wait()  # the server stopped under the run
    state = store.load()
    assert code == 1 and state.phase in ("Failed", "Error"), out[-3000:]
    failed = [node for node in state.nodes.values() if node.phase == "Failed" and node.type == "Pod"]
    clear = f"the MLflow tracking server at {url} did not answer"
    assert failed and all(clear in node.message for node in failed), [(n.display_name, n.message) for n in failed]
    assert f"llmops retry {store.directory.name}" in out

    with mlflow_server(database, port=port, artifacts=artifacts):
        code, out = Cli(env, "retry", store.directory.name, "--auto-approve").wait()
        assert code == 0 and "gate: PASS" in out, out[-3000:]
        monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
        client = tracking.client()
        [parent] = client.search_runs(
            [client.get_experiment_by_name("llmops").experiment_id],
            filter_string="tags.`llmops.run_spec` = 'e2e-no-tracking'",
        )
        children = tracking.children(parent.info.run_id)
    assert store.load().phase == "Succeeded"
    assert parent.info.status == "FINISHED" and parent.data.tags["argo.workflow.status"] == "Succeeded"
    assert duplicated_child_runs(children) == {}  # one child run per node (a name repeats: deploy-base per branch)
    assert {"customize", "business-eval-candidate", "gate"} <= {run.info.run_name for run in children}
    assert {run.info.status for run in children} == {"FINISHED"}
