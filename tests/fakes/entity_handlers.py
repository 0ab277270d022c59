"""Entity Store (nemo-api.md §2: namespaces, projects, datasets, models) and the generic
`namespace/name` CRUD that the Customizer, Evaluator, DMS and Guardrails config stores reuse.

create: 200 with the stored entity; 409 `{"detail": "... already exists"}` on a duplicate;
422 FastAPI-style `{"detail": [{"loc", "msg", "type"}]}` on a missing required field.
get/patch/delete: 404 when missing. list: the v1 envelope with `page`, `page_size`, `sort`,
`filter[...]` (bracket-nested, string equality; nested dicts such as `filter[custom_fields][k]`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.nemo_state import ApiError, entity_common, list_response, matches_filters, parse_filters, unprocessable

IMMUTABLE = ("id", "name", "namespace", "created_at", "type_prefix")


@dataclass
class Collection:
    kind: str  # creation kind, e.g. "dataset"
    label: str  # for messages, e.g. "Dataset"
    store: str  # attribute of State
    path: str  # e.g. "/v1/datasets"
    required: tuple[str, ...] = ("name", "namespace")
    id_prefix: str | None = None
    keyed_by_id: bool = False  # namespaces: key is the "id" field, path /v1/namespaces/{id}
    defaults: dict = field(default_factory=dict)
    validate: Callable | None = None  # (ctx, req, body) -> list of 422 errors
    on_create: Callable | None = None  # (ctx, req, obj) -> None, after all checks
    on_delete: Callable | None = None  # (ctx, key) -> None
    list_filter: Callable | None = None  # (ctx, obj, filters) -> bool, replaces default matching
    view: Callable | None = None  # (ctx, obj) -> dict shown to clients
    default_page_size: int = 10


def _missing(body: dict, required) -> list:
    return [(("body", f), "Field required", "missing") for f in required if body.get(f) in (None, "")]


def register_crud(router, ctx, c: Collection) -> None:
    def store():
        return getattr(ctx.state, c.store)

    view = (lambda obj: c.view(ctx, obj)) if c.view else (lambda obj: obj)
    key_of = (lambda obj: obj["id"]) if c.keyed_by_id else (lambda obj: (obj["namespace"], obj["name"]))
    item = r"/(?P<name>[^/]+)" if c.keyed_by_id else r"/(?P<ns>[^/]+)/(?P<name>[^/]+)"

    def path_key(m):
        return m["name"] if c.keyed_by_id else (m["ns"], m["name"])

    def label(key) -> str:
        return key if isinstance(key, str) else f"{key[0]}/{key[1]}"

    def create(req, m):
        body = dict(c.defaults, **req.json_object())
        errors = _missing(body, c.required)
        for f in ("name", "namespace", "id"):
            if f in body and body[f] is not None and (not isinstance(body[f], str) or "/" in body[f]):
                errors.append((("body", f), "must be a string without '/'", "string_pattern_mismatch"))
        if not errors and c.validate:
            errors = c.validate(ctx, req, body)
        if errors:
            raise unprocessable(errors)
        key = key_of(body)
        if key in store():
            raise ApiError(409, f"{c.label} {label(key)} already exists")
        obj = entity_common(ctx.state, ctx.clock, body, id_prefix=c.id_prefix)
        if c.on_create:
            c.on_create(ctx, req, obj)
        store()[key] = obj
        ctx.created(c.kind, label(key), obj)
        return view(obj)

    def get(req, m):
        obj = store().get(path_key(m))
        if obj is None:
            raise ApiError(404, f"{c.label} {label(path_key(m))} not found")
        return view(obj)

    def patch(req, m):
        obj = store().get(path_key(m))
        if obj is None:
            raise ApiError(404, f"{c.label} {label(path_key(m))} not found")
        for k, v in req.json_object().items():
            if k not in IMMUTABLE:
                obj[k] = v
        obj["updated_at"] = ctx.clock.iso(ctx.clock.now())
        return view(obj)

    def delete(req, m):
        key = path_key(m)
        obj = store().pop(key, None)
        if obj is None:
            raise ApiError(404, f"{c.label} {label(key)} not found")
        if c.on_delete:
            c.on_delete(ctx, key)
        return {
            "id": obj.get("id") or label(key),
            "deleted_at": ctx.clock.iso(ctx.clock.now()),
            "message": "Resource deleted successfully.",
        }

    def listing(req, m):
        filters = parse_filters(req.query)
        if c.list_filter:
            items = [o for o in store().values() if c.list_filter(ctx, o, filters)]
        else:
            items = [o for o in store().values() if matches_filters(o, filters)]
        out = list_response(items, req.query, default_page_size=c.default_page_size)
        out["data"] = [view(o) for o in out["data"]]
        return out

    router.add("POST", c.path, create)
    router.add("GET", c.path, listing)
    router.add("GET", c.path + item, get)
    router.add("PATCH", c.path + item, patch)
    router.add("DELETE", c.path + item, delete)


# ----------------------------------------------------------------------------- Entity Store


def _model_created(ctx, req, obj) -> None:
    """Model entities registered by a client become NIM-visible adapters after a sync delay."""
    faults = ctx.faults.take_lifecycle({"slow_model_sync"}, req.method, req.path)
    artifact = obj.get("artifact") or {}
    ready = artifact.get("status", "upload_completed") == "upload_completed"
    ctx.register_model_meta(
        (obj["namespace"], obj["name"]), faults.get("slow_model_sync"), ready_t=ctx.clock.now() if ready else None
    )


def _model_deleted(ctx, key) -> None:
    ctx.state.model_meta.pop(key, None)


def _dataset_validate(ctx, req, body) -> list:
    url = body.get("files_url", "")
    if not isinstance(url, str) or ("://" not in url and not url.startswith("nds:")):
        return [(("body", "files_url"), "files_url must be a URL such as hf://datasets/ns/name", "value_error")]
    return []


def routes(router, ctx) -> None:
    for c in (
        Collection("namespace", "Namespace", "namespaces", "/v1/namespaces", required=("id",), keyed_by_id=True),
        Collection("project", "Project", "projects", "/v1/projects", id_prefix="project"),
        Collection(
            "dataset",
            "Dataset",
            "datasets",
            "/v1/datasets",
            required=("name", "namespace", "files_url"),
            id_prefix="dataset",
            validate=_dataset_validate,
            defaults={"format": None, "split": None, "limit": None, "hf_endpoint": None},
        ),
        Collection(
            "model",
            "Model",
            "models",
            "/v1/models",
            id_prefix="model",
            on_create=_model_created,
            on_delete=_model_deleted,
        ),
    ):
        register_crud(router, ctx, c)
