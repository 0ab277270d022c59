"""The fake NeMo platform against its contract (nemo-api.md): lifecycles, pagination, conflicts,
every fault kind, the real huggingface_hub client, and a clean shutdown.

Most lifecycle tests freeze the clock (`time_scale=0`) and move it with `advance()`, so they are
deterministic; one test runs on the scaled real clock.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.nemo_platform import FakeNemoPlatform, Fault, FaultPlan

HP = {
    "training_type": "sft",
    "finetuning_type": "lora",
    "epochs": 2,
    "batch_size": 4,
    "learning_rate": 0.0001,
    "lora": {"adapter_dim": 8, "alpha": 16, "adapter_dropout": 0.1},
}
NIM_CONFIG = {
    "model": "meta/llama-3.2-1b-instruct",
    "nim_deployment": {"image_name": "nvcr.io/nim/meta/llama-3.2-1b-instruct", "image_tag": "1.8.3", "gpu": 1},
}


def call(url: str, method: str = "GET", body=None, form: dict | None = None, timeout: float = 10):
    """(status, parsed JSON or raw bytes, headers) without raising on HTTP errors."""
    data, headers = None, {}
    if form is not None:
        data, headers = urllib.parse.urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    elif body is not None:
        data, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        status, raw, hdrs = err.code, err.read(), err.headers
    try:
        return status, json.loads(raw), hdrs
    except ValueError:
        return status, raw, hdrs


@pytest.fixture
def fake():
    with FakeNemoPlatform(time_scale=0) as f:
        yield f


def seed_dataset(fake, ns="ns1", name="ds", rows=20) -> None:
    """Upload training/validation files through the HF API and register the dataset entity."""
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(endpoint=f"{fake.nds_url}/v1/hf", token="nothing")
    api.create_repo(f"{ns}/{name}", repo_type="dataset", exist_ok=True)
    line = b'{"prompt": "q", "completion": "a"}\n'
    api.create_commit(
        f"{ns}/{name}",
        repo_type="dataset",
        commit_message="data",
        operations=[
            CommitOperationAdd("training/train.jsonl", line * rows),
            CommitOperationAdd("validation/val.jsonl", line * 4),
        ],
    )
    status, _, _ = call(
        f"{fake.nemo_url}/v1/datasets",
        "POST",
        {"name": name, "namespace": ns, "files_url": f"hf://datasets/{ns}/{name}"},
    )
    assert status == 200


def create_job(fake, **overrides):
    body = {
        "config": "meta/llama-3.2-1b-instruct",
        "dataset": {"name": "ds", "namespace": "ns1"},
        "hyperparameters": HP,
        "output_model": "ns1/adapter",
    }
    body.update(overrides)
    return call(f"{fake.nemo_url}/v1/customization/jobs", "POST", body)


def job_status(fake, job_id):
    return call(f"{fake.nemo_url}/v1/customization/jobs/{job_id}/status")[1]


def deploy_base(fake, name="llama-3.2-1b-instruct", ns="meta"):
    return call(
        f"{fake.nemo_url}/v1/deployment/model-deployments",
        "POST",
        {"name": name, "namespace": ns, "config": NIM_CONFIG},
    )


def nim_ids(fake) -> list[str]:
    return [m["id"] for m in call(f"{fake.nim_url}/v1/models")[1]["data"]]


# ----------------------------------------------------------------------------- Customizer


def test_customization_job_lifecycle_progress_and_outputs(fake):
    seed_dataset(fake, rows=20)  # 20 rows / batch 4 = 5 steps per epoch, 2 epochs
    deploy_base(fake)
    status, job, _ = create_job(fake, custom_fields={"run": "r1"})
    assert status == 200 and job["status"] == "created"
    assert job["id"].startswith("cust-") and job["output_model"] == f"ns1/adapter@{job['id']}"
    assert job["dataset"] == "ns1/ds" and job["hyperparameters"]["lora"]["alpha"] == 16
    assert job["status_details"]["status_logs"][-1]["message"] == "created"
    seen = [job_status(fake, job["id"])["status"]]
    for step in (1, 2, 30, 30):
        fake.advance(step)
        seen.append(job_status(fake, job["id"])["status"])
    assert seen == ["created", "pending", "running", "running", "completed"]
    fake.advance(-30)
    mid = job_status(fake, job["id"])
    assert mid["status"] == "running" and 0 < mid["percentage_done"] < 100
    assert mid["steps_completed"] == 5 and mid["epochs_completed"] == 1 and mid["steps_per_epoch"] == 5
    fake.advance(30)
    done = job_status(fake, job["id"])
    assert done["percentage_done"] == 100.0 and done["steps_completed"] == 10 and done["epochs_completed"] == 2
    train = done["metrics"]["metrics"]["train_loss"]
    assert [p["step"] for p in train] == list(range(1, 11))
    assert [p["step"] for p in done["metrics"]["metrics"]["val_loss"]] == [5, 10]
    assert done["val_loss"] == done["metrics"]["metrics"]["val_loss"][-1]["value"] and done["best_epoch"] == 2
    messages = [log["message"] for log in done["status_logs"]]
    assert messages.index("TrainingJobRunning") < messages.index("TrainingJobCompleted")
    # §3.4: model entity with upload_completed, adapter files in the Data Store, then NIM after the sync delay
    name = job["output_model"].split("/", 1)[1]
    status, model, _ = call(f"{fake.nemo_url}/v1/models/ns1/{urllib.parse.quote(name)}")
    assert status == 200 and model["artifact"]["status"] == "upload_completed"
    assert model["base_model"] == "meta/llama-3.2-1b-instruct" and model["peft"] == {"finetuning_type": "lora"}
    assert set(fake.hf_files("ns1/adapter", "model", job["id"])) == {"adapter_config.json", "adapter_model.safetensors"}
    assert nim_ids(fake) == ["meta/llama-3.2-1b-instruct"]  # base ready at 60 s; adapter not synced yet
    fake.advance(30)  # model sync delay
    assert job["output_model"] in nim_ids(fake)
    assert fake.creations("model") == []  # Customizer-made entities are not client creations


def test_customization_lifecycle_on_scaled_real_clock():
    with FakeNemoPlatform(time_scale=0.002) as fake:  # 63 nominal seconds ~ 0.13 s
        seed_dataset(fake)
        _, job, _ = create_job(fake)
        statuses = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            s = job_status(fake, job["id"])["status"]
            if not statuses or statuses[-1] != s:
                statuses.append(s)
            if s == "completed":
                break
            time.sleep(0.005)
        order = ["created", "pending", "running", "completed"]
        assert statuses[-1] == "completed" and len(statuses) >= 2
        assert statuses == sorted(statuses, key=order.index)  # never goes backwards


def test_customization_job_validation_errors_create_nothing(fake):
    seed_dataset(fake)
    bad_hp = {k: v for k, v in HP.items() if k != "learning_rate"}
    bad_hp["lora"] = {"adapter_dim": 8, "alpha": 16}
    status, body, _ = create_job(fake, hyperparameters=bad_hp, output_model=None)
    assert status == 422
    locs = {tuple(d["loc"]) for d in body["detail"]}
    assert {
        ("body", "output_model"),
        ("body", "hyperparameters", "learning_rate"),
        ("body", "hyperparameters", "lora", "adapter_dropout"),
    } <= locs
    assert create_job(fake, hyperparameters=dict(HP, finetuning_type="p_tuning"))[0] == 422
    assert create_job(fake, config="meta/nope")[0] == 404
    assert create_job(fake, dataset={"name": "missing", "namespace": "ns1"})[0] == 404
    assert fake.creations("customization_job") == [] and fake.state.customization_jobs == {}


def test_customization_configs_filter_and_list_pagination(fake):
    url = f"{fake.nemo_url}/v1/customization/configs"
    _, body, _ = call(url + "?filter[target_base_model]=llmops/tiny-llama&filter[finetuning_type]=lora")
    assert [c["name"] for c in body["data"]] == ["tiny-llama"]
    assert body["data"][0]["training_options"][0]["finetuning_type"] == "lora"
    _, body, _ = call(url + "?filter[finetuning_type]=all_weights")
    assert [f"{c['namespace']}/{c['name']}" for c in body["data"]] == ["meta/llama-3.2-1b-instruct"]
    seed_dataset(fake)
    ids = [create_job(fake, output_model=f"ns1/a{i}", custom_fields={"i": str(i)})[1]["id"] for i in range(3)]
    _, page, _ = call(f"{fake.nemo_url}/v1/customization/jobs?page=2&page_size=2&sort=created_at")
    assert [j["id"] for j in page["data"]] == ids[2:] and page["pagination"]["total_pages"] == 2
    _, found, _ = call(f"{fake.nemo_url}/v1/customization/jobs?filter[custom_fields][i]=1&filter[status]=created")
    assert [j["id"] for j in found["data"]] == [ids[1]]


def test_customization_cancel_uses_the_sdk_path(fake):
    seed_dataset(fake)
    _, job, _ = create_job(fake)
    fake.advance(10)
    status, body, _ = call(f"{fake.nemo_url}/v1/customization/jobs/{job['id']}/cancel", "POST")
    assert status == 200 and body["status"] == "cancelling"
    fake.advance(5)
    assert job_status(fake, job["id"])["status"] == "cancelled"
    assert call(f"{fake.nemo_url}/v1/customization/jobs/{job['id']}/cancel", "POST")[0] == 409
    assert call(f"{fake.nemo_url}/v1/customizations/{job['id']}/cancel", "POST")[0] == 404  # the blueprint's wrong path


def test_job_without_training_files_fails_with_detail(fake):
    call(
        f"{fake.nemo_url}/v1/datasets",
        "POST",
        {"name": "empty", "namespace": "ns1", "files_url": "hf://datasets/ns1/empty"},
    )
    _, job, _ = create_job(fake, dataset={"name": "empty", "namespace": "ns1"})
    fake.advance(100)
    st = job_status(fake, job["id"])
    assert st["status"] == "failed" and "No training data" in st["status_logs"][-1]["detail"]


# ----------------------------------------------------------------------------- Evaluator


def test_evaluation_job_lifecycle_and_result_shape(fake):
    deploy_base(fake)
    fake.advance(60)
    config = {
        "type": "custom",
        "tasks": {
            "tool-calls": {
                "type": "chat-completion",
                "dataset": {"files_url": "hf://datasets/ns/e/x.jsonl", "limit": 40},
                "metrics": {
                    "tool-calling-accuracy": {"type": "tool-calling"},
                    "judge": {"type": "llm-judge", "params": {"scores": {"similarity": {"type": "int"}}}},
                },
            }
        },
    }
    status, job, _ = call(
        f"{fake.nemo_url}/v1/evaluation/jobs",
        "POST",
        {"config": config, "target": {"type": "model", "model": "meta/llama-3.2-1b-instruct"}},
    )
    assert status == 200 and job["status"] == "created" and job["result"] is None
    assert job["config"]["id"].startswith("eval-config-") and job["target"]["id"].startswith("eval-target-")
    assert job["status_details"] == {"progress": None, "samples_processed": 0, "message": None, "task_status": {}}
    assert call(f"{fake.nemo_url}/v1/evaluation/jobs/{job['id']}/results")[0] == 404
    fake.advance(3 + 15)
    _, running, _ = call(f"{fake.nemo_url}/v1/evaluation/jobs/{job['id']}")
    assert running["status"] == "running" and running["status_details"]["progress"] == 50.0
    assert running["status_details"]["task_status"] == {"tool-calls": "running"}
    fake.advance(15)
    _, st, _ = call(f"{fake.nemo_url}/v1/evaluation/jobs/{job['id']}/status")
    assert st["status"] == "completed" and st["progress"] == 100.0
    _, res, _ = call(f"{fake.nemo_url}/v1/evaluation/jobs/{job['id']}/results")
    scores = res["tasks"]["tool-calls"]["metrics"]["tool-calling-accuracy"]["scores"]
    assert set(scores) == {"function_name_accuracy", "function_name_and_args_accuracy"}
    assert (
        scores["function_name_accuracy"]["stats"]["count"] == 40
        and scores["function_name_accuracy"]["stats"]["stderr"] > 0
    )
    assert 1 <= res["tasks"]["tool-calls"]["metrics"]["judge"]["scores"]["similarity"]["value"] <= 10
    assert res["job"] == job["id"] and res["id"].startswith("evaluation_result-")
    with FakeNemoPlatform(time_scale=0, nim_base_models=["meta/llama-3.2-1b-instruct"]) as other:
        _, job2, _ = call(
            f"{other.nemo_url}/v1/evaluation/jobs",
            "POST",
            {"config": config, "target": {"type": "model", "model": "meta/llama-3.2-1b-instruct"}},
        )
        other.advance(100)
        assert call(f"{other.nemo_url}/v1/evaluation/jobs/{job2['id']}/results")[1]["tasks"] == res["tasks"]


def test_evaluation_referenced_config_target_score_fn_and_unserved_model():
    def score_fn(model, task, metric, score, n):
        return 0.9 if "@" in model else 0.5

    with FakeNemoPlatform(time_scale=0, score_fn=score_fn, nim_base_models=["llmops/tiny-llama"]) as fake:
        url = fake.nemo_url
        assert (
            call(
                f"{url}/v1/evaluation/configs",
                "POST",
                {"type": "gsm8k", "name": "gsm", "namespace": "ns1", "params": {"limit_samples": 20}},
            )[0]
            == 200
        )
        assert (
            call(f"{url}/v1/evaluation/configs", "POST", {"type": "gsm8k", "name": "gsm", "namespace": "ns1"})[0] == 409
        )
        call(
            f"{url}/v1/evaluation/targets",
            "POST",
            {"type": "model", "name": "base", "namespace": "ns1", "model": "llmops/tiny-llama"},
        )
        _, job, _ = call(f"{url}/v1/evaluation/jobs", "POST", {"config": "ns1/gsm", "target": "ns1/base"})
        assert job["config"]["type"] == "gsm8k" and job["target"]["model"] == "llmops/tiny-llama"
        _, bad, _ = call(
            f"{url}/v1/evaluation/jobs",
            "POST",
            {"config": "ns1/gsm", "target": {"type": "model", "model": "ns1/not-served@x"}},
        )
        fake.advance(40)
        res = call(f"{url}/v1/evaluation/jobs/{job['id']}/results")[1]
        score = res["tasks"]["gsm8k"]["metrics"]["exact_match__strict-match"]["scores"]["exact_match__strict-match"]
        assert score["value"] == 0.5 and score["stats"]["count"] == 20
        _, failed, _ = call(f"{url}/v1/evaluation/jobs/{bad['id']}")
        assert failed["status"] == "failed" and "not available" in failed["status_details"]["message"]
        assert call(f"{url}/v1/evaluation/jobs", "POST", {"config": "ns1/gsm"})[0] == 422
        assert call(f"{url}/v1/evaluation/jobs", "POST", {"config": "ns1/nope", "target": "ns1/base"})[0] == 404


# ----------------------------------------------------------------------------- DMS, NIM, Guardrails


def test_deployment_lifecycle_and_nim_listing(fake):
    status, dep, _ = deploy_base(fake)
    assert status == 200 and dep["status_details"]["status"] == "pending" and dep["deployed"] is False
    assert nim_ids(fake) == []
    fake.advance(59)
    assert (
        call(f"{fake.nemo_url}/v1/deployment/model-deployments/meta/llama-3.2-1b-instruct")[1]["status_details"][
            "status"
        ]
        == "pending"
    )
    fake.advance(1)
    _, dep, _ = call(f"{fake.nemo_url}/v1/deployment/model-deployments/meta/llama-3.2-1b-instruct")
    assert dep["status_details"]["status"] == "ready" and dep["deployed"] is True
    assert "successfully rolled out" in dep["status_details"]["description"]
    assert nim_ids(fake) == ["meta/llama-3.2-1b-instruct"]
    assert deploy_base(fake)[0] == 500  # "model deployment already exists" (nemo-api.md §5)
    assert (
        call(
            f"{fake.nemo_url}/v1/deployment/model-deployments",
            "POST",
            {"name": "x", "namespace": "y", "config": {"model": "m", "nim_deployment": {"image_name": "i"}}},
        )[0]
        == 422
    )
    assert call(f"{fake.nemo_url}/v1/deployment/model-deployments")[1]["pagination"]["total_results"] == 1
    assert call(f"{fake.nemo_url}/v1/deployment/model-deployments/meta/llama-3.2-1b-instruct", "DELETE")[0] == 200
    assert nim_ids(fake) == [] and len(fake.creations("deployment")) == 1


class ToolModel:
    """A chat model that answers with a tool call (the interface of steps.local.chat_model)."""

    def __init__(self):
        self.calls = []

    def models(self):
        return {"object": "list", "data": [{"id": "tool-model", "object": "model"}]}

    def create(self, messages, max_tokens=128, temperature=0.0, stop=None, tools=None, tool_choice=None):
        self.calls.append({"messages": messages, "max_tokens": max_tokens, "tools": tools, "tool_choice": tool_choice})
        return {
            "object": "chat.completion",
            "model": "tool-model",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": tools[0]["function"]["name"], "arguments": {"city": "Paris"}},
                            }
                        ],
                    },
                }
            ],
        }


def test_nim_chat_completions_echo_tools_and_unknown_model():
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    model = ToolModel()
    with FakeNemoPlatform(
        time_scale=0, nim_base_models=["meta/llama-3.2-1b-instruct"], chat_model={"tool-base": model}
    ) as fake:
        url = f"{fake.nim_url}/v1/chat/completions"
        status, body, _ = call(url, "POST", {"model": "nope/model", "messages": [{"role": "user", "content": "hi"}]})
        assert status == 404 and body["error"]["type"] == "NotFoundError" and body["error"]["code"] == 404
        status, body, _ = call(
            url,
            "POST",
            {"model": "meta/llama-3.2-1b-instruct", "messages": [{"role": "user", "content": "hello world"}]},
        )
        assert status == 200 and body["choices"][0]["message"]["content"] == "echo: hello world"
        assert body["model"] == "meta/llama-3.2-1b-instruct" and body["usage"]["total_tokens"] > 0
        _, forced, _ = call(
            url,
            "POST",
            {
                "model": "meta/llama-3.2-1b-instruct",
                "tools": tools,
                "tool_choice": "required",
                "messages": [{"role": "user", "content": "weather?"}],
            },
        )
        assert forced["choices"][0]["message"]["tool_calls"][0]["function"] == {
            "name": "get_weather",
            "arguments": "{}",
        }
        fake.state.nim_static_models.append("tool-base")
        _, answer, _ = call(
            url,
            "POST",
            {
                "model": "tool-base",
                "tools": tools,
                "max_tokens": 7,
                "messages": [{"role": "user", "content": "weather in Paris?"}],
            },
        )
        call_ = answer["choices"][0]["message"]["tool_calls"][0]
        assert json.loads(call_["function"]["arguments"]) == {"city": "Paris"}  # arguments are a JSON string
        assert model.calls[0]["tools"] == tools and model.calls[0]["max_tokens"] == 7
        assert call(url, "POST", {"model": "tool-base", "messages": []})[0] == 400


def test_guardrail_configs_and_checks(fake):
    url = f"{fake.nemo_url}/v1/guardrail"
    cfg = {
        "name": "toolcalling",
        "namespace": "ns1",
        "data": {
            "rails": {"input": {"flows": ["content safety check input $model=content_safety"]}},
            "blocked_terms": ["forbidden"],
        },
    }
    assert call(f"{url}/configs", "POST", cfg)[0] == 200
    assert call(f"{url}/configs", "POST", cfg)[0] == 409
    assert call(f"{url}/configs/ns1/toolcalling", "PATCH", {"description": "v2"})[1]["description"] == "v2"
    names = [c["name"] for c in call(f"{url}/configs?page_size=100")[1]["data"]]
    assert {"default", "self-check", "toolcalling"} <= set(names)

    def check(text):
        body = {"model": "m", "messages": [{"role": "user", "content": text}]}
        return call(f"{url}/checks", "POST", body | {"guardrails": {"config_id": "ns1/toolcalling"}})[1]

    assert check("hello")["status"] == "success"
    blocked = check("this is forbidden")
    assert blocked["status"] == "blocked"
    assert blocked["rails_status"] == {"content safety check input $model=content_safety": {"status": "blocked"}}
    assert (
        call(
            f"{url}/checks",
            "POST",
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "guardrails": {"config_id": "ns1/missing"}},
        )[0]
        == 404
    )
    assert len(fake.creations("guardrail_config")) == 1


# ----------------------------------------------------------------------------- Entity Store, Data Store


def test_entity_store_pagination_filters_and_duplicates(fake):
    url = f"{fake.nemo_url}/v1"
    assert call(f"{url}/namespaces", "POST", {"id": "ns1"})[0] == 200
    assert call(f"{url}/namespaces", "POST", {"id": "ns1"})[0] == 409
    for i in range(23):
        status, ds, _ = call(
            f"{url}/datasets",
            "POST",
            {"name": f"d{i:02d}", "namespace": "ns1" if i % 2 else "ns2", "files_url": f"hf://datasets/ns/d{i}"},
        )
        assert status == 200 and ds["id"].startswith("dataset-")
    status, body, _ = call(
        f"{url}/datasets", "POST", {"name": "d00", "namespace": "ns2", "files_url": "hf://datasets/x/y"}
    )
    assert status == 409 and "already exists" in body["detail"]
    assert call(f"{url}/datasets", "POST", {"name": "x", "namespace": "ns1"})[0] == 422
    names = []
    for page in (1, 2, 3):
        _, body, _ = call(f"{url}/datasets?page={page}&page_size=10")
        assert body["object"] == "list"
        assert body["pagination"] == {
            "page": page,
            "page_size": 10,
            "current_page_size": len(body["data"]),
            "total_pages": 3,
            "total_results": 23,
        }
        names += [d["name"] for d in body["data"]]
    assert names == [f"d{i:02d}" for i in range(23)]
    assert call(f"{url}/datasets?page=4&page_size=10")[1]["data"] == []
    assert call(f"{url}/datasets?page=0")[0] == 422
    _, body, _ = call(f"{url}/datasets?filter[namespace]=ns1&sort=-created_at&page_size=100")
    assert len(body["data"]) == 11 and body["data"][0]["name"] == "d21"
    status, _, _ = call(f"{url}/models", "POST", {"name": "m@v1", "namespace": "ns1", "base_model": "b"})
    assert status == 200 and call(f"{url}/models/ns1/m%40v1")[1]["name"] == "m@v1"
    assert call(f"{url}/models/ns1/unknown")[0] == 404
    assert len(fake.creations("dataset")) == 23 and len(fake.creations("namespace")) == 1


def test_datastore_namespaces_form_encoded(fake):
    url = f"{fake.nds_url}/v1/datastore/namespaces"
    status, body, _ = call(url, "POST", form={"namespace": "ns1"})
    assert status == 201 and body["namespace"] == "ns1"
    assert call(url, "POST", form={"namespace": "ns1"})[0] == 409
    assert call(url, "POST", {"namespace": "ns2"})[0] == 422  # JSON is not accepted: the API takes a form
    assert call(f"{url}/ns1")[0] == 201  # as recorded from the real service
    assert call(f"{url}/nope")[0] == 404
    assert [c.key for c in fake.creations("datastore_namespace")] == ["ns1"]


def test_huggingface_hub_round_trip(fake, tmp_path):
    hf = pytest.importorskip("huggingface_hub")
    api = hf.HfApi(endpoint=f"{fake.nds_url}/v1/hf", token="nothing")
    repo = api.create_repo("ns1/data", repo_type="dataset", exist_ok=True)
    assert repo.repo_id == "ns1/data"
    api.create_repo("ns1/data", repo_type="dataset", exist_ok=True)  # 409 swallowed by exist_ok
    with pytest.raises(hf.errors.HfHubHTTPError):
        api.create_repo("ns1/data", repo_type="dataset")
    files = {"training/a.jsonl": b'{"a": 1}\n', "validation/b.jsonl": b'{"b": 2}\n', "testing/c.jsonl": b'{"c": 3}\n'}
    info = api.create_commit(
        "ns1/data",
        repo_type="dataset",
        commit_message="three files",
        operations=[hf.CommitOperationAdd(p, c) for p, c in files.items()],
    )
    assert len(info.oid) == 40 and int(info.oid, 16) >= 0
    assert api.repo_info("ns1/data", repo_type="dataset").sha == info.oid
    assert sorted(api.list_repo_files("ns1/data", repo_type="dataset")) == sorted(files)
    tree = list(api.list_repo_tree("ns1/data", "training", repo_type="dataset"))
    assert [(e.path, e.size) for e in tree] == [("training/a.jsonl", 9)]
    for path, content in files.items():
        local = hf.hf_hub_download(
            "ns1/data",
            path,
            repo_type="dataset",
            revision=info.oid,
            cache_dir=tmp_path / "c",
            endpoint=f"{fake.nds_url}/v1/hf",
            token="nothing",
        )
        assert Path(local).read_bytes() == content
    # content-addressed: the same files on a fresh repo give the same commit id
    api.create_repo("ns1/copy", repo_type="dataset")
    again = api.create_commit(
        "ns1/copy",
        repo_type="dataset",
        commit_message="other message",
        operations=[hf.CommitOperationAdd(p, c) for p, c in files.items()],
    )
    assert again.oid == info.oid
    folder = tmp_path / "up"
    (folder / "training").mkdir(parents=True)
    (folder / "training" / "more.jsonl").write_bytes(b'{"d": 4}\n')
    folder_info = api.upload_folder(repo_id="ns1/data", folder_path=folder, repo_type="dataset")
    assert fake.hf_files("ns1/data", revision=folder_info.oid)["training/more.jsonl"] == b'{"d": 4}\n'
    with pytest.raises(hf.errors.EntryNotFoundError):
        hf.hf_hub_download(
            "ns1/data",
            "nope.txt",
            repo_type="dataset",
            cache_dir=tmp_path / "c",
            endpoint=f"{fake.nds_url}/v1/hf",
            token="nothing",
        )
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api.list_repo_files("ns1/absent", repo_type="dataset")
    commit_calls = [r for r in fake.requests if r.path.endswith("/commit/main")]
    assert commit_calls and all(r.status == 200 for r in commit_calls)


# ----------------------------------------------------------------------------- faults


def test_http_5xx_burst_creates_nothing_then_recovers():
    plan = FaultPlan([Fault("http_5xx", "POST", r"^/v1/datasets$", times=2, status=502)])
    with FakeNemoPlatform(faults=plan, time_scale=0) as fake:
        body = {"name": "d", "namespace": "n", "files_url": "hf://datasets/n/d"}
        assert [call(f"{fake.nemo_url}/v1/datasets", "POST", body)[0] for _ in range(3)] == [502, 502, 200]
        assert call(f"{fake.nemo_url}/v1/datasets", "POST", body)[0] == 409
        assert len(fake.creations("dataset")) == 1
        assert [r.fault for r in fake.requests] == ["http_5xx", "http_5xx", None, None]
        assert [r.status for r in fake.requests] == [502, 502, 200, 409]


def test_fault_plan_rejects_unknown_kinds_and_bad_statuses():
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")
    with pytest.raises(ValueError):
        Fault("http_5xx", status=404)
    plan = FaultPlan([Fault("http_5xx", times=2)])
    assert plan.take_request_fault("GET", "/x") is not None and len(plan.pending()) == 1


def test_rate_limit_has_retry_after_and_after_skips_matches():
    plan = FaultPlan([Fault("rate_limit", "GET", r"/v1/models$", after=1, retry_after=7)])
    with FakeNemoPlatform(faults=plan, time_scale=0) as fake:
        assert call(f"{fake.nim_url}/v1/models")[0] == 200
        status, _, headers = call(f"{fake.nim_url}/v1/models")
        assert status == 429 and headers["Retry-After"] == "7"
        assert call(f"{fake.nim_url}/v1/models")[0] == 200


def test_timeout_without_and_with_commit_before_timeout():
    plan = FaultPlan(
        [
            Fault("timeout", "POST", r"/v1/namespaces$", seconds=0.2),
            Fault("timeout", "POST", r"/v1/namespaces$", seconds=0.2, commit_before_timeout=True),
        ]
    )
    with FakeNemoPlatform(faults=plan, time_scale=0) as fake:
        for expected in (0, 1):
            with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
                call(f"{fake.nemo_url}/v1/namespaces", "POST", {"id": "ns1"}, timeout=0.2)
            time.sleep(0.3)
            assert len(fake.creations("namespace")) == expected
        assert call(f"{fake.nemo_url}/v1/namespaces", "POST", {"id": "ns1"})[0] == 409  # the lost response applied it
        deadline = time.monotonic() + 5
        while any(r.status is None for r in fake.requests[:2]) and time.monotonic() < deadline:
            time.sleep(0.01)  # the delayed answers are sent after the client gave up
        assert [r.status for r in fake.requests[:2]] == [504, 200]


def test_reset_closes_the_connection_without_response():
    requests = pytest.importorskip("requests")
    with FakeNemoPlatform(faults=[Fault("reset", "GET", r"/v1/namespaces$")], time_scale=0) as fake:
        with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
            call(f"{fake.nemo_url}/v1/namespaces")
        assert fake.requests[0].status == 0 and fake.requests[0].fault == "reset"
        fake.faults.add(Fault("reset", "GET", r"/v1/namespaces$"))
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"{fake.nemo_url}/v1/namespaces", timeout=5)
        assert requests.get(f"{fake.nemo_url}/v1/namespaces", timeout=5).status_code == 200


def test_conflict_is_a_409_race_that_creates_nothing():
    httpx = pytest.importorskip("httpx")
    with FakeNemoPlatform(faults=[Fault("conflict")], time_scale=0) as fake:
        with httpx.Client(base_url=fake.nemo_url) as client:
            assert client.get("/v1/namespaces").status_code == 200  # not a create: untouched
            assert client.post("/v1/namespaces", json={"id": "ns1"}).status_code == 409
            assert client.get("/v1/namespaces/ns1").status_code == 404
            assert client.post("/v1/namespaces", json={"id": "ns1"}).status_code == 200
        assert [c.key for c in fake.creations()] == ["ns1"]


def test_job_fails_and_job_stalls_faults():
    plan = FaultPlan(
        [
            Fault("job_fails", match_path_regex=r"/customization/jobs$", detail="boom"),
            Fault("job_stalls", match_path_regex=r"/customization/jobs$"),
            Fault("job_stalls", match_path_regex=r"/customization/jobs$", phase="pending"),
            Fault("job_fails", match_path_regex=r"/evaluation/jobs$", detail="eval boom"),
        ]
    )
    with FakeNemoPlatform(faults=plan, time_scale=0, nim_base_models=["m"]) as fake:
        seed_dataset(fake)
        ids = [create_job(fake, output_model=f"ns1/o{i}")[1]["id"] for i in range(3)]
        _, ev, _ = call(
            f"{fake.nemo_url}/v1/evaluation/jobs",
            "POST",
            {"config": {"type": "gsm8k"}, "target": {"type": "model", "model": "m"}},
        )
        fake.advance(30)
        stalled_at = job_status(fake, ids[1])["steps_completed"]
        fake.advance(10_000)
        failed, stalled, starved = (job_status(fake, i) for i in ids)
        assert failed["status"] == "failed" and failed["status_logs"][-1] == {
            "updated_at": failed["status_logs"][-1]["updated_at"],
            "message": "TrainingJobFailed",
            "detail": "boom",
        }
        assert 0 < failed["percentage_done"] < 100
        assert stalled["status"] == "running" and stalled["steps_completed"] == stalled_at > 0
        assert starved["status"] == "pending" and starved["status_logs"][-1]["message"] == "NotEnoughResources"
        _, ev, _ = call(f"{fake.nemo_url}/v1/evaluation/jobs/{ev['id']}")
        assert ev["status"] == "failed" and ev["status_details"]["message"] == "eval boom"
        assert ev["status_details"]["task_status"] == {"gsm8k": "failed"}
        assert not any(("model", f"ns1/o{i}") in fake.state.models for i in range(3))


def test_slow_model_sync_and_deployment_fails():
    plan = FaultPlan([Fault("slow_model_sync", seconds=500), Fault("deployment_fails", detail="ImagePullBackOff")])
    with FakeNemoPlatform(faults=plan, time_scale=0) as fake:
        deploy_base(fake, name="broken")
        fake.advance(60)
        _, dep, _ = call(f"{fake.nemo_url}/v1/deployment/model-deployments/meta/broken")
        assert (
            dep["status_details"]["status"] == "failed" and "ImagePullBackOff" in dep["status_details"]["description"]
        )
        deploy_base(fake)
        seed_dataset(fake)
        _, job, _ = create_job(fake)
        fake.advance(63 + 60)  # job completed, base ready, normal sync (30 s) passed
        assert job_status(fake, job["id"])["status"] == "completed"
        assert job["output_model"] not in nim_ids(fake)
        fake.advance(500)
        assert job["output_model"] in nim_ids(fake)
        # a registered model entity follows the normal sync delay once the fault is spent
        call(
            f"{fake.nemo_url}/v1/models",
            "POST",
            {
                "name": "manual@v1",
                "namespace": "ns1",
                "base_model": "meta/llama-3.2-1b-instruct",
                "peft": {"finetuning_type": "lora"},
            },
        )
        assert "ns1/manual@v1" not in nim_ids(fake)
        fake.advance(30)
        assert "ns1/manual@v1" in nim_ids(fake)


# ----------------------------------------------------------------------------- bookkeeping, shutdown, SDK


def test_requests_are_recorded_in_order_with_bodies(fake):
    call(f"{fake.nemo_url}/v1/namespaces?page=1", "GET")
    call(f"{fake.nemo_url}/v1/namespaces", "POST", {"id": "a"})
    call(f"{fake.nds_url}/v1/datastore/namespaces", "POST", form={"namespace": "a"})
    r0, r1, r2 = fake.requests
    assert (r0.method, r0.path, r0.query, r0.json_body, r0.status) == (
        "GET",
        "/v1/namespaces",
        {"page": "1"},
        None,
        200,
    )
    assert (r1.method, r1.json_body, r1.status) == ("POST", {"id": "a"}, 200)
    assert (r2.form, r2.status) == ({"namespace": "a"}, 201)
    assert r0.ts <= r1.ts <= r2.ts


def test_stop_leaves_no_thread_and_closes_the_port():
    requests = pytest.importorskip("requests")
    before = {t.ident for t in threading.enumerate()}
    fake = FakeNemoPlatform(time_scale=0).start()
    session = requests.Session()  # keep-alive connection: its server thread must be closed by stop()
    assert session.get(f"{fake.nemo_url}/v1/namespaces", timeout=5).status_code == 200
    port = int(fake.nemo_url.rsplit(":", 1)[1])
    fake.faults.add(Fault("timeout", seconds=30))  # a request stuck in a long wait must not block stop()
    outcome = []

    def stuck_client():
        try:
            call(f"{fake.nemo_url}/v1/namespaces", timeout=60)
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(exc)

    client = threading.Thread(target=stuck_client, daemon=True)
    client.start()
    time.sleep(0.1)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 5
    client.join(5)
    assert len(outcome) == 1  # the waiting client saw its connection closed, not an answer
    assert fake.live_threads() == []
    leftovers = [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("fake-nemo")]
    assert leftovers == []
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    session.close()


def test_the_nemo_microservices_sdk_parses_every_response():
    sdk = pytest.importorskip("nemo_microservices")
    with FakeNemoPlatform(time_scale=0) as fake:
        client = sdk.NeMoMicroservices(base_url=fake.nemo_url, inference_base_url=fake.nim_url, max_retries=0)
        seed_dataset(fake)
        client.deployment.model_deployments.create(name="llama-3.2-1b-instruct", namespace="meta", config=NIM_CONFIG)
        job = client.customization.jobs.create(
            config="meta/llama-3.2-1b-instruct",
            dataset={"name": "ds", "namespace": "ns1"},
            hyperparameters=HP,
            output_model="ns1/sdk",
        )
        fake.advance(200)
        status = client.customization.jobs.status(job.id)
        assert status.status == "completed" and status.metrics.metrics.val_loss[-1].value == status.val_loss
        assert job.output_model in [m.id for m in client.inference.models.list().data]
        reply = client.chat.completions.create(model=job.output_model, messages=[{"role": "user", "content": "hi"}])
        assert reply.choices[0].message.content == "echo: hi"
        ev = client.evaluation.jobs.create(
            config={"type": "gsm8k"}, target={"type": "model", "model": job.output_model}
        )
        fake.advance(100)
        result = client.evaluation.jobs.results(ev.id)
        assert (
            result.tasks["gsm8k"].metrics["exact_match__strict-match"].scores["exact_match__strict-match"].stats.count
            == 1319
        )
        assert [
            c.name for c in client.customization.configs.list(filter={"target_base_model": "llmops/tiny-llama"})
        ] == ["tiny-llama"]
        dep = client.deployment.model_deployments.retrieve("llama-3.2-1b-instruct", namespace="meta")
        assert dep.status_details.status == "ready"
        client.namespaces.create(id="x")
        with pytest.raises(sdk.ConflictError):
            client.namespaces.create(id="x")
        with pytest.raises(sdk.NotFoundError):
            client.customization.jobs.retrieve("cust-missing")
        assert (
            client.guardrail.check(
                model="m", messages=[{"role": "user", "content": "hi"}], guardrails={"config_id": "default/self-check"}
            ).status
            == "success"
        )
