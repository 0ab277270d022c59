"""Ports: the only way steps reach services. One factory per port, selected by LLMOPS_PLATFORM.

| port       | local (embedded default)                      | nemo (production)                  |
|------------|-----------------------------------------------|------------------------------------|
| datastore  | steps.local.datastore.LocalDatastore          | NeMo Data Store (not built yet)    |
| deployer   | steps.local.deployer.LocalDeployer            | NeMo Deployment Management / NIM   |
| customizer | steps.local.customizer.LocalCustomizer        | NeMo Customizer                    |
| inference  | steps.local.chat_model.LocalChatModel         | NIM OpenAI API                     |
| evaluator  | steps.local.evaluator.LocalEvaluator          | NeMo Evaluator                     |
| tracker    | steps.tracking (MLflow, SQLite by default)    | steps.tracking (MLflow server)     |
"""

from __future__ import annotations

from steps import settings
from steps.errors import PlatformNotAvailableError


def _require_local(port: str) -> None:
    name = settings.platform()
    if name != "local":
        raise PlatformNotAvailableError(
            f"the {name!r} platform has no {port} implementation yet; "
            "run with LLMOPS_PLATFORM=local (the embedded default)"
        )


def datastore():
    _require_local("datastore")
    from steps.local.datastore import LocalDatastore

    return LocalDatastore()


def deployer():
    _require_local("deployer")
    from steps.local.deployer import LocalDeployer

    return LocalDeployer()


def customizer():
    _require_local("customizer")
    from steps.local.customizer import LocalCustomizer

    return LocalCustomizer()


def inference(base_model: str, adapter_id: str = ""):
    """An OpenAI-style chat model for the base model, or the base model plus a released adapter."""
    _require_local("inference")
    from steps.local.chat_model import LocalChatModel

    base_dir = deployer().model_dir(base_model)
    adapter_dir = customizer().adapter_dir(adapter_id) if adapter_id else None
    return LocalChatModel(base_dir, adapter_dir, model_id=adapter_id or base_model)


def evaluator():
    _require_local("evaluator")
    from steps.local.evaluator import LocalEvaluator

    return LocalEvaluator()
