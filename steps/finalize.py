"""Step finalize (the workflow's onExit): close the MLflow parent run and write the run report."""

from typing import Annotated

from hera.workflows import Input, Output, Parameter

from steps import platforms, settings, tracking


class FinalizeInput(Input):
    workflow_uid: Annotated[str, Parameter(description="Argo workflow uid")]
    workflow_name: Annotated[str, Parameter(description="Argo workflow name")]
    workflow_status: Annotated[str, Parameter(description="{{workflow.status}}: Succeeded, Failed or Error")]


class FinalizeOutput(Output):
    mlflow_status: Annotated[str, Parameter(name="mlflow_status", description="Status the parent run got")]


def report(parent, children) -> str:
    """Markdown run report: identity tags, each step's status, and the gate comparison metrics."""
    tags, metrics = parent.data.tags, parent.data.metrics
    lines = [f"# Run {tags.get(tracking.WORKFLOW_NAME_TAG, parent.info.run_id)}", ""]
    for key in (
        "llmops.run_spec",
        "llmops.base_model",
        "llmops.dataset_revision",
        "llmops.gate.decision",
        "llmops.released_version",
    ):
        lines.append(f"- {key}: {tags.get(key, '-')}")
    lines += ["", "| step | status |", "|---|---|"]
    lines += [f"| {c.info.run_name} | {c.info.status} |" for c in sorted(children, key=lambda c: c.info.start_time)]
    names = sorted({k.split(".", 1)[1] for k in metrics if k.startswith("base.")})
    if names:
        lines += ["", "| metric | base | candidate | delta |", "|---|---|---|---|"]
        for n in names:
            lines.append(
                f"| {n} | {metrics.get('base.' + n, float('nan')):.4f} | "
                f"{metrics.get('candidate.' + n, float('nan')):.4f} | {metrics.get('delta.' + n, float('nan')):+.4f} |"
            )
    return "\n".join(lines) + "\n"


def finalize(inputs: FinalizeInput) -> FinalizeOutput:
    platform = platforms.build()
    parent_id = platform.tracker.find_parent(inputs.workflow_uid)
    if parent_id is None:
        print(f"no MLflow run for workflow {inputs.workflow_name} ({inputs.workflow_uid}); nothing to close")
        return FinalizeOutput(mlflow_status="NONE")
    client = platform.tracker.client()
    parent = client.get_run(parent_id)
    text = report(parent, platform.tracker.children(parent_id))
    client.log_text(parent_id, text, "report.md")
    path = settings.workspace() / "reports" / f"{inputs.workflow_name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    client.set_tag(parent_id, "argo.workflow.status", inputs.workflow_status)
    status = platform.tracker.close_parent(parent_id, inputs.workflow_status)
    print(f"MLflow run {parent_id} closed as {status}; report at {path}")
    return FinalizeOutput(mlflow_status=status)
