"""Customizer (nemo-api.md §3): seeded configs and targets (§3.1), job creation with validation
(§3.2: 422 FastAPI-style errors, 404 for an unknown config or dataset), get / list (filters,
pagination) / status / cancel / container-logs. The job lifecycle is in customizer_job.py.
"""

from __future__ import annotations

import copy

from tests.fakes.customizer_job import TERMINAL, CustomizationJob, base_model_of
from tests.fakes.entity_handlers import Collection, register_crud
from tests.fakes.nemo_state import (
    ApiError,
    entity_common,
    list_response,
    matches_filters,
    parse_filters,
    split_ref,
    unprocessable,
)

TRAINING_TYPES = ("sft", "dpo", "distillation", "grpo")
FINETUNING_TYPES = ("lora", "lora_merged", "all_weights")


def _target(ns, name, base_model, num_parameters, precision="bf16-mixed"):
    return {
        "name": name,
        "namespace": ns,
        "base_model": base_model,
        "enabled": True,
        "status": "ready",
        "model_path": f"{base_model.replace('/', '_')}",
        "model_uri": f"ngc://nvidia/nemo/{name}",
        "model_type": "nemo",
        "num_parameters": num_parameters,
        "precision": precision,
    }


def _option(finetuning_type="lora", num_gpus=1):
    return {
        "training_type": "sft",
        "finetuning_type": finetuning_type,
        "num_gpus": num_gpus,
        "num_nodes": 1,
        "tensor_parallel_size": 1,
        "data_parallel_size": num_gpus,
        "micro_batch_size": 1,
        "use_sequence_parallel": False,
    }


SEED_CONFIGS = [
    {
        "name": "llama-3.2-1b-instruct",
        "namespace": "meta",
        "target": _target("meta", "llama-3.2-1b-instruct@2.0", "meta/llama-3.2-1b-instruct", 1_000_000_000),
        "training_options": [_option("lora"), _option("all_weights")],
        "training_precision": "bf16-mixed",
        "max_seq_length": 4096,
        "prompt_template": "{prompt} {completion}",
        "chat_prompt_template": None,
        "dataset_schemas": [],
        "pod_spec": None,
    },
    {
        "name": "tiny-llama",
        "namespace": "llmops",
        "target": _target("llmops", "tiny-llama@1.0", "llmops/tiny-llama", 1_000_000, "fp32"),
        "training_options": [_option("lora")],
        "training_precision": "fp32",
        "max_seq_length": 512,
        "prompt_template": "{prompt} {completion}",
        "chat_prompt_template": None,
        "dataset_schemas": [],
        "pod_spec": None,
    },
]

HYPER_DEFAULTS = {
    "training_type": "sft",
    "epochs": 1,
    "batch_size": 8,
    "learning_rate": 0.0001,
    "max_steps": 0,
    "val_check_interval": 1.0,
    "log_every_n_steps": 10,
    "warmup_steps": 0,
    "weight_decay": 0.0,
    "min_learning_rate": 0.0,
    "optimizer": "adamw_with_cosine_annealing",
    "seed": 42,
    "sequence_packing_enabled": False,
}
LORA_DEFAULTS = {"adapter_dim": 8, "alpha": 16, "adapter_dropout": None, "target_modules": None}


def seed(ctx, configs=None) -> None:
    for cfg in copy.deepcopy(SEED_CONFIGS if configs is None else list(configs)):
        obj = entity_common(ctx.state, ctx.clock, cfg, id_prefix="customization_config")
        ctx.state.customization_configs[(obj["namespace"], obj["name"])] = obj
        t = cfg.get("target")
        if isinstance(t, dict):
            ctx.state.customization_targets[(t["namespace"], t["name"])] = entity_common(
                ctx.state, ctx.clock, t, id_prefix="customization_target"
            )


# ----------------------------------------------------------------------------- create / validate


