"""The nemo platform: every port on the v1 NeMo microservices, NIM and an MLflow server.

Built by the registry (`steps/platforms.py`). Each port is constructed on first use, so a step only
needs the endpoints of the services it calls (a missing NEMO_URL / NDS_URL / NIM_URL is a clear error
from the port that needs it); the ports share one SDK client and one Entity Store. The deployer is the
NeMo deployment service's, or the NIM Operator's where LLMOPS_DEPLOYER=nim-operator (docs/nim-operator.md).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from steps.contracts import Deployer
from steps.nemo import settings
from steps.nemo.client import nemo_client
from steps.nemo.customizer import NemoCustomizer
from steps.nemo.datastore import NemoDatastore
from steps.nemo.deployer import NemoDeployer
from steps.nemo.entity_store import EntityStore
from steps.nemo.evaluator import NemoEvaluator
from steps.nemo.guardrails import NemoGuardrails
from steps.nemo.inference import NimInference
from steps.nemo.nim_operator import NimOperatorDeployer


class NemoPlatform:
    name = "nemo"

    def __init__(self, workspace: Path, tracker: ModuleType) -> None:
        self.workspace = workspace  # the Data Store download cache lives here
        self.tracker = tracker

    def version_tags(self) -> dict[str, str]:
        """The v1 SDK's version (the services report none of their own)."""
        from importlib.metadata import version

        return {"llmops.nemo.sdk": version("nemo-microservices")}

    @cached_property
    def client(self) -> Any:
        return nemo_client()

    @cached_property
    def entity_registry(self) -> EntityStore:
        return EntityStore(self.client)

    @cached_property
    def datastore(self) -> NemoDatastore:
        return NemoDatastore(self.workspace / "nemo-datastore", entity_store=self.entity_registry)

    @cached_property
    def deployer(self) -> Deployer:
        """NeMo Deployment Management, or the NIM Operator's resources (LLMOPS_DEPLOYER=nim-operator)."""
        if settings.deployer() == "nim-operator":
            return NimOperatorDeployer(entity_store=self.entity_registry)
        return NemoDeployer(self.client, entity_store=self.entity_registry)

    @cached_property
    def customizer(self) -> NemoCustomizer:
        return NemoCustomizer(self.client, datastore=self.datastore)

    @cached_property
    def inference(self) -> NimInference:
        return NimInference()

    @cached_property
    def evaluator(self) -> NemoEvaluator:
        return NemoEvaluator(self.client)

    @cached_property
    def guardrails(self) -> NemoGuardrails:
        return NemoGuardrails(self.client)
