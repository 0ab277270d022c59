"""The NIM Operator's resources for one base model, as plain dicts: what to send, and how to read them back.

Pure functions, no I/O. `NimTarget` holds every choice (names, image, GPUs, storage, secrets by name,
PEFT source); `cache_body` and `service_body` turn it into an `apps.nvidia.com/v1alpha1` NIMCache and
NIMService; `spec_differences`, `readiness` and `serves_model` read what the API server returns.

LoRA: the NIMCache asks for a LoRA-capable profile (`source.ngc.model.lora`), and the NIMService points
NIM at the Entity Store (`NIM_PEFT_SOURCE`), which NIM polls every NIM_PEFT_REFRESH_INTERVAL seconds for the
adapters of its base model, so a new adapter needs no change to either resource.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel

GROUP, VERSION = "apps.nvidia.com", "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
NIM_CACHES, NIM_SERVICES = "nimcaches", "nimservices"
KINDS = {NIM_CACHES: "NIMCache", NIM_SERVICES: "NIMService"}
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "llmops"
BASE_MODEL_ANNOTATION = "llmops/base-model"
NIM_IMAGES = "nvcr.io/nim"
PORT = 8000
PEFT_REFRESH_SECONDS = 60
READY, FAILED = "Ready", "Failed"


class NimTarget(BaseModel):
    """Everything that decides the two resources of one base model."""

    base_model: str  # e.g. meta/llama-3.2-1b-instruct (also the model id NIM serves)
    namespace: str
    image_tag: str
    gpu: int
    pvc_size: str
    storage_class: str | None
    pull_secret: str  # image pull Secret (nvcr.io)
    auth_secret: str  # Secret holding NGC_API_KEY, for the model download
    peft_source: str  # the Entity Store URL NIM loads LoRA adapters from

    @property
    def image_repository(self) -> str:
        return f"{NIM_IMAGES}/{self.base_model}"

    @property
    def service_name(self) -> str:
        return service_name(self.base_model)

    @property
    def cache_name(self) -> str:
        """Named after the image tag too: the operator refuses to change a NIMCache's model puller."""
        return dns_label(f"{self.service_name}-{self.image_tag}")


def dns_label(text: str) -> str:
    """A DNS-1035 label (Service names): lowercase alphanumerics and '-', a letter first, at most 63 characters."""
    label = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"
    if not label[0].isalpha():
        label = f"m-{label}"
    if len(label) > 63:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        label = f"{label[:54].rstrip('-')}-{digest}"
    return label


def service_name(base_model: str) -> str:
    """The NIMService of a base model: `meta/llama-3.2-1b-instruct` -> `meta-llama-3-2-1b-instruct`."""
    namespace, _, name = base_model.rpartition("/")
    return dns_label(f"{namespace}-{name}" if namespace else name)


def _metadata(target: NimTarget, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": target.namespace,
        "labels": {MANAGED_BY: MANAGER, "app.kubernetes.io/part-of": "llmops"},
        "annotations": {BASE_MODEL_ANNOTATION: target.base_model},
    }


def cache_body(target: NimTarget) -> dict[str, Any]:
    """The NIMCache: the NIM's LoRA-capable model profile, downloaded from NGC into a new PVC."""
    pvc: dict[str, Any] = {"create": True, "size": target.pvc_size, "volumeAccessMode": "ReadWriteOnce"}
    if target.storage_class:
        pvc["storageClass"] = target.storage_class
    return {
        "apiVersion": API_VERSION,
        "kind": "NIMCache",
        "metadata": _metadata(target, target.cache_name),
        "spec": {
            "source": {
                "ngc": {
                    "modelPuller": f"{target.image_repository}:{target.image_tag}",
                    "pullSecret": target.pull_secret,
                    "authSecret": target.auth_secret,
                    "model": {"lora": True, "tensorParallelism": str(target.gpu)},
                }
            },
            "storage": {"pvc": pvc},
        },
    }


