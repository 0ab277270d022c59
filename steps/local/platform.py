"""The local platform: every port on this machine, under one workspace folder.

Built by the registry (`steps/platforms.py`); each port is constructed on first use with the ports it
depends on injected, so a step only loads what it calls.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from types import ModuleType

from steps.local.customizer import LocalCustomizer
from steps.local.datastore import LocalDatastore
from steps.local.deployer import LocalDeployer
from steps.local.entity_registry import LocalEntityRegistry
from steps.local.evaluator import LocalEvaluator
from steps.local.guardrails import LocalGuardrails
from steps.local.inference import LocalInference


class LocalPlatform:
    name = "local"

    def __init__(self, workspace: Path, tracker: ModuleType) -> None:
        self.workspace = workspace
        self.tracker = tracker

    def version_tags(self) -> dict[str, str]:
        """None: everything runs in this process, at the project's own version."""
        return {}

    @cached_property
    def entity_registry(self) -> LocalEntityRegistry:
        return LocalEntityRegistry(self.workspace)

    @cached_property
    def datastore(self) -> LocalDatastore:
        return LocalDatastore(self.workspace / "datastore", registry=self.entity_registry)

    @cached_property
    def deployer(self) -> LocalDeployer:
        return LocalDeployer(self.workspace)

    @cached_property
    def customizer(self) -> LocalCustomizer:
        return LocalCustomizer(self.workspace, self.datastore, self.deployer, self.entity_registry)

    @cached_property
    def inference(self) -> LocalInference:
        return LocalInference(self.deployer, self.customizer)

    @cached_property
    def evaluator(self) -> LocalEvaluator:
        return LocalEvaluator(self.workspace, self.customizer, self.deployer)

    @cached_property
    def guardrails(self) -> LocalGuardrails:
        return LocalGuardrails(self.workspace)
