"""Models, adapters, deployment configs and deployments of the schema-checked NeMo Platform fake
(`/apis/models/v2/workspaces/{ws}/...`).

A deployment goes CREATED -> PENDING -> READY, one step per read (READY emits `deployment_ready`, with its
`deployment_config`); the `deployment_fails` fault of the plan (tests/fakes/faults.py) attaches at creation
and turns it to ERROR with its `detail` instead of READY. PATCH merges the fields sent (as the Platform does);
a create of an existing name answers 409.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.faults import Fault
from tests.fakes.nemo_state import ApiError

from .jobs import now

WS = r"/apis/models/v2/workspaces/(?P<ws>[^/]+)"
NAME = r"(?P<name>[^/]+)"


def _entity(ws: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    stamp = now()
    return {**body, "workspace": ws, "created_at": stamp, "updated_at": stamp, **extra}


class Models:
    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self.models: dict[tuple[str, str], dict[str, Any]] = {}
        self.adapters: dict[tuple[str, str], dict[str, Any]] = {}
        self.configs: dict[tuple[str, str], dict[str, Any]] = {}
        self.deployments: dict[tuple[str, str], dict[str, Any]] = {}
        self.deployment_faults: dict[tuple[str, str], Fault] = {}

    def routes(self, router: Any) -> None:
        router.add("POST", WS + "/models", self.create_model)
        router.add("GET|PATCH", WS + f"/models/{NAME}", self.model)
        router.add("POST", WS + "/adapters", self.create_adapter)
        router.add("POST", WS + r"/models/(?P<model>[^/]+)/adapters", self.create_adapter)
        router.add("GET|PATCH", WS + f"/adapters/{NAME}", self.adapter)
        router.add("POST", WS + "/deployment-configs", self.create_config)
        router.add("GET", WS + f"/deployment-configs/{NAME}", self.config)
        router.add("POST", WS + "/deployments", self.create_deployment)
        router.add("GET", WS + f"/deployments/{NAME}", self.deployment)

    @staticmethod
    def _get(table: dict, key: tuple[str, str], what: str) -> dict[str, Any]:
        if key not in table:
            raise ApiError(404, f"{what} {key[0]}/{key[1]} not found")
        return table[key]

    def _add(self, table: dict, key: tuple[str, str], kind: str, obj: dict[str, Any], body: Any) -> tuple[int, dict]:
        if key in table:
            raise ApiError(409, f"{kind} {key[0]}/{key[1]} already exists")
        table[key] = obj
        self.platform.created(kind, f"{key[0]}/{key[1]}", body)
        return 201, obj

    # -- model entities -----------------------------------------------------------------------------

    def add_model(self, ws: str, name: str, **fields: Any) -> dict[str, Any]:
        """Seed a model entity (what the entity registry would have made)."""
        model = _entity(ws, {"name": name, **fields}, id=f"model-{ws}-{name}")
        self.models[(ws, name)] = model
        return model

    def create_model(self, req: Any, m: dict[str, str]) -> Any:
        body = req.json_object()
        model = _entity(m["ws"], body, id=f"model-{m['ws']}-{body['name']}")
        return self._add(self.models, (m["ws"], body["name"]), "model", model, body)

    def model(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        model = self._get(self.models, (m["ws"], m["name"]), "Model")
        if req.method == "PATCH":
            model.update(req.json_object(), updated_at=now())
        adapters = [a for (ws, _), a in self.adapters.items() if self._parent(a) == (m["ws"], m["name"])]
        return {**model, "adapters": adapters} if adapters else model

    @staticmethod
    def _parent(adapter: dict[str, Any]) -> tuple[str, str]:
        ws, _, name = str(adapter.get("model", "")).rpartition("/")
        return ws or adapter["workspace"], name

    # -- adapters -----------------------------------------------------------------------------------

    def create_adapter(self, req: Any, m: dict[str, str]) -> Any:
        body = req.json_object()
        model = body.get("model") or f"{m['ws']}/{m['model']}"
        adapter = _entity(m["ws"], {"enabled": True, **body, "model": model})
        return self._add(self.adapters, (m["ws"], body["name"]), "adapter", adapter, body)

    def adapter(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        adapter = self._get(self.adapters, (m["ws"], m["name"]), "Adapter")
        if req.method == "PATCH":
            adapter.update(req.json_object(), updated_at=now())
        return adapter

    # -- deployments --------------------------------------------------------------------------------

    def create_config(self, req: Any, m: dict[str, str]) -> Any:
        body = req.json_object()
        config = _entity(m["ws"], body, id=f"config-{m['ws']}-{body['name']}", entity_version=1)
        return self._add(self.configs, (m["ws"], body["name"]), "deployment_config", config, body)

    def config(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        return self._get(self.configs, (m["ws"], m["name"]), "Deployment config")

    def create_deployment(self, req: Any, m: dict[str, str]) -> Any:
        body = req.json_object()
        key = (m["ws"], body["name"])
        if key not in self.deployments:
            self._get(self.configs, (m["ws"], body["config"]), "Deployment config")  # the config must exist
        deployment = _entity(
            m["ws"],
            body,
            id=f"deployment-{m['ws']}-{body['name']}",
            entity_version=1,
            config_version=1,
            status="CREATED",
            status_message="",
            status_history=[],
        )
        created = self._add(self.deployments, key, "deployment", deployment, body)
        fault = self.platform.faults.take_lifecycle({"deployment_fails"}, req.method, req.path).get("deployment_fails")
        if fault is not None:
            self.deployment_faults[key] = fault
        return created

    def deployment(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        key = (m["ws"], m["name"])
        deployment = self._get(self.deployments, key, "Deployment")
        before = deployment["status"]
        after = {"CREATED": "PENDING", "PENDING": "READY"}.get(before, before)
        if after == "READY" and key in self.deployment_faults:
            after = "ERROR"
            deployment["status_message"] = str(self.deployment_faults[key].params.get("detail", "image pull failed"))
        if after != before:
            deployment["status"] = after
            deployment["status_history"].append(
                {"timestamp": now(), "status": after, "status_message": deployment["status_message"]}
            )
            if after == "READY":  # what serves it now; a test's listener routes the gateway to it
                config = self.configs.get((m["ws"], deployment["config"]))
                self.platform.emit("deployment_ready", {**deployment, "deployment_config": config})
        return deployment
