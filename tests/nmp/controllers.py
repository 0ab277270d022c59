"""What the Platform's deployments plugin, models controller and customization plugin would do, done by the
test harness for a pipeline run on the real services plus the schema-checked fake (tests/fakes/nmp/).

The PyPI install of NeMo Platform 0.3.0 has no deployments plugin and no customization backend, so:
- when the fake's deployment of a base model turns READY, the base model is routed through the REAL
  Inference Gateway to the project's own model behind `llmops serve`'s OpenAI server
  (`steps.nmp.gateway.register_endpoint`, under the name the inference port asks for);
- when the fake's customization job completes, its adapter's weights are written to the fileset the job
  names (one `adapter_config.json`, in the REAL Files service: the real Models service refuses an adapter
  whose fileset is missing or empty) and the adapter's model name is routed to the same server: the fake
  trains nothing, so the adapter answers as the base model.
These run inside the fake's request (`FakeNmp.on`), before the answer that shows READY / completed, as a
controller would have finished its work by then. They talk to the real services directly, not through
the fault-injecting proxy.
"""

from __future__ import annotations

import json
from typing import Any

from steps.nmp.client import ensure_workspace
from steps.nmp.gateway import model_entity_name, register_endpoint, wait_for_model


def real_client(base_url: str, workspace: str) -> Any:
    """An SDK client straight to the real services (the harness is not the system under test: it may retry)."""
    from nemo_platform import NeMoPlatform

    return NeMoPlatform(base_url=base_url, workspace=workspace, max_retries=3)


class Controllers:
    """Routes served models to `model_url` (`http://127.0.0.1:PORT/v1`), which serves `served_name`."""

    def __init__(self, client: Any, workspace: str, model_url: str, served_name: str) -> None:
        self.client, self.workspace = client, workspace
        self.model_url, self.served_name = model_url, served_name
        self.routed: list[str] = []

    def route(self, model_id: str) -> str:
        """Route the model (or adapter) id as `NmpInference.model_name` names it; wait until the gateway lists it."""
        model = register_endpoint(self.client, model_entity_name(model_id), self.model_url, self.served_name)
        wait_for_model(self.client, model)
        self.routed.append(model)
        return model

    def seed_base_model(self, base_model: str) -> None:
        """The base model's entity (`workspace/name`), as an installation has it before any pipeline runs."""
        workspace, _, name = base_model.rpartition("/")
        ensure_workspace(self.client)
        self.client.models.create(name=name, workspace=workspace or self.workspace, exist_ok=True)

    def deployment_ready(self, deployment: dict[str, Any]) -> None:
        config = deployment.get("deployment_config") or {}
        base_model = str(config.get("model_entity_id") or "")
        if not base_model:
            raise ValueError(f"deployment {deployment.get('name')}: its config names no model_entity_id")
        self.route(base_model)

    def customization_job_completed(self, job: dict[str, Any]) -> None:
        workspace = str(job["workspace"])
        output = job["spec"]["output"]
        fileset = str(output["fileset"])
        self.client.files.filesets.create(
            workspace=workspace, name=fileset, purpose="model", description=f"adapter of {job['name']}", exist_ok=True
        )
        adapter_config = {"peft_type": "LORA", "base_model_name_or_path": self.served_name, "job": job["name"]}
        self.client.files.upload_content(
            content=json.dumps(adapter_config).encode(),
            remote_path="adapter_config.json",
            fileset=fileset,
            workspace=workspace,
        )
        self.route(f"{workspace}/{output['name']}")
