"""The NIM Operator's custom resources through the Kubernetes API, with the official `kubernetes` client.

Configuration: in-cluster (the pod's ServiceAccount) when KUBERNETES_SERVICE_HOST is set, else the
kubeconfig (KUBECONFIG, default ~/.kube/config). Namespace: LLMOPS_NIM_NAMESPACE, else the pod's own, else
the kubeconfig context's, else `default`.

Calls: get (None when the object is absent), list, create and patch (JSON merge patch). Reads and patches
are retried on transient failures (connection errors, 408/425/429, 5xx). Creates are safe to repeat
because every name is fixed: a 409 means the object exists (another run, or our own create whose answer
was lost), and it is read back instead. Errors name what was refused and what to do: a 403 names the verb
the step's ServiceAccount lacks, a 404 on the resource type says the NIM Operator is not installed.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steps.errors import LlmopsError, NotFoundError, PlatformNotAvailableError, StepFailedError
from steps.nemo import settings
from steps.nemo.client import TRANSIENT_STATUS, backoff, call_idempotent, get_logger
from steps.nemo.nim_resources import GROUP, KINDS, VERSION

log = get_logger(__name__)
POD_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
CREATE_ATTEMPTS = 4
RBAC_HINT = (
    "install the llmops chart with nimOperator.enabled=true (charts/llmops/templates/rbac.yaml grants the "
    "step's ServiceAccount get, list, create and patch on nimservices and get, create and patch on nimcaches), "
    "or add the verb to the Role bound to the ServiceAccount"
)


def api_errors() -> tuple[type[BaseException], ...]:
    """What a Kubernetes API call can raise: the client's ApiException, urllib3's and the socket's errors."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    return (ApiException, urllib3.exceptions.HTTPError, OSError)


def status_of(exc: BaseException) -> int | None:
    code = getattr(exc, "status", None)
    return code if isinstance(code, int) else None


def _body(exc: BaseException) -> dict[str, Any]:
    try:
        body = json.loads(getattr(exc, "body", None) or "")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def message_of(exc: BaseException) -> str:
    """The API server's own message (its Status object), else the error's text, one line, secrets removed."""
    text = _body(exc).get("message") or getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    return settings.redact(text[:500] + ("..." if len(text) > 500 else ""))


def is_transient(exc: BaseException) -> bool:
    code = status_of(exc)
    if code is not None:
        return code in TRANSIENT_STATUS or code >= 500
    return isinstance(exc, api_errors())  # no HTTP answer: connection refused or reset, timeout


def _is_missing_type(exc: BaseException) -> bool:
    """404 because the API server does not know the resource type (no CRD), not because one object is absent."""
    return status_of(exc) == 404 and not (_body(exc).get("details") or {}).get("name")


