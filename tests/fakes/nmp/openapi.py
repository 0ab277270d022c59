"""The NeMo Platform's OpenAPI documents as a request/response checker for the schema-checked fake.

The documents are the ones beside the reference notes (`../shared/reference/nemo-platform/` next to the
repository: `cust-openapi.yaml`, the customization plugin; `nmp-openapi.yaml`, the core platform). They are
OpenAPI 3.1, so their schemas are JSON Schema 2020-12, validated with `jsonschema`; a leftover 3.0
`nullable: true` is read as "or null". `$ref`s resolve inside their own document.

Strictness: an object schema that lists `properties` and does not say `additionalProperties` itself is
treated as closed (`additionalProperties: false`), for request bodies AND for the fake's own answers: a
field the schema does not have fails the test. Objects the schema declares free-form
(`additionalProperties: true`, e.g. `custom_fields`, `status_details`) stay open.
A path or method the documents do not have is a violation too.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REFERENCE = Path(__file__).resolve().parents[3] / "../shared/reference/nemo-platform"
DOCUMENTS = ("cust-openapi.yaml", "nmp-openapi.yaml")


def available() -> bool:
    return all((REFERENCE / name).is_file() for name in DOCUMENTS)


def _strict(node: Any) -> Any:
    """Close every object schema that lists properties without deciding on extras; read `nullable`."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: (v if k in ("properties", "examples", "default", "enum", "const") else _strict(v)) for k, v in node.items()
    }
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _strict(v) for k, v in out["properties"].items()}
        out.setdefault("additionalProperties", False)
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass
class Operation:
    method: str
    template: str
    regex: re.Pattern
    spec: dict[str, Any]
    document: str


class OpenApi:
    """Operations of the documents, and validation of bodies against their schemas."""

    def __init__(self, folder: Path = REFERENCE) -> None:
        import jsonschema

        self._jsonschema = jsonschema
        self.roots: dict[str, dict[str, Any]] = {}
        self.operations: list[Operation] = []
        for name in DOCUMENTS:
            document = yaml.load((folder / name).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            self.roots[name] = {"components": _strict(copy.deepcopy(document.get("components", {})))}
            for template, item in document["paths"].items():
                pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
                for method, spec in item.items():
                    if method in ("get", "post", "put", "patch", "delete"):
                        self.operations.append(
                            Operation(method.upper(), template, re.compile(f"^{pattern}$"), spec, name)
                        )

    def operation(self, method: str, path: str) -> Operation | None:
        matches = [op for op in self.operations if op.method == method and op.regex.match(path)]
        # the most specific template (fewest parameters) wins: /jobs/{name}/status over /jobs/{job}/results/{name}
        return min(matches, key=lambda op: op.template.count("{"), default=None)

    @functools.cache  # noqa: B019 - one instance per test session
    def _validator(self, document: str, schema_json: str) -> Any:
        import json

        schema = dict(self.roots[document], **_strict(json.loads(schema_json)))
        cls = self._jsonschema.validators.validator_for(schema, default=self._jsonschema.Draft202012Validator)
        return cls(schema)

    def _errors(self, op: Operation, schema: dict[str, Any] | None, value: Any) -> list[str]:
        if schema is None:
            return []
        import json

        validator = self._validator(op.document, json.dumps(schema, sort_keys=True))
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
        ]

    def check_request(self, method: str, path: str, body: Any) -> list[str]:
        """What is wrong with a request: an unknown route, or a body that breaks the schema."""
        op = self.operation(method, path)
        if op is None:
            return [f"{method} {path}: no such operation in {', '.join(DOCUMENTS)}"]
        content = (op.spec.get("requestBody") or {}).get("content", {}).get("application/json")
        if content is None:
            return [] if body is None else [f"{method} {op.template}: the operation takes no JSON body"]
        if body is None:
            return [f"{method} {op.template}: a JSON body is required"]
        return [f"{method} {op.template} request {e}" for e in self._errors(op, content.get("schema"), body)]

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """What is wrong with a successful answer: a status the operation does not list, or a body that breaks
        the schema of that status. Error answers (4xx/5xx) are not checked."""
        op = self.operation(method, path)
        if op is None or status >= 400:
            return []
        response = op.spec.get("responses", {}).get(str(status))
        if response is None:
            return [f"{method} {op.template}: status {status} is not among {sorted(op.spec.get('responses', {}))}"]
        schema = (response.get("content") or {}).get("application/json", {}).get("schema")
        return [f"{method} {op.template} response {status} {e}" for e in self._errors(op, schema, body)]


@functools.lru_cache(maxsize=1)
def load() -> OpenApi:
    return OpenApi()
