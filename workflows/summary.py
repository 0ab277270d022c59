"""What `llmops run` prints at the end: the verdict, the comparison table, where the MLflow run and report are."""

from __future__ import annotations

from pathlib import Path

from steps import tracking

EXIT_OK, EXIT_FAILED = 0, 1


def claim_name(runs_dir: Path, name: str) -> str:
    """A run name nobody has used in this workspace, its folder created here: local re-runs of an unchanged spec
    get `-2`, `-3`, ... so earlier runs stay inspectable, and two runs started at once never share a folder."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        candidate = name if n == 1 else f"{name}-{n}"
        try:
            (runs_dir / candidate).mkdir()
            return candidate
        except FileExistsError:
            n += 1


def task_node(result, task: str):
    """The node of a top-level DAG task (its display name is the task name)."""
    matches = [n for n in result.nodes.values() if n.display_name == task]
    return matches[0] if matches else None


def report(result, workspace: Path) -> int:
    print()
    if result.phase == "Suspended":
        print(f"{result.workflow_name} is waiting for approval.")
        print(f"  approve: llmops approve {result.workflow_name}")
        print(f"  reject:  llmops reject {result.workflow_name}")
        return EXIT_OK
    verdict = result.outputs.get("verdict", "")  # the report's first line (finalize's global output)
    if verdict:
        print(verdict)
        print()
    gate = task_node(result, "gate")
    if gate is not None and gate.phase == "Succeeded":
        print(gate.outputs.get("report", ""))
    rollout = task_node(result, "rollout")
    if rollout is not None:
        released = rollout.phase == "Succeeded"
        version = rollout.outputs.get("model_version", "")
        print(f"rollout: {'released as version ' + version if released else rollout.phase.lower()}")
    failed = [n for n in result.nodes.values() if n.phase in ("Failed", "Error")]
    for node in failed:
        print(f"step {node.display_name} {node.phase.lower()}: {node.message}")
    open_run = task_node(result, "open-run")
    run_id = open_run.outputs.get("mlflow_run_id", "") if open_run else ""
    print(f"workflow {result.workflow_name}: {result.phase}")
    uri = tracking.display_uri()
    if run_id and uri.startswith(("http://", "https://")):
        print(f"MLflow run {run_id}: {uri.rstrip('/')}/#/runs/{run_id}")
    elif run_id:
        print(f"MLflow run {run_id} in {uri} (make mlflow-ui, then open http://127.0.0.1:5000/#/runs/{run_id})")
    print(f"logs and state: {workspace / 'runs' / result.workflow_name}")
    report_dir = workspace / "reports" / result.workflow_name
    if (report_dir / "report.html").is_file():
        print(f"report: {report_dir / 'report.html'} (or `llmops report {result.workflow_name}`)")
    if result.phase != "Succeeded":
        print(f"to run again what did not succeed, once the cause is fixed: llmops retry {result.workflow_name}")
    return EXIT_OK if result.phase == "Succeeded" else EXIT_FAILED
