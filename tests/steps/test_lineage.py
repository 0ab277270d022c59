"""Lineage and registry on a local MLflow (SQLite in a temporary workspace), without training.

The steps open-run, prepare-data, gate, register and rollout run as in the pipeline; adapters are
folders with an adapter_config.json, which is all the registry and the local serving index need.
Then `llmops rollback` restores the previous champion, re-points serving, and a second call changes nothing.
"""

import json
import os
from pathlib import Path

import pytest

from steps import registry, tracking
from steps.errors import NotFoundError
from tests.steps.test_steps import BILLS, ROOT, _open_run_inputs, step_inputs

BASE = "llmops/tiny-llama"
MODEL = "lineage-bills"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("lineage-ws")
    saved = dict(os.environ)
    os.environ.update({"LLMOPS_WORKSPACE": str(path), "LLMOPS_PROJECT_DIR": str(ROOT), "LLMOPS_PLATFORM": "local"})
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield path
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def state(ws):
    return {}


def _adapter(ws: Path, name: str) -> str:
    adapter_id = f"llmops/{name}@cust-{name}"
    folder = ws / "customization" / "adapters" / adapter_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text(json.dumps({"r": 8}))
    return adapter_id


def test_open_run_sets_up_the_experiment_and_logs_the_settings(ws, state):
    from steps.open_run import open_run

    run_id = open_run(_open_run_inputs("uid-lineage")).mlflow_run_id
    client = tracking.client()
    run = client.get_run(run_id)
    params = run.data.params
    assert params["base_model"] == BASE and params["platform"] == "local"
    assert params["lora_rank"] == "8" and params["epochs"] == "1" and "candidates" not in params  # none: one candidate
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.tags[tracking.EXPERIMENT_KIND_TAG] == "custom_model_development"  # model-training views
    state["run"] = run_id


def test_prepare_data_logs_one_dataset_input_per_split(ws, state):
    from steps.prepare_data import PrepareDataInput, prepare_data

    inputs = step_inputs(PrepareDataInput, mlflow_run_id=state["run"])
    out = prepare_data(inputs)
    prepare_data(inputs)  # a retry adds no second input
    run = tracking.client().get_run(state["run"])
    counts = json.loads(out.counts)
    found = {
        i.dataset.name: (i.dataset.digest, json.loads(i.dataset.profile)["num_rows"], {t.key: t.value for t in i.tags})
        for i in run.inputs.dataset_inputs
    }
    assert found == {
        f"bills/{split}": (out.dataset_revision, counts[split], {"mlflow.data.context": context})
        for split, context in (("training", "training"), ("validation", "validation"), ("testing", "evaluation"))
    }
    source = json.loads(run.inputs.dataset_inputs[0].dataset.source)
    assert source["uri"] == out.dataset_uri
    params = run.data.params
    assert params["dataset_source"] == str(BILLS.relative_to(ROOT)) and params["dataset_format"] == "bill-json"
    assert params["validation_fraction"] == "0.1" and params["split_seed"] == "0"
    state["revision"] = out.dataset_revision


def _gate(state, **policy):
    from steps.gate import GateInput, gate

    def bench(score: float) -> str:
        return json.dumps([{"benchmark": "triviaqa", "score": score, "stderr": 0.05, "n": 40}])

    def business(score: float) -> str:
        return json.dumps({"metric": "answer.all_fields_exact", "score": score, "stderr": 0.05, "n": 40})

    return gate(
        step_inputs(
            GateInput,
            mlflow_run_id=state["run"],
            base_benchmarks=bench(0.50),
            candidate_benchmarks=bench(0.49),
            base_business=business(0.20),
            candidate_business=business(0.60),
            **policy,
        )
    )


def test_gate_sets_the_description_the_settings_and_compact_rows(ws, state):
    out = _gate(state)
    assert out.decision == "pass"
    run = tracking.client().get_run(state["run"])
    assert run.data.tags[tracking.DESCRIPTION_TAG].splitlines()[0] == "gate: PASS"
    assert run.data.params["max_regression"] == "0.05" and run.data.params["gain_rule"] == "point"
    rows = json.loads(out.rows)
    assert set(rows) == {"triviaqa", "answer.all_fields_exact"}
    assert rows["answer.all_fields_exact"]["delta"] == pytest.approx(0.4) and rows["triviaqa"]["passed"] is True
    state["rows"] = out.rows


def _register(state, adapter_id: str):
    from steps.register import RegisterInput, register

    return register(
        RegisterInput(
            mlflow_run_id=state["run"],
            base_model=BASE,
            adapter_id=adapter_id,
            registered_model_name=MODEL,
            dataset_revision=state["revision"],
            gate_decision="pass",
            gate_rows=state["rows"],
        )
    ).model_version


