"""Ports: the only way steps reach services. One factory per port, selected by LLMOPS_PLATFORM.

| port       | local (embedded default)                      | nemo (production)                      |
|------------|-----------------------------------------------|----------------------------------------|
| datastore  | steps.local.datastore.LocalDatastore          | steps.nemo.datastore.NemoDatastore     |
| deployer   | steps.local.deployer.LocalDeployer            | steps.nemo.deployer.NemoDeployer       |
| customizer | steps.local.customizer.LocalCustomizer        | steps.nemo.customizer.NemoCustomizer   |
| inference  | steps.local.chat_model.LocalChatModel         | steps.nemo.inference.NimChatModel      |
| evaluator  | steps.local.evaluator.LocalEvaluator          | steps.nemo.evaluator.NemoEvaluator     |
| guardrails | steps.local.guardrails.LocalGuardrails        | steps.nemo.guardrails.NemoGuardrails   |
| tracker    | steps.tracking (MLflow, SQLite by default)    | steps.tracking (MLflow server)         |

Implementations are imported lazily, so a step only loads the platform it runs on.
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


def _nemo() -> bool:
    return settings.platform() == "nemo"


def datastore():
    if _nemo():
        from steps.nemo.datastore import NemoDatastore

        return NemoDatastore()
    _require_local("datastore")
    from steps.local.datastore import LocalDatastore

    return LocalDatastore()


def deployer():
    if _nemo():
        from steps.nemo.deployer import NemoDeployer

        return NemoDeployer()
    _require_local("deployer")
    from steps.local.deployer import LocalDeployer

    return LocalDeployer()


def customizer():
    if _nemo():
        from steps.nemo.customizer import NemoCustomizer

        return NemoCustomizer()
    _require_local("customizer")
    from steps.local.customizer import LocalCustomizer

    return LocalCustomizer()


def inference(base_model: str, adapter_id: str = ""):
    """An OpenAI-style chat model for the base model, or the base model plus a released adapter."""
    if _nemo():
        from steps.nemo.inference import chat_model

        return chat_model(base_model, adapter_id)
    _require_local("inference")
    from steps.local.chat_model import LocalChatModel

    base_dir = deployer().model_dir(base_model)
    adapter_dir = customizer().adapter_dir(adapter_id) if adapter_id else None
    return LocalChatModel(base_dir, adapter_dir, model_id=adapter_id or base_model)


def evaluator():
    if _nemo():
        from steps.nemo.evaluator import NemoEvaluator

        return NemoEvaluator()
    _require_local("evaluator")
    from steps.local.evaluator import LocalEvaluator

    return LocalEvaluator()


def guardrails():
    if _nemo():
        from steps.nemo.guardrails import NemoGuardrails

        return NemoGuardrails()
    _require_local("guardrails")
    from steps.local.guardrails import LocalGuardrails

    return LocalGuardrails()