def _validate_job(ctx, body: dict) -> tuple[dict, list]:
    errors: list = []

    def err(loc, msg, typ="value_error"):
        errors.append((("body", *loc), msg, typ))

    strict = ctx.strict_customization
    for f in ("config", "dataset", "hyperparameters") + (("output_model",) if strict else ()):
        if body.get(f) in (None, "", {}):
            err((f,), "Field required", "missing")
    config = None
    cfg = body.get("config")
    if isinstance(cfg, str) and cfg:
        config = ctx.state.customization_configs.get(split_ref(cfg))
        if config is None:
            raise ApiError(404, f"Customization config {cfg} not found")
    elif isinstance(cfg, dict):
        config = cfg
        for f in ("training_options", "max_seq_length"):
            if f not in cfg:
                err(("config", f), "Field required", "missing")
    ds = body.get("dataset")
    if isinstance(ds, dict) and strict:
        for f in ("name", "namespace"):
            if not ds.get(f):
                err(("dataset", f), "Field required", "missing")
    elif ds is not None and not isinstance(ds, (str, dict)):
        err(("dataset",), "Input should be a string or an object")
    hp = body.get("hyperparameters")
    if isinstance(hp, dict):
        required = (
            ("training_type", "finetuning_type", "epochs", "batch_size", "learning_rate")
            if strict
            else ("finetuning_type",)
        )
        for f in required:
            if hp.get(f) is None:
                err(("hyperparameters", f), "Field required", "missing")
        if hp.get("training_type") is not None and hp["training_type"] not in TRAINING_TYPES:
            err(("hyperparameters", "training_type"), f"Input should be one of {TRAINING_TYPES}", "enum")
        if hp.get("finetuning_type") is not None and hp["finetuning_type"] not in FINETUNING_TYPES:
            err(("hyperparameters", "finetuning_type"), f"Input should be one of {FINETUNING_TYPES}", "enum")
        for f in ("epochs", "batch_size"):
            if hp.get(f) is not None and (not isinstance(hp[f], int) or isinstance(hp[f], bool) or hp[f] < 1):
                err(("hyperparameters", f), "Input should be an integer >= 1")
        lr = hp.get("learning_rate")
        if lr is not None and (not isinstance(lr, (int, float)) or not 0 < lr < 1):
            err(("hyperparameters", "learning_rate"), "Input should be a number in (0, 1)")
        if hp.get("finetuning_type") in ("lora", "lora_merged"):
            lora = hp.get("lora")
            if strict and not isinstance(lora, dict):
                err(("hyperparameters", "lora"), "Field required", "missing")
            lora = lora if isinstance(lora, dict) else {}
            for f in ("adapter_dim", "alpha", "adapter_dropout") if strict else ():
                if lora.get(f) is None:
                    err(("hyperparameters", "lora", f), "Field required", "missing")
            for f in ("adapter_dim", "alpha"):
                if lora.get(f) is not None and (not isinstance(lora[f], int) or lora[f] < 1):
                    err(("hyperparameters", "lora", f), "Input should be an integer >= 1")
            dropout = lora.get("adapter_dropout")
            if dropout is not None and (not isinstance(dropout, (int, float)) or not 0 <= dropout < 1):
                err(("hyperparameters", "lora", "adapter_dropout"), "Input should be a number in [0, 1)")
        if config is not None and not errors:
            combos = {(o.get("training_type"), o.get("finetuning_type")) for o in config.get("training_options", [])}
            if (hp.get("training_type", "sft"), hp["finetuning_type"]) not in combos:
                err(
                    ("hyperparameters",),
                    f"training/finetuning type not supported by config; available: {sorted(combos)}",
                )
    elif hp is not None:
        err(("hyperparameters",), "Input should be an object")
    out = body.get("output_model")
    if out is not None and (not isinstance(out, str) or "/" not in out or not all(out.split("/", 1))):
        err(("output_model",), "output_model must look like 'namespace/name' or 'namespace/name@version'")
    return config, errors


def _dataset_rows(ctx, ds_ref) -> tuple[str, int, str | None]:
    """(dataset 'ns/name', training rows, data problem or None)."""
    if isinstance(ds_ref, dict) and not ds_ref.get("name"):
        return ds_ref.get("files_url", ""), 100, None
    ns, name = (ds_ref["namespace"], ds_ref["name"]) if isinstance(ds_ref, dict) else split_ref(ds_ref)
    entity = ctx.state.datasets.get((ns, name))
    if entity is None:
        raise ApiError(404, f"Dataset {ns}/{name} not found in the Entity Store")
    url = entity.get("files_url", "")
    if not url.startswith("hf://datasets/"):
        return f"{ns}/{name}", 100, None
    repo = ctx.state.hf_repos.get(("dataset", url[len("hf://datasets/") :].strip("/")))
    files = repo.files("main") if repo else {}
    rows = sum(
        len([ln for ln in data.splitlines() if ln.strip()])
        for p, data in files.items()
        if p.startswith("training/") and p.endswith(".jsonl")
    )
    problem = None if rows else f"No training data: no non-empty .jsonl files under training/ in {url}"
    return f"{ns}/{name}", max(rows, 1), problem


