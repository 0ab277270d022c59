"""In-memory state of the fake NeMo platform, its virtual clock, and the list/filter helpers.

Time: the fake runs on a *nominal* clock (seconds as the real platform would take them).
`nominal = real_elapsed / time_scale + advanced`, so with `time_scale=0.01` a nominal 60 s
training run takes 0.6 s; `time_scale=0` freezes time except for `advance()`. Timestamps shown to
clients are on the nominal timeline (start wall time + nominal seconds), so durations computed
from them look like the real platform's.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

# Nominal durations (seconds). Real-world references: customization ~20 min, DMS ~10 min,
# NIM_PEFT_REFRESH_INTERVAL 180 s; shortened so a time_scale of 0.01 keeps tests fast.
DEFAULT_DELAYS = {
    "customization.created": 1.0,  # created -> pending
    "customization.pending": 2.0,  # pending -> running
    "customization.running": 60.0,  # training run
    "customization.cancel": 2.0,  # cancelling -> cancelled
    "model_sync": 30.0,  # entity upload_completed -> adapter listed by NIM
    "evaluation.created": 1.0,
    "evaluation.pending": 2.0,
    "evaluation.running": 30.0,
    "evaluation.cancel": 1.0,
    "deployment.pending": 60.0,  # pending -> ready
}


class ApiError(Exception):
    """Turned into an HTTP error response by the dispatcher."""

    def __init__(self, status: int, detail, headers: dict | None = None, body: dict | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.body = body if body is not None else {"detail": detail}


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what} not found")


def conflict(what: str) -> ApiError:
    return ApiError(409, f"{what} already exists")


def unprocessable(errors: list[tuple[tuple, str, str]]) -> ApiError:
    """FastAPI-style 422: errors are (loc, msg, type)."""
    detail = [{"loc": list(loc), "msg": msg, "type": typ} for loc, msg, typ in errors]
    return ApiError(422, detail)


class Clock:
    def __init__(self, time_scale: float) -> None:
        if time_scale < 0:
            raise ValueError("time_scale must be >= 0")
        self.scale = time_scale
        self._t0 = time.monotonic()
        self._wall0 = time.time()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        real = time.monotonic() - self._t0
        with self._lock:
            return (real / self.scale if self.scale > 0 else 0.0) + self._offset

    def advance(self, nominal_seconds: float) -> None:
        with self._lock:
            self._offset += nominal_seconds

    def to_nominal(self, real_seconds: float) -> float:
        return real_seconds / self.scale if self.scale > 0 else real_seconds

    def iso(self, t: float) -> str:
        return datetime.fromtimestamp(self._wall0 + t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Creation:
    kind: str
    key: str
    body: dict | None
    t: float


@dataclass
class HfCommit:
    oid: str
    parent: str | None
    message: str
    files: dict[str, bytes]
    created_at: str


@dataclass
class HfRepo:
    repo_type: str  # "dataset" | "model"
    repo_id: str
    created_at: str
    commits: dict[str, HfCommit] = field(default_factory=dict)
    branches: dict[str, str | None] = field(default_factory=lambda: {"main": None})

    def resolve(self, revision: str) -> HfCommit | None:
        """Commit for a branch name or a full commit id; None for an empty branch."""
        if revision in self.branches:
            oid = self.branches[revision]
            return self.commits[oid] if oid else None
        return self.commits.get(revision)

    def has_revision(self, revision: str) -> bool:
        return revision in self.branches or revision in self.commits

    def files(self, revision: str = "main") -> dict[str, bytes]:
        commit = self.resolve(revision)
        return dict(commit.files) if commit else {}


class State:
    """Everything the fake platform holds. Access under `lock`; keys are (namespace, name)."""

    def __init__(self, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self.creations: list[Creation] = []
        # Data Store
        self.ds_namespaces: dict[str, dict] = {}
        self.hf_repos: dict[tuple[str, str], HfRepo] = {}  # (repo_type, repo_id)
        # Entity Store
        self.namespaces: dict[str, dict] = {}
        self.projects: dict[tuple[str, str], dict] = {}
        self.datasets: dict[tuple[str, str], dict] = {}
        self.models: dict[tuple[str, str], dict] = {}
        self.model_meta: dict[tuple[str, str], dict] = {}  # ready_t, sync_delay (NIM visibility)
        # Customizer / Evaluator / DMS / Guardrails
        self.customization_configs: dict[tuple[str, str], dict] = {}
        self.customization_targets: dict[tuple[str, str], dict] = {}
        self.customization_jobs: dict[str, object] = {}  # id -> CustomizationJob (customizer module)
        self.evaluation_configs: dict[tuple[str, str], dict] = {}
        self.evaluation_targets: dict[tuple[str, str], dict] = {}
        self.evaluation_jobs: dict[str, object] = {}
        self.deployments: dict[tuple[str, str], object] = {}
        self.deployment_configs: dict[tuple[str, str], dict] = {}
        self.guardrail_configs: dict[tuple[str, str], dict] = {}
        self.nim_static_models: list[str] = []

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-" + "".join(self._rng.choice(_B58) for _ in range(22))

    def record_creation(self, kind: str, key: str, body: dict | None, t: float) -> None:
        self.creations.append(Creation(kind, key, body, t))


# ----------------------------------------------------------------------------- listing helpers


def parse_filters(query: dict[str, str], prefix: str = "filter") -> dict:
    """`filter[a]=1&filter[b][c]=2` -> {"a": "1", "b": {"c": "2"}} (Stainless bracket encoding)."""
    out: dict = {}
    for key, value in query.items():
        if not key.startswith(prefix + "["):
            continue
        parts = key[len(prefix) :].strip("[]").split("][")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value
    return out


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def matches_filters(obj: dict, filters: dict, resolvers: dict | None = None) -> bool:
    """Every filter must equal the object's field (string compare); nested dicts recurse."""
    resolvers = resolvers or {}
    for key, want in filters.items():
        have = resolvers[key](obj) if key in resolvers else obj.get(key)
        if isinstance(want, dict):
            if not isinstance(have, dict) or not matches_filters(have, want):
                return False
        elif isinstance(have, list):
            if want not in [_as_text(v) for v in have]:
                return False
        elif _as_text(have) != want:
            return False
    return True


