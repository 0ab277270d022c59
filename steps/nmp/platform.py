"""The nemo-platform backend: every port on NeMo Platform's services and an MLflow server.

Built by the registry (`steps/platforms.py`) when LLMOPS_PLATFORM=nemo-platform. Each port is constructed
on first use and all share one SDK client (NMP_URL, NMP_WORKSPACE; the workspace is created on the first write).
docs/nemo-platform.md says which Platform service backs which port and what was tested against what.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

from steps.nmp.client import platform_client, server_version
from steps.nmp.customizer import NmpCustomizer
from steps.nmp.datastore import NmpDatastore
from steps.nmp.deployer import NmpDeployer
from steps.nmp.entity_registry import NmpEntityRegistry
from steps.nmp.evaluator import NmpEvaluator
from steps.nmp.guardrails import NmpGuardrails
from steps.nmp.inference import NmpInference


class NmpPlatform:
    name = "nemo-platform"

    def __init__(self, workspace: Path, tracker: ModuleType) -> None:
        self.workspace = workspace  # the download cache of dataset revisions lives here
        self.tracker = tracker

    def version_tags(self) -> dict[str, str]:
        """The SDK's version and the Platform's (its OpenAPI document's `info.version`)."""
        from importlib.metadata import version

        return {"llmops.nemo_platform.sdk": version("nemo-platform"), "llmops.nemo_platform.server": server_version()}

    @cached_property
    def client(self) -> Any:
        return platform_client()

    @cached_property
    def entity_registry(self) -> NmpEntityRegistry:
        return NmpEntityRegistry(self.client)

    @cached_property
    def datastore(self) -> NmpDatastore:
        return NmpDatastore(self.client, self.workspace / "nmp-datastore", registry=self.entity_registry)

    @cached_property
    def customizer(self) -> NmpCustomizer:
        return NmpCustomizer(self.client)

    @cached_property
    def deployer(self) -> NmpDeployer:
        return NmpDeployer(self.client)

    @cached_property
    def inference(self) -> NmpInference:
        return NmpInference(self.client)

    @cached_property
    def evaluator(self) -> NmpEvaluator:
        return NmpEvaluator(self.inference, client=self.client)

    @cached_property
    def guardrails(self) -> NmpGuardrails:
        return NmpGuardrails(self.client)