class CustomResources:
    """get/list/create/patch of `apps.nvidia.com/v1alpha1` resources in one namespace."""

    def __init__(
        self,
        api: Any = None,
        namespace: str | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._api, self.host = api, ""
        self._namespace = namespace or settings.nim_namespace()
        self.timeout, self.sleep = timeout, sleep

    # -- configuration ---------------------------------------------------------------------------
    def api(self) -> Any:
        if self._api is None:
            self._api = self._load()
        return self._api

    def _load(self) -> Any:
        from kubernetes import client, config

        configuration = client.Configuration()
        in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST", "").strip())
        kubeconfig = os.environ.get("KUBECONFIG", "").strip() or "~/.kube/config"
        try:
            if in_cluster:
                config.load_incluster_config(client_configuration=configuration)
            else:
                config.load_kube_config(
                    config_file=kubeconfig, client_configuration=configuration, persist_config=False
                )
        except config.ConfigException as exc:
            where = "the in-cluster ServiceAccount" if in_cluster else f"the kubeconfig {kubeconfig}"
            raise PlatformNotAvailableError(
                f"the nim-operator deployer needs the Kubernetes API, but {where} cannot be loaded: {exc}; "
                "run the step in the cluster, or set KUBECONFIG to a kubeconfig for it"
            ) from None
        configuration.retries = False  # retried here, and only what is safe to repeat
        self.host = configuration.host
        if self._namespace is None:
            self._namespace = self._default_namespace(in_cluster, kubeconfig)
        return client.CustomObjectsApi(client.ApiClient(configuration))

    @staticmethod
    def _default_namespace(in_cluster: bool, kubeconfig: str) -> str:
        if in_cluster and POD_NAMESPACE_FILE.is_file():
            return POD_NAMESPACE_FILE.read_text().strip() or "default"
        if not in_cluster:
            from kubernetes import config

            _, active = config.list_kube_config_contexts(config_file=kubeconfig)
            return str(((active or {}).get("context") or {}).get("namespace") or "default")
        return "default"

    @property
    def namespace(self) -> str:
        self.api()
        return self._namespace or "default"

    # -- errors ----------------------------------------------------------------------------------
    def error(self, exc: BaseException, verb: str, plural: str, name: str = "") -> LlmopsError:
        """The project's exception for a failed call: what was refused, by whom, and what to do."""
        kind, namespace = KINDS.get(plural, plural), self._namespace or "?"
        what = f"{verb} {kind} {namespace}/{name}" if name else f"{verb} {kind} resources in namespace {namespace}"
        code, message = status_of(exc), message_of(exc)
        if code == 403:
            return PlatformNotAvailableError(
                f"{what}: the Kubernetes API refused it (HTTP 403: {message}); the step's ServiceAccount lacks the "
                f"{verb!r} verb on {plural}.{GROUP} in namespace {namespace}: {RBAC_HINT}"
            )
        if code == 401:
            return PlatformNotAvailableError(
                f"{what}: the Kubernetes API rejected the credentials (HTTP 401: {message}); "
                "check the ServiceAccount token or the kubeconfig's user"
            )
        if _is_missing_type(exc):
            return PlatformNotAvailableError(
                f"{what}: the API server does not know {plural}.{GROUP} (HTTP 404: {message}); install the NVIDIA "
                "NIM Operator (its CRDs) on this cluster, or use LLMOPS_DEPLOYER=nemo-deployment"
            )
        if code == 404:
            return NotFoundError(f"{what}: not found (HTTP 404: {message})")
        if code is None:
            return StepFailedError(
                f"{what}: cannot reach the Kubernetes API at {self.host or '?'} ({message}); "
                "check the cluster connection (in-cluster config or KUBECONFIG) and re-run the step"
            )
        hint = "; fix the resource or the settings behind it and re-run the step" if code in (400, 422) else ""
        return StepFailedError(f"{what}: the Kubernetes API answered HTTP {code}: {message}{hint}")

    def _call(self, verb: str, plural: str, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return call_idempotent(
                fn,
                *args,
                what=f"{verb} {plural}/{name}",
                sleep=self.sleep,
                transient=is_transient,
                _request_timeout=self.timeout,
                **kwargs,
            )
        except api_errors() as exc:
            raise self.error(exc, verb, plural, name) from None

    # -- calls -----------------------------------------------------------------------------------
    def get(self, plural: str, name: str) -> dict[str, Any] | None:
        api = self.api()
        try:
            return self._call(
                "get", plural, name, api.get_namespaced_custom_object, GROUP, VERSION, self.namespace, plural, name
            )
        except NotFoundError:
            return None

    def list(self, plural: str) -> list[dict[str, Any]]:
        api, token = self.api(), None
        items: list[dict[str, Any]] = []
        while True:
            page = self._call(
                "list",
                plural,
                "",
                api.list_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                plural,
                limit=100,
                _continue=token,
            )
            items += [i for i in page.get("items") or [] if isinstance(i, dict)]
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items

    def create(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        api, name = self.api(), body["metadata"]["name"]
        failure: BaseException | None = None
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                created = api.create_namespaced_custom_object(
                    GROUP, VERSION, self.namespace, plural, body, _request_timeout=self.timeout
                )
                log.info("created %s %s/%s", KINDS[plural], self.namespace, name)
                return created
            except api_errors() as exc:
                if status_of(exc) == 409:
                    found = self.get(plural, name)
                    if found is not None:
                        log.info("%s %s/%s already exists; using it", KINDS[plural], self.namespace, name)
                        return found
                elif attempt == CREATE_ATTEMPTS or not is_transient(exc):
                    raise self.error(exc, "create", plural, name) from None
                failure = exc
                log.warning("create %s/%s: %s; trying again", plural, name, message_of(exc))
                self.sleep(backoff(attempt, exc))
        assert failure is not None
        raise self.error(failure, "create", plural, name)

    def patch(self, plural: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        api = self.api()
        patched = self._call(
            "patch",
            plural,
            name,
            api.patch_namespaced_custom_object,
            GROUP,
            VERSION,
            self.namespace,
            plural,
            name,
            body,
        )
        log.info("updated %s %s/%s", KINDS[plural], self.namespace, name)
        return patched
