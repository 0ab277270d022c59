"""Runs started at once race on what they create in MLflow: the experiment (every run opens its parent there)
and, for the same spec twice, the registered model and the adapter's version. The run that loses a race uses
what the winner created instead of failing or leaving a duplicate."""

from __future__ import annotations

import pytest

from steps import registry, tracking


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    tracking.prepare_store()
    return tmp_path


def test_the_loser_of_the_experiment_race_uses_the_winners_experiment(ws, monkeypatch):
    import mlflow

    looked_up = mlflow.get_experiment_by_name
    calls = []

    def stale_first_lookup(name):
        calls.append(name)
        if len(calls) == 1:  # the other run creates the experiment between this lookup and our create
            tracking.client().create_experiment(name)
            return None
        return looked_up(name)

    monkeypatch.setattr(mlflow, "get_experiment_by_name", stale_first_lookup)
    run_id = tracking.open_parent("raced", "wf-b", "uid-b", {})

    experiment = looked_up("raced")
    assert tracking.client().get_run(run_id).info.experiment_id == experiment.experiment_id
    assert experiment.tags[tracking.EXPERIMENT_KIND_TAG] == tracking.EXPERIMENT_KIND
    assert len(calls) == 2


def test_other_tracking_errors_still_fail_open_run(ws, monkeypatch):
    import mlflow
    from mlflow.exceptions import MlflowException

    def refused(*args, **kwargs):
        raise MlflowException("permission denied", error_code=mlflow.protos.databricks_pb2.PERMISSION_DENIED)

    monkeypatch.setattr(mlflow, "create_experiment", refused)
    with pytest.raises(MlflowException, match="permission denied"):
        tracking.open_parent("refused", "wf-c", "uid-c", {})


def _register(client, run_id: str, model):
    return registry.ensure_version(client, "raced-adapter", run_id, "adapter-1", "base", model, "file:///a", False)


def test_one_adapter_registered_by_two_runs_at_once_keeps_one_version(ws, monkeypatch):
    client = tracking.client()
    first_run = tracking.open_parent("raced", "wf-a", "uid-a", {})
    second_run = tracking.open_parent("raced", "wf-b", "uid-b", {})
    model = client.create_logged_model(client.get_run(first_run).info.experiment_id, name="adapter-1")
    looked_up = registry.find_version
    calls = []

    def stale_first_lookup(client, name, adapter_id):
        calls.append(name)
        if len(calls) == 1:  # the other run registers the adapter between this lookup and our create
            monkeypatch.setattr(registry, "find_version", looked_up)
            _register(client, first_run, model)
            monkeypatch.setattr(registry, "find_version", stale_first_lookup)
            return None
        return looked_up(client, name, adapter_id)

    monkeypatch.setattr(registry, "find_version", stale_first_lookup)
    version, created = _register(client, second_run, model)

    versions = client.search_model_versions("name = 'raced-adapter'")
    assert [str(v.version) for v in versions] == ["1"] and str(version.version) == "1"
    assert not created and version.run_id == first_run


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_tracking_server_is_one_clear_error_naming_it(monkeypatch):
    from steps.mlflow_errors import TrackingUnavailableError

    port = _closed_port()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://someone:hunter2@127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    with pytest.raises(TrackingUnavailableError) as opening:
        tracking.open_parent("unreachable", "wf-d", "uid-d", {})
    with pytest.raises(TrackingUnavailableError) as stepping, tracking.step_run("0" * 32, "a-step"):
        pass
    for error in (opening.value, stepping.value):
        message = str(error)
        assert f"the MLflow tracking server at http://127.0.0.1:{port} did not answer" in message
        assert "hunter2" not in message and "llmops retry" in message
