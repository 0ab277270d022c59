"""The deployer port on clusters that run NVIDIA's NIM Operator (LLMOPS_DEPLOYER=nim-operator).

`ensure_base` finds the NIMService of the base model (by its name, else any NIMService in the namespace
that runs the model's NIM) or creates it, with the NIMCache it mounts; waits for the cache, then the
service, to be Ready (a stall timeout that restarts whenever the operator reports something new; a
failure or a stall raises with the operator's last condition message); then waits until NIM lists the
model. Resources llmops created (label app.kubernetes.io/managed-by=llmops) are patched when their spec
differs from what llmops would create now; anything else is used as it is and never changed, and
nothing is ever deleted. Adapters need no resource: the NIMService's NIM_PEFT_SOURCE points NIM at the
Entity Store, so `serve_adapter` checks the adapter's entity and waits for NIM to list it.

Kubernetes calls go through `steps.nemo.kube`; the resource bodies come from `steps.nemo.nim_resources`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from steps.contracts import Deployment, EntityRegistry
from steps.errors import NotFoundError, StepFailedError
from steps.nemo import settings
from steps.nemo.adapters import serve_from_entity_store
from steps.nemo.client import get_logger
from steps.nemo.deployer import slug
from steps.nemo.entity_store import EntityStore
from steps.nemo.inference import wait_for_model
from steps.nemo.kube import CustomResources
from steps.nemo.nim_resources import (
    GROUP,
    KINDS,
    NIM_CACHES,
    NIM_SERVICES,
    VERSION,
    NimTarget,
    cache_body,
    env_value,
    is_managed,
    patch_body,
    readiness,
    serves_model,
    service_body,
    service_name,
    spec_differences,
)
from steps.nemo.polling import Watch

log = get_logger(__name__)


class NimOperatorDeployer:
    def __init__(
        self,
        resources: CustomResources | None = None,
        entity_store: EntityRegistry | None = None,
        timing: settings.Timing | None = None,
        cache_timing: settings.Timing | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resources = resources or CustomResources(sleep=sleep)
        self._entity_store = entity_store
        self.timing = timing or settings.DEPLOYMENT
        self.cache_timing = cache_timing or settings.NIM_CACHE
        self.sleep, self.clock = sleep, clock

    @property
    def entity_store(self) -> EntityRegistry:
        if self._entity_store is None:
            self._entity_store = EntityStore()
        return self._entity_store

    def target(self, base_model: str) -> NimTarget:
        """What llmops would create for `base_model`, from the environment (settings.py)."""
        return NimTarget(
            base_model=base_model,
            namespace=self.resources.namespace,
            image_tag=settings.nim_image_tag(),
            gpu=settings.nim_gpu(),
            pvc_size=settings.nim_pvc_size(),
            storage_class=settings.nim_storage_class(),
            pull_secret=settings.nim_pull_secret(),
            auth_secret=settings.nim_auth_secret(),
            peft_source=settings.nim_peft_source(),
        )

    # -- finding and applying --------------------------------------------------------------------
    def find_service(self, base_model: str, name: str) -> dict[str, Any] | None:
        """The NIMService of `base_model`: the one named `name`, else any in the namespace that serves the model."""
        found = self.resources.get(NIM_SERVICES, name)
        if found is not None:
            return found
        return next((s for s in self.resources.list(NIM_SERVICES) if serves_model(s, base_model)), None)

    def _apply(self, plural: str, desired: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        """Create `desired`, or bring the existing resource to it when llmops owns it and its spec differs."""
        if existing is None:
            return self.resources.create(plural, desired)
        name, kind = existing["metadata"]["name"], KINDS[plural]
        differences = spec_differences(desired["spec"], existing.get("spec") or {})
        if not differences:
            return existing
        if not is_managed(existing):
            log.warning(
                "%s %s was not created by llmops and differs from what llmops would create (%s); used as it is",
                kind,
                name,
                ", ".join(differences),
            )
            return existing
        log.info("%s %s differs from what llmops would create (%s); updating it", kind, name, ", ".join(differences))
        return self.resources.patch(plural, name, patch_body(desired))

    def _wait_ready(self, plural: str, resource: dict[str, Any], timing: settings.Timing) -> dict[str, Any]:
        namespace, name = self.resources.namespace, resource["metadata"]["name"]
        what = f"{KINDS[plural]} {namespace}/{name}"
        describe = f"kubectl -n {namespace} describe {plural[:-1]} {name}"
        watch = Watch(timing, what, clock=self.clock)
        while True:
            state = readiness(resource)
            if state.ready:
                return resource
            if state.failed:
                raise StepFailedError(
                    settings.redact(
                        f"{what} failed (state {state.state}): {state.message}; fix the cause ({describe} shows the "
                        "operator's events) and re-run the step"
                    )
                )
            watch.advance(state.progress)
            watch.check(hint=f"the NIM Operator has not made it Ready; {describe} shows why")
            self.sleep(watch.poll)
            found = self.resources.get(plural, name)
            if found is None:
                raise StepFailedError(f"{what} disappeared while llmops waited for it to be Ready; re-run the step")
            resource = found

    # -- the deployer port -----------------------------------------------------------------------
    def ensure_base(self, base_model: str) -> Deployment:
        """The NIMService serving `base_model`, Ready and listing it on NIM_URL."""
        endpoint = settings.nim_url()  # what the inference port calls: fail now, not after the wait
        target = self.target(base_model)
        service = self.find_service(base_model, target.service_name)
        if service is not None and not is_managed(service):
            log.info(
                "NIMService %s serves %s and was not created by llmops: used as it is",
                service["metadata"]["name"],
                base_model,
            )
            if env_value(service, "NIM_PEFT_SOURCE") is None:
                log.warning(
                    "NIMService %s has no NIM_PEFT_SOURCE: it will not load LoRA adapters", service["metadata"]["name"]
                )
        else:
            desired = cache_body(target)
            cache = self._apply(NIM_CACHES, desired, self.resources.get(NIM_CACHES, target.cache_name))
            service = self._apply(NIM_SERVICES, service_body(target), service)
            self._wait_ready(NIM_CACHES, cache, self.cache_timing)
        service = self._wait_ready(NIM_SERVICES, service, self.timing)
        wait_for_model(base_model, sleep=self.sleep, clock=self.clock)
        name = service["metadata"]["name"]
        tag = str(((service.get("spec") or {}).get("image") or {}).get("tag") or "")
        cluster_endpoint = ((service.get("status") or {}).get("model") or {}).get("clusterEndpoint")
        if cluster_endpoint:
            log.info(
                "NIMService %s answers in the cluster at %s; the steps call NIM_URL=%s",
                name,
                cluster_endpoint,
                endpoint,
            )
        namespace = self.resources.namespace
        return Deployment(
            model_id=base_model,
            model_key=f"{slug(base_model)}.{slug(f'{namespace}-{name}-{tag}')}",
            endpoint=endpoint,
            path=f"{self.resources.host}/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{NIM_SERVICES}/{name}",
        )

    def _require_peft(self, base_model: str) -> None:
        """The NIMService of `base_model` exists and loads adapters from the Entity Store."""
        service = self.find_service(base_model, service_name(base_model))
        if service is None:
            raise NotFoundError(
                f"no NIMService serves {base_model} in namespace {self.resources.namespace}; run deploy-base first"
            )
        if env_value(service, "NIM_PEFT_SOURCE") is None:
            raise StepFailedError(
                f"NIMService {service['metadata']['name']} has no NIM_PEFT_SOURCE, so NIM cannot load LoRA adapters "
                "from the Entity Store; add the env NIM_PEFT_SOURCE=<Entity Store URL> to its spec and re-run"
            )

    def serve_adapter(self, base_model: str, adapter_id: str) -> bool:
        """Make sure NIM serves the adapter; False if it already did."""
        return serve_from_entity_store(
            self.entity_store,
            base_model,
            adapter_id,
            sleep=self.sleep,
            clock=self.clock,
            before_wait=lambda: self._require_peft(base_model),
        )

    def release_adapter(self, base_model: str, adapter_id: str) -> bool:
        """NIM serves every adapter under its own name and keeps no release pointer (the registry alias is the
        release): releasing makes sure NIM serves the adapter; True if it had to be loaded."""
        return self.serve_adapter(base_model, adapter_id)

    def released_adapter(self, base_model: str) -> str | None:
        """None: NIM records no release (the registry's `champion` alias names it)."""
        return None