def service_body(target: NimTarget) -> dict[str, Any]:
    """The NIMService: the NIM on the cache, LoRA adapters from the Entity Store, a ClusterIP Service."""
    env = {
        "NIM_PEFT_SOURCE": target.peft_source,
        "NIM_PEFT_REFRESH_INTERVAL": str(PEFT_REFRESH_SECONDS),
        "NIM_GUIDED_DECODING_BACKEND": "fast_outlines",  # as the NeMo deployment service sets it
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "NIMService",
        "metadata": _metadata(target, target.service_name),
        "spec": {
            "image": {
                "repository": target.image_repository,
                "tag": target.image_tag,
                "pullPolicy": "IfNotPresent",
                "pullSecrets": [target.pull_secret],
            },
            "authSecret": target.auth_secret,
            "storage": {"nimCache": {"name": target.cache_name}},
            "replicas": 1,
            "resources": {"limits": {"nvidia.com/gpu": target.gpu}},
            "expose": {"service": {"type": "ClusterIP", "port": PORT}},
            "env": [{"name": name, "value": value} for name, value in env.items()],
        },
    }


def patch_body(desired: dict[str, Any]) -> dict[str, Any]:
    """A JSON merge patch that brings a resource to `desired`: its labels, annotations and whole spec."""
    meta = desired["metadata"]
    return {"metadata": {"labels": meta["labels"], "annotations": meta["annotations"]}, "spec": desired["spec"]}


def spec_differences(desired: Any, actual: Any, path: str = "spec") -> list[str]:
    """Where `actual` does not contain `desired` (fields the server added, like defaults, are not differences)."""
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return [path]
        return [d for key, value in desired.items() for d in spec_differences(value, actual.get(key), f"{path}.{key}")]
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(actual) != len(desired):
            return [path]
        pairs = enumerate(zip(desired, actual, strict=True))
        return [d for i, (want, have) in pairs for d in spec_differences(want, have, f"{path}[{i}]")]
    return [] if desired == actual else [path]


def is_managed(resource: dict[str, Any]) -> bool:
    """Created by llmops (so llmops may update it); anything else is used as it is and never changed."""
    return ((resource.get("metadata") or {}).get("labels") or {}).get(MANAGED_BY) == MANAGER


def serves_model(service: dict[str, Any], base_model: str) -> bool:
    """A NIMService for `base_model`: annotated with it, or running its NIM image."""
    annotations = (service.get("metadata") or {}).get("annotations") or {}
    image = ((service.get("spec") or {}).get("image") or {}).get("repository")
    return annotations.get(BASE_MODEL_ANNOTATION) == base_model or image == f"{NIM_IMAGES}/{base_model}"


def env_value(service: dict[str, Any], name: str) -> str | None:
    for item in (service.get("spec") or {}).get("env") or []:
        if isinstance(item, dict) and item.get("name") == name:
            return str(item.get("value") or "") or None
    return None


class Readiness(BaseModel):
    state: str  # the operator's status.state (Pending, NotReady, InProgress, Ready, Failed...)
    ready: bool
    failed: bool
    message: str  # the operator's last condition, as `type=status (reason): message`

    @property
    def progress(self) -> str:
        """Changes whenever the operator reports something new (the stall timer restarts then)."""
        return f"state {self.state}, last condition {self.message}"


def _current(condition: dict[str, Any], generation: Any) -> bool:
    """False when the condition was written for an older spec (before our patch took effect)."""
    observed = condition.get("observedGeneration")
    return not (isinstance(observed, int) and isinstance(generation, int) and observed < generation)


def _describe(condition: dict[str, Any]) -> str:
    reason = f" ({condition['reason']})" if condition.get("reason") else ""
    head = f"{condition.get('type', '?')}={condition.get('status', '?')}{reason}"
    return f"{head}: {condition.get('message') or 'no message'}"


def readiness(resource: dict[str, Any]) -> Readiness:
    """Ready / failed / neither, from status.state and the conditions (a NIMService reports a `Ready`
    condition; a NIMCache reports its caching job's conditions and state `Ready` once the model is cached)."""
    status = resource.get("status") or {}
    generation = (resource.get("metadata") or {}).get("generation")
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict) and _current(c, generation)]
    state = str(status.get("state") or "Pending")
    by_type = {c.get("type"): c for c in conditions}
    ready_condition = by_type.get(READY)
    failed_condition = by_type.get(FAILED)
    stale = len(conditions) < len(status.get("conditions") or [])
    ready = ready_condition.get("status") == "True" if ready_condition is not None else state == READY and not stale
    failed = not ready and (
        (failed_condition is not None and failed_condition.get("status") == "True") or (state == FAILED and not stale)
    )
    latest = sorted(conditions, key=lambda c: str(c.get("lastTransitionTime") or ""))
    shown = failed_condition if failed and failed_condition else (latest[-1] if latest else None)
    message = _describe(shown) if shown else "the operator has reported no condition yet"
    return Readiness(state=state, ready=ready, failed=failed, message=message)
