"""Serving a LoRA adapter next to its base model on NIM, whoever deployed the NIM.

NIM loads adapters by itself from the Entity Store its NIM_PEFT_SOURCE points at (the NeMo deployment
service sets it; the nim-operator deployer writes it into the NIMService), so serving one means: check
that the Entity Store has the adapter, then wait until NIM lists it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from steps.contracts import EntityRegistry
from steps.errors import NotFoundError
from steps.nemo.client import get_logger
from steps.nemo.inference import list_models, wait_for_model
from steps.nemo.shapes import field

log = get_logger(__name__)


def serve_from_entity_store(
    entity_store: EntityRegistry,
    base_model: str,
    adapter_id: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    before_wait: Callable[[], None] | None = None,
) -> bool:
    """Make sure NIM serves the adapter; False if it already did. `before_wait` checks, once the adapter is
    known to exist, that the NIM can load it at all (raising a clear error instead of a long wait)."""
    if adapter_id in list_models():
        return False
    entity = entity_store.get_model(adapter_id)
    if entity is None:
        raise NotFoundError(f"adapter {adapter_id!r} is not in the Entity Store; run the customize step first")
    parent = field(entity, "base_model")
    parent = parent if isinstance(parent, str) else field(parent, "name")  # a name, or a reference object
    if isinstance(parent, str) and parent and parent != base_model:
        log.warning("adapter %s was trained on %s, not %s", adapter_id, parent, base_model)
    if before_wait is not None:
        before_wait()
    wait_for_model(adapter_id, sleep=sleep, clock=clock)
    return True