def list_response(
    items: list[dict], query: dict[str, str], default_sort: str = "created_at", default_page_size: int = 10
) -> dict:
    """The v1 list envelope with page/page_size/sort. Pages past the end are empty, not errors."""
    errors = []
    page = page_size = 0
    try:
        page = int(query.get("page", 1))
        if page < 1:
            raise ValueError
    except ValueError:
        errors.append((("query", "page"), "Input should be greater than or equal to 1", "greater_than_equal"))
    try:
        page_size = int(query.get("page_size", default_page_size))
        if not 1 <= page_size <= 1000:
            raise ValueError
    except ValueError:
        errors.append((("query", "page_size"), "Input should be between 1 and 1000", "less_than_equal"))
    if errors:
        raise unprocessable(errors)
    sort = query.get("sort", default_sort)
    field_name = sort.lstrip("-")
    if field_name not in ("created_at", "updated_at", "name", "id"):
        raise unprocessable([(("query", "sort"), f"Unsupported sort field {sort!r}", "enum")])
    ordered = sorted(items, key=lambda o: _as_text(o.get(field_name)))  # ties keep creation order
    if sort.startswith("-"):
        ordered.reverse()
    total = len(ordered)
    chunk = ordered[(page - 1) * page_size : page * page_size]
    return {
        "object": "list",
        "data": chunk,
        "sort": sort,
        "pagination": {
            "page": page,
            "page_size": page_size,
            "current_page_size": len(chunk),
            "total_pages": (total + page_size - 1) // page_size,
            "total_results": total,
        },
    }


def split_ref(ref: str, default_namespace: str = "default") -> tuple[str, str]:
    """'ns/name' -> (ns, name); a bare name goes to the default namespace."""
    if "/" in ref:
        ns, name = ref.split("/", 1)
        return ns, name
    return default_namespace, ref


def entity_common(state: State, clock: Clock, body: dict, *, id_prefix: str | None = None) -> dict:
    now = clock.iso(clock.now())
    out = dict(body)
    if id_prefix:
        out["id"] = state.new_id(id_prefix)
    out.setdefault("description", None)
    out.setdefault("project", None)
    out.setdefault("custom_fields", {})
    out.setdefault("ownership", None)
    out["created_at"] = now
    out["updated_at"] = now
    out.setdefault("schema_version", "1.0")
    return out