def job_create(ctx, req, m):
    body = req.json_object()
    config, errors = _validate_job(ctx, body)
    if errors:
        raise unprocessable(errors)
    dataset, rows, problem = _dataset_rows(ctx, body["dataset"])
    job_id = ctx.state.new_id("cust")
    output = body.get("output_model")
    if output and "@" not in output:
        output = f"{output}@{job_id}"
    if output and tuple(output.split("/", 1)) in ctx.state.models:
        raise ApiError(409, f"Model {output} already exists")
    hp = dict(HYPER_DEFAULTS, **body["hyperparameters"])
    if hp["finetuning_type"] in ("lora", "lora_merged"):
        hp["lora"] = dict(LORA_DEFAULTS, **(hp.get("lora") or {}))
    cfg_ref = body["config"] if isinstance(body["config"], str) else f"{config.get('namespace')}/{config.get('name')}"
    option = next(
        o
        for o in config["training_options"]
        if (o.get("training_type"), o.get("finetuning_type")) == (hp["training_type"], hp["finetuning_type"])
    )
    view = entity_common(
        ctx.state,
        ctx.clock,
        {
            "name": body.get("name"),
            "namespace": body.get("namespace", "default"),
            "description": body.get("description"),
            "project": body.get("project"),
            "custom_fields": body.get("custom_fields") or {},
            "ownership": body.get("ownership"),
            "config": cfg_ref,
            "dataset": dataset,
            "hyperparameters": hp,
            "output_model": output,
            "integrations": body.get("integrations") or [],
            "dataset_parameters": body.get("dataset_parameters"),
            "config_snapshot": {
                "base_model": base_model_of(config),
                "max_seq_length": config.get("max_seq_length"),
                "precision": config.get("training_precision", "bf16-mixed"),
                "training_option": option,
                "prompt_template": config.get("prompt_template"),
            },
            "warnings": [],
        },
    )
    view["id"] = job_id
    faults = ctx.faults.take_lifecycle({"job_fails", "job_stalls", "slow_model_sync"}, req.method, req.path)
    job = CustomizationJob(ctx, job_id, view, config, rows, problem, faults)
    ctx.state.customization_jobs[job_id] = job
    ctx.created("customization_job", job_id, body)
    return job.view(ctx.clock.now())


def _job(ctx, m) -> CustomizationJob:
    job = ctx.state.customization_jobs.get(m["id"])
    if job is None:
        raise ApiError(404, f"Customization job {m['id']} not found")
    return job


def job_cancel(ctx, req, m):
    job, t = _job(ctx, m), ctx.clock.now()
    status = job.status_at(t)
    if status in TERMINAL or status == "cancelling":
        raise ApiError(409, f"Customization job {job.id} is already {status}")
    job.cancel_t = t
    return job.view(t)


def _hyperparameter(name):
    return lambda j, t: j.body["hyperparameters"].get(name)


def _resolver(fn, job, t):
    return lambda obj: fn(job, t)


JOB_FILTERS = {
    "status": lambda j, t: j.status_at(t),
    "base_model": lambda j, t: j.body["config_snapshot"]["base_model"],
    **{
        f: _hyperparameter(f) for f in ("finetuning_type", "training_type", "epochs", "batch_size", "log_every_n_steps")
    },
}


def job_list(ctx, req, m):
    t, filters = ctx.clock.now(), parse_filters(req.query)
    views = []
    for job in ctx.state.customization_jobs.values():
        resolvers = {k: _resolver(fn, job, t) for k, fn in JOB_FILTERS.items()}
        if matches_filters(job.body, filters, resolvers):
            views.append(job.view(t))
    return list_response(views, req.query)


def _config_filter(ctx, cfg, filters) -> bool:
    t = cfg.get("target") if isinstance(cfg.get("target"), dict) else {}
    opts = cfg.get("training_options") or []
    resolvers = {
        "target_base_model": lambda c: base_model_of(c),
        "target_enabled": lambda c: t.get("enabled", True),
        "target_name": lambda c: t.get("name"),
        "finetuning_type": lambda c: [o.get("finetuning_type") for o in opts],
        "training_type": lambda c: [o.get("training_type") for o in opts],
    }
    return matches_filters(cfg, filters, resolvers)


def routes(router, ctx) -> None:
    register_crud(
        router,
        ctx,
        Collection(
            "customization_config",
            "Customization config",
            "customization_configs",
            "/v1/customization/configs",
            required=("name", "namespace", "training_options", "max_seq_length"),
            id_prefix="customization_config",
            list_filter=_config_filter,
        ),
    )
    register_crud(
        router,
        ctx,
        Collection(
            "customization_target",
            "Customization target",
            "customization_targets",
            "/v1/customization/targets",
            required=("name", "namespace", "num_parameters", "precision"),
            id_prefix="customization_target",
            defaults={"enabled": True, "status": "ready"},
        ),
    )

    def add(methods, pattern, fn):
        return router.add(methods, pattern, lambda req, m: fn(ctx, req, m))

    add("POST", r"/v1/customization/jobs", job_create)
    add("GET", r"/v1/customization/jobs", job_list)
    add("GET", r"/v1/customization/jobs/(?P<id>[^/]+)", lambda c, r, m: _job(c, m).view(c.clock.now()))
    add("GET", r"/v1/customization/jobs/(?P<id>[^/]+)/status", lambda c, r, m: _job(c, m).details(c.clock.now()))
    add("POST", r"/v1/customization/jobs/(?P<id>[^/]+)/cancel", job_cancel)
    add(
        "GET",
        r"/v1/customization/jobs/(?P<id>[^/]+)/container-logs",
        lambda c, r, m: {
            "entries": {
                "training": {
                    "object": "container_logs",
                    "logs": {"lines": [e["message"] for e in _job(c, m).details(c.clock.now())["status_logs"]]},
                }
            }
        },
    )
