"""A stub Kubernetes API server for the NIM Operator's two resources, plus NIM's /v1/models, on 127.0.0.1.

Built on the scripted stub (tests/nemo/stub.py). It serves get, list, create and JSON-merge-patch of
`apps.nvidia.com/v1alpha1` NIMCaches and NIMServices, and answers like the real API server: bearer token
checked (401), resource types it does not know (404 without details), verbs outside the Role the chart
grants (403, the real message), 404 NotFound with details, 409 AlreadyExists, 422 Invalid. Every request
body (create and patch, and the object a patch produces) is checked against the NIM Operator's CRD schemas
from ../shared/schemas with unknown fields rejected, when that folder exists; violations are answered with
422 and collected in `problems` (the tests assert it stays empty).

Status: `script(plural, name, s1, s2, ...)` gives the object status s1 on the next GET, s2 on the one after,
and so on; the last one stays. NIM lists a base model once a NIMService running it is Ready, and every id
in `adapters`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.nemo.stub import Seen, Stub
from workflows.manifest_checks import metadata_errors, schema_errors, strict_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT.parent / "shared" / "schemas"
RBAC = ROOT / "charts" / "llmops" / "templates" / "rbac.yaml"
TOKEN = "stub-token"
SERVICE_ACCOUNT = "system:serviceaccount:llmops:llmops-workflow"
KINDS = {"nimcaches": "NIMCache", "nimservices": "NIMService"}
PATH = r"/apis/apps\.nvidia\.com/v1alpha1/namespaces/(?P<ns>[^/]+)/(?P<plural>[a-z]+)(?:/(?P<name>[^/]+))?"
VERBS = {"POST": "create", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}


def chart_nim_rules() -> set[tuple[str, str]]:
    """(verb, resource) pairs the chart's Role grants on apps.nvidia.com when nimOperator.enabled is true."""
    text = RBAC.read_text()
    block = re.search(r"\{\{-? if \.Values\.nimOperator\.enabled -?\}\}(.*?)\{\{-? end -?\}\}", text, re.S)
    assert block, "rbac.yaml has no `if .Values.nimOperator.enabled` block"
    rules = yaml.safe_load(block.group(1))
    return {
        (v, r)
        for rule in rules
        if "apps.nvidia.com" in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }


@functools.cache
def crd_schemas() -> dict[str, dict] | None:
    """Strict NIMCache/NIMService schemas, or None where ../shared/schemas is absent."""
    files = {kind: SCHEMA_DIR / f"apps.nvidia.com_v1alpha1_{kind}.json" for kind in KINDS.values()}
    if not all(path.is_file() for path in files.values()):
        return None
    return {kind: strict_schema(json.loads(path.read_text())) for kind, path in files.items()}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _status(code: int, reason: str, message: str, name: str = "", plural: str = "") -> tuple[int, dict]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if name:
        body["details"] = {"name": name, "group": "apps.nvidia.com", "kind": plural}
    return code, body