def _rollout(state, adapter_id: str) -> str:
    from steps.rollout import RolloutInput, rollout

    return rollout(
        RolloutInput(
            mlflow_run_id=state["run"],
            base_model=BASE,
            adapter_id=adapter_id,
            registered_model_name=MODEL,
            gate_decision="pass",
        )
    ).model_version


def test_register_links_the_version_to_the_run_and_the_logged_model(ws, state):
    adapter = _adapter(ws, "first")
    version = _register(state, adapter)
    assert _register(state, adapter) == version  # a retry finds the version
    client = tracking.client()
    assert registry.alias_version(client, MODEL, registry.CHALLENGER) == version
    assert registry.alias_version(client, MODEL, registry.CHAMPION) is None  # waiting: not released
    mv = client.get_model_version(MODEL, version)
    model = client.get_logged_model(mv.source.removeprefix("models:/"))
    assert mv.run_id == state["run"] and model.source_run_id == state["run"]
    assert json.loads(model.tags["mlflow.modelVersions"]) == [{"name": MODEL, "version": version}]
    assert model.tags["llmops.adapter_id"] == adapter and model.status == "READY"
    assert mv.tags["dataset_revision"] == state["revision"] and mv.tags["gate.decision"] == "pass"
    assert json.loads(mv.tags["gate.answer.all_fields_exact"])["passed"] is True
    outputs = client.get_run(state["run"]).outputs.model_outputs
    assert [o.model_id for o in outputs] == [model.model_id]  # one LoggedModel, listed once
    assert client.search_model_versions(f"run_id = '{state['run']}'")[0].version == mv.version
    state["adapters"] = [adapter]


def test_rollout_moves_champion_previous_and_the_release(ws, state):
    from steps import platforms

    client = tracking.client()
    first = _rollout(state, state["adapters"][0])
    assert registry.alias_version(client, MODEL, registry.CHAMPION) == first
    assert registry.alias_version(client, MODEL, registry.CHALLENGER) is None  # released: challenger no more
    second_adapter = _adapter(ws, "second")
    second = _register(state, second_adapter)
    assert _rollout(state, second_adapter) == second != first
    assert registry.alias_version(client, MODEL, registry.PREVIOUS) == first
    deployer = platforms.build().deployer
    assert deployer.released_adapter(BASE) == second_adapter
    state["adapters"].append(second_adapter)
    state["versions"] = [first, second]


def test_a_rejected_candidate_stays_the_challenger(ws, state):
    rejected = _register(state, _adapter(ws, "third"))  # approval said NO: rollout never runs
    client = tracking.client()
    assert registry.alias_version(client, MODEL, registry.CHALLENGER) == rejected
    assert registry.alias_version(client, MODEL, registry.CHAMPION) == state["versions"][1]


def test_rollback_restores_the_previous_champion_once(ws, state, capsys, monkeypatch):
    from steps import platforms
    from workflows import cli

    monkeypatch.setenv("LLMOPS_USER", "oncall")
    first, second = state["versions"]
    assert cli.main(["rollback", MODEL, "--reason", "complaints about dates"]) == 0
    assert f"rolled back from v{second} to v{first}" in capsys.readouterr().out
    client = tracking.client()
    assert registry.alias_version(client, MODEL, registry.CHAMPION) == first
    assert registry.alias_version(client, MODEL, registry.PREVIOUS) is None
    assert platforms.build().deployer.released_adapter(BASE) == state["adapters"][0]  # serving re-pointed
    restored = json.loads(client.get_model_version(MODEL, first).tags["rollback.restored"])
    assert restored["by"] == "oncall" and restored["reason"] == "complaints about dates"
    assert restored["replaced"] == second and restored["at"]
    assert json.loads(client.get_model_version(MODEL, second).tags["rollback.demoted"])["restored"] == first
    index = (ws / "serving.json").read_text(), (ws / "released.json").read_text()

    assert cli.main(["rollback", MODEL, "--reason", "again"]) == 0
    out = capsys.readouterr().out
    assert "already rolled back" in out and "nothing changed" in out
    assert registry.alias_version(client, MODEL, registry.CHAMPION) == first
    assert ((ws / "serving.json").read_text(), (ws / "released.json").read_text()) == index
    assert (
        json.loads(client.get_model_version(MODEL, first).tags["rollback.restored"])["reason"]
        == "complaints about dates"
    )


def test_rollback_says_what_is_missing(ws, state, capsys):
    from steps.rollback import rollback
    from workflows import cli

    with pytest.raises(NotFoundError, match="does not exist"):
        rollback("no-such-model", "x")
    client = tracking.client()
    client.create_registered_model("never-released")
    with pytest.raises(NotFoundError, match="has no champion"):
        rollback("never-released", "x")
    assert cli.main(["rollback", "never-released", "--reason", "x"]) == 2
    assert "nothing was released" in capsys.readouterr().err
