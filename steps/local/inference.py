"""Local inference port: the in-process chat model for a base model or a base model plus an adapter."""

from __future__ import annotations

from steps.local.chat_model import LocalChatModel
from steps.local.customizer import LocalCustomizer
from steps.local.deployer import LocalDeployer


class LocalInference:
    def __init__(self, deployer: LocalDeployer, customizer: LocalCustomizer) -> None:
        self.deployer, self.customizer = deployer, customizer

    def chat_model(self, base_model: str, adapter_id: str = "") -> LocalChatModel:
        base_dir = self.deployer.model_dir(base_model)
        adapter_dir = self.customizer.adapter_dir(adapter_id) if adapter_id else None
        return LocalChatModel(base_dir, adapter_dir, model_id=adapter_id or base_model)