@dataclass
class KubeApi:
    stub: Stub
    schemas: dict[str, dict] | None = field(default_factory=crd_schemas)
    objects: dict[tuple[str, str], dict] = field(default_factory=dict)  # (plural, name) -> object
    scripts: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    allowed: set[tuple[str, str]] = field(default_factory=chart_nim_rules)
    known: set[str] = field(default_factory=lambda: set(KINDS))
    # (verb, plural, status[, applied]): answered once with that status; `applied`: after making the change
    faults: list[tuple] = field(default_factory=list)
    adapters: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (verb, plural) of every authorized call
    denied: list[tuple[str, str]] = field(default_factory=list)  # (verb, plural) answered 403

    def start(self) -> KubeApi:
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            self.stub.on(method, PATH, self._handle)
        self.stub.on(
            "GET",
            "/v1/models",
            lambda seen, match: (
                200,
                {"object": "list", "data": [{"id": m, "object": "model"} for m in self.served()]},
            ),
        )
        self.stub.start()
        return self

    @property
    def url(self) -> str:
        return self.stub.url

    def put(self, plural: str, obj: dict, status: dict | None = None) -> dict:
        """Store an object as if someone else had created it."""
        obj = copy.deepcopy(obj)
        obj.setdefault("metadata", {}).setdefault("generation", 1)
        if status is not None:
            obj["status"] = status
        self.objects[(plural, obj["metadata"]["name"])] = obj
        return obj

    def script(self, plural: str, name: str, *statuses: dict) -> None:
        self.scripts[(plural, name)] = list(statuses)

    def served(self) -> list[str]:
        models = []
        for (plural, _), obj in self.objects.items():
            if plural == "nimservices" and (obj.get("status") or {}).get("state") == "Ready":
                repository = obj["spec"]["image"]["repository"]
                models.append(repository.removeprefix("nvcr.io/nim/"))
        return models + self.adapters

    def seen(self, verb: str, plural: str) -> list[tuple[str, str]]:
        return [c for c in self.calls if c == (verb, plural)]

    # -- the API server ---------------------------------------------------------------------------
    def _handle(self, seen: Seen, match: re.Match) -> tuple[int, Any]:
        ns, plural, name = match["ns"], match["plural"], match["name"] or ""
        verb = VERBS.get(seen.method) or ("get" if name else "list")
        if seen.headers.get("authorization") != f"Bearer {TOKEN}":
            return _status(401, "Unauthorized", "Unauthorized")
        if plural not in self.known:
            return 404, b"404 page not found"
        if (verb, plural) not in self.allowed:
            self.denied.append((verb, plural))
            subject = f'{plural}.apps.nvidia.com "{name}"' if name else f"{plural}.apps.nvidia.com"
            return _status(
                403,
                "Forbidden",
                f'{subject} is forbidden: User "{SERVICE_ACCOUNT}" cannot {verb} resource '
                f'"{plural}" in API group "apps.nvidia.com" in the namespace "{ns}"',
            )
        fault = next((f for f in self.faults if f[:2] == (verb, plural)), None)
        if fault is not None:
            self.faults.remove(fault)
            if not fault[3:] or not fault[3]:
                return _status(fault[2], "InternalError", f"injected failure ({fault[2]})")
        self.calls.append((verb, plural))
        answer = self._serve(verb, ns, plural, name, seen)
        if fault is not None:  # applied, but the answer is lost
            return _status(fault[2], "InternalError", f"injected failure after the change ({fault[2]})")
        return answer

    def _serve(self, verb: str, ns: str, plural: str, name: str, seen: Seen) -> tuple[int, Any]:
        if verb == "list":
            items = [copy.deepcopy(o) for (p, _), o in self.objects.items() if p == plural]
            return 200, {
                "apiVersion": "apps.nvidia.com/v1alpha1",
                "kind": f"{KINDS[plural]}List",
                "metadata": {"resourceVersion": "1"},
                "items": items,
            }
        if verb == "create":
            return self._create(ns, plural, seen)
        obj = self.objects.get((plural, name))
        if obj is None:
            return _status(404, "NotFound", f'{plural}.apps.nvidia.com "{name}" not found', name, plural)
        if verb == "get":
            script = self.scripts.get((plural, name))
            if script:
                obj["status"] = script.pop(0) if len(script) > 1 else script[0]
            return 200, copy.deepcopy(obj)
        return self._patch(plural, obj, seen)

    def _invalid(self, doc: dict, plural: str, name: str) -> list[str]:
        problems = [] if doc.get("kind") == KINDS[plural] else [f"kind {doc.get('kind')!r} sent to {plural}"]
        problems += metadata_errors(doc)
        if self.schemas is not None:
            problems += schema_errors(doc, self.schemas[KINDS[plural]])
        self.problems += problems
        return problems

    def _create(self, ns: str, plural: str, seen: Seen) -> tuple[int, Any]:
        body = seen.json if isinstance(seen.json, dict) else {}
        name = (body.get("metadata") or {}).get("name", "")
        if (body.get("metadata") or {}).get("namespace", ns) != ns:
            self.problems.append(f"create {plural}/{name}: metadata.namespace differs from the path's")
        if problems := self._invalid(body, plural, name):
            return _status(422, "Invalid", f"{KINDS[plural]} {name!r} is invalid: {'; '.join(problems)}", name, plural)
        if (plural, name) in self.objects:
            return _status(409, "AlreadyExists", f'{plural}.apps.nvidia.com "{name}" already exists', name, plural)
        obj = self.put(plural, body)
        obj["metadata"].update(uid=f"uid-{len(self.objects)}", resourceVersion="1", namespace=ns)
        return 201, copy.deepcopy(obj)

    def _patch(self, plural: str, obj: dict, seen: Seen) -> tuple[int, Any]:
        name = obj["metadata"]["name"]
        if seen.headers.get("content-type") != "application/merge-patch+json":
            self.problems.append(f"patch {plural}/{name}: content type {seen.headers.get('content-type')!r}")
            return _status(415, "UnsupportedMediaType", "use application/merge-patch+json")
        patch = seen.json if isinstance(seen.json, dict) else {}
        merged = merge_patch(obj, patch)
        problems = self._invalid(merge_patch({"kind": KINDS[plural], "metadata": {"name": name}}, patch), plural, name)
        problems += self._invalid(merged, plural, name)
        if problems:
            return _status(422, "Invalid", f"{KINDS[plural]} {name!r} is invalid: {'; '.join(problems)}", name, plural)
        if merged.get("spec") != obj.get("spec"):
            merged["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
        self.objects[(plural, name)] = merged
        return 200, copy.deepcopy(merged)
