"""A local workspace keeps its MLflow artifacts beside its tracking database, wherever the process runs."""

from steps import tracking


def test_artifacts_of_a_new_experiment_live_in_the_workspace_not_in_the_current_directory(tmp_path, monkeypatch):
    workspace, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(workspace))
    monkeypatch.chdir(elsewhere)
    tracking.prepare_store()
    run_id = tracking.open_parent("artifact-home", "a-run", "uid-1", {})
    tracking.client().log_text(run_id, "hello", "notes/hello.txt")
    [written] = (workspace / "mlartifacts").rglob("hello.txt")
    assert written.read_text() == "hello" and run_id in written.parts
    assert not (elsewhere / "mlruns").exists()
    experiment = tracking.client().get_experiment_by_name("artifact-home")
    assert experiment.artifact_location == (workspace / "mlartifacts").as_uri()
