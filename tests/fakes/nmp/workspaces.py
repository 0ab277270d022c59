"""Workspaces of the schema-checked NeMo Platform fake (`/apis/entities/v2/workspaces`): the backend creates
its workspace on a process's first write (steps.nmp.client.ready). `default` exists from the start."""

from __future__ import annotations

from typing import Any

from tests.fakes.nemo_state import ApiError

from .jobs import now

ROOT = "/apis/entities/v2/workspaces"


class Workspaces:
    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.add("default")

    def add(self, name: str) -> dict[str, Any]:
        stamp = now()
        self.workspaces[name] = {"id": f"ws-{name}", "name": name, "created_at": stamp, "updated_at": stamp}
        return self.workspaces[name]

    def routes(self, router: Any) -> None:
        router.add("POST", ROOT, self.create)
        router.add("GET", ROOT + "/(?P<name>[^/]+)", self.get)

    def create(self, req: Any, m: dict[str, str]) -> Any:
        body = req.json_object()
        if body["name"] in self.workspaces:
            raise ApiError(409, f"Workspace '{body['name']}' already exists")
        self.platform.created("workspace", body["name"], body)
        return 201, self.add(body["name"])

    def get(self, req: Any, m: dict[str, str]) -> dict[str, Any]:
        if m["name"] not in self.workspaces:
            raise ApiError(404, f"Workspace '{m['name']}' not found")
        return self.workspaces[m["name"]]
