"""Every step function called directly, as a test would call the function inside its container.

The steps share one workspace (module scope) and go in pipeline order: open-run, prepare-data,
deploy-base, customize, wait-for-adapter, benchmark, business-eval, gate, rollout, finalize.
Inputs that come from workflow parameters take the run spec's defaults (`step_inputs`), as in the pipeline.
"""

import json
import os
from pathlib import Path

import pytest

from steps import tracking
from steps.errors import InvalidInputError, NotFoundError, PlatformNotAvailableError, StepFailedError
from workflows import parameters, runspec

ROOT = Path(__file__).resolve().parents[2]
BILLS = ROOT / "examples" / "bill-explainer" / "bills.jsonl"
UID = "uid-steps-test"
EMPTY_SPEC = runspec.RunSpec(
    name="steps-test",
    base_model="llmops/tiny-llama",
    dataset={"source": str(BILLS.relative_to(ROOT)), "name": "bills", "format": "bill-json"},
    business_eval={
        "metrics": [
            {
                "name": "answer",
                "type": "json-fields",
                "fields": ["bill_found", "bill_id", "bill_date", "change_reason"],
                "ignore_case": ["bill_found"],
                "balanced": ["change_reason"],
            }
        ],
        "headline": "answer.all_fields_exact",
    },
)


def step_inputs(cls, **values):
    """A step's inputs as the pipeline passes them: workflow parameters of an empty run spec, then values."""
    defaults = {p.name: p.default for p in parameters.PARAMETERS} | parameters.arguments(EMPTY_SPEC)
    return cls(**{k: v for k, v in defaults.items() if k in cls.model_fields} | values)


def business_inputs(state, **values):
    """business-eval's inputs as the pipeline passes them: the base weights (deploy-base) and the key of the
    inputs (business-eval-key)."""
    from steps.business_eval import BusinessEvalInput
    from steps.business_eval_key import BusinessEvalSettings, key_of

    settings = step_inputs(BusinessEvalSettings, model_key=state["model_key"], **values)
    return BusinessEvalInput(mlflow_run_id=state["run"], memo_key=key_of(settings), **settings.model_dump())


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("steps-ws")
    saved = dict(os.environ)
    os.environ.update(
        {
            "LLMOPS_WORKSPACE": str(path),
            "LLMOPS_PROJECT_DIR": str(ROOT),
            "LLMOPS_THREADS": "1",
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
        }
    )
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield path
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def state(ws):
    """Outputs of earlier steps, filled in as the tests go (pipeline order)."""
    return {}


def _open_run_inputs(uid: str, **values):
    from steps.open_run import OpenRunInput

    return step_inputs(
        OpenRunInput,
        workflow_name="wf-steps",
        workflow_uid=uid,
        run_spec_name="bill-explainer",
        run_spec_hash="ab" * 32,
        git_commit="c0ffee",
        **values,
    )


def test_open_run_creates_parent_once(ws, state, monkeypatch):
    from steps.open_run import open_run

    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    inputs = _open_run_inputs(UID)
    assert inputs.platform == ""  # an empty run spec names no platform
    first = open_run(inputs).mlflow_run_id
    assert open_run(inputs).mlflow_run_id == first  # a retried pod finds the run it created
    tags = tracking.client().get_run(first).data.tags
    assert tags["argo.workflow.uid"] == UID and tags["mlflow.source.git.commit"] == "c0ffee"
    assert tags["llmops.platform"] == "local"  # taken from the environment
    assert tags["llmops.trigger"] == "git"  # a run spec's run; a flywheel's says schedule or new-data
    state["run"] = first


def test_open_run_tags_the_platform_the_run_spec_names(ws, monkeypatch):
    from steps.open_run import open_run

    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    run_id = open_run(_open_run_inputs("uid-named-platform", platform="local")).mlflow_run_id
    assert tracking.client().get_run(run_id).data.tags["llmops.platform"] == "local"


def test_open_run_refuses_a_platform_other_than_the_configured_one(ws, monkeypatch):
    from steps.open_run import open_run

    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    with pytest.raises(PlatformNotAvailableError) as info:
        open_run(_open_run_inputs("uid-wrong-platform", platform="nemo"))
    message = str(info.value)
    assert "names platform 'nemo'" in message and "configured for 'local'" in message
    assert "set LLMOPS_PLATFORM=nemo" in message and "change `platform:` in the run spec" in message
    assert tracking.find_parent("uid-wrong-platform") is None  # refused before the parent run exists


def test_prepare_data_uploads_once_and_rejects_bad_rows(ws, state, tmp_path):
    from steps.prepare_data import PrepareDataInput, prepare_data

    inputs = step_inputs(PrepareDataInput, mlflow_run_id=state["run"])
    assert (inputs.dataset_source, inputs.dataset_name) == (str(BILLS.relative_to(ROOT)), "bills")
    out = prepare_data(inputs)
    again = prepare_data(inputs)
    assert again.dataset_uri == out.dataset_uri  # content-addressed: same input, same revision
    counts = json.loads(out.counts)
    assert sum(counts.values()) == 300 and min(counts.values()) > 0
    state["dataset"] = out.dataset_uri
    from steps import platforms

    state["test_rows"] = platforms.build("local").datastore.read_jsonl(out.dataset_uri, "testing/testing.jsonl")

    bad = tmp_path / "bad.jsonl"
    lines = BILLS.read_text().splitlines()
    bad.write_text("\n".join([*lines[:3], "{not json", *lines[3:6]]) + "\n")
    before = sorted((ws / "datastore").rglob("*"))
    with pytest.raises(InvalidInputError, match=rf"{bad}:4: not valid JSON"):
        prepare_data(
            step_inputs(PrepareDataInput, mlflow_run_id=state["run"], dataset_source=str(bad), dataset_name="bad")
        )
    assert sorted((ws / "datastore").rglob("*")) == before
    with pytest.raises(NotFoundError):
        prepare_data(
            step_inputs(
                PrepareDataInput, mlflow_run_id=state["run"], dataset_source="missing.jsonl", dataset_name="bad"
            )
        )


def test_prepare_data_takes_the_test_split_from_a_test_source(ws, state, tmp_path):
    from steps.prepare_data import PrepareDataInput, prepare_data

    lines = BILLS.read_text().splitlines()
    source, test = tmp_path / "source.jsonl", tmp_path / "test.jsonl"
    source.write_text("\n".join(lines[:60]) + "\n")
    test.write_text("\n".join(lines[60:80]) + "\n")
    out = prepare_data(
        step_inputs(
            PrepareDataInput,
            mlflow_run_id=state["run"],
            dataset_source=str(source),
            dataset_test_source=str(test),
            test_fraction=0.0,
            dataset_name="bills-held-out",
        )
    )
    counts = json.loads(out.counts)
    assert counts["testing"] == 20 and counts["training"] + counts["validation"] == 60
    child = tracking.client().search_runs(
        [tracking.client().get_run(state["run"]).info.experiment_id],
        filter_string=f"params.test_source = '{test}'",
    )
    assert len(child) == 1 and child[0].data.params["source"] == str(source)
    with pytest.raises(InvalidInputError, match="set test_fraction to 0"):
        prepare_data(
            step_inputs(
                PrepareDataInput,
                mlflow_run_id=state["run"],
                dataset_source=str(source),
                dataset_test_source=str(test),
                dataset_name="bills-held-out",
            )
        )


def test_deploy_base_is_stable(ws, state):
    from steps.deploy_base import DeployBaseInput, deploy_base

    out = deploy_base(DeployBaseInput(mlflow_run_id=state["run"], base_model="llmops/tiny-llama"))
    assert out.model_id == "llmops/tiny-llama"
    assert (
        deploy_base(DeployBaseInput(mlflow_run_id=state["run"], base_model="llmops/tiny-llama")).model_key
        == out.model_key
    )
    state["model_key"] = out.model_key
    with pytest.raises(NotFoundError):
        deploy_base(DeployBaseInput(mlflow_run_id=state["run"], base_model="acme/unknown"))


def test_customize_trains_once_then_finds_the_job(ws, state):
    from steps.customize import CustomizeInput, customize

    inputs = step_inputs(
        CustomizeInput,
        mlflow_run_id=state["run"],
        dataset_uri=state["dataset"],
        output_model="bills",
        max_steps=3,
        batch_size=4,
    )
    out = customize(inputs)
    assert (ws / "customization" / "adapters" / out.adapter_id / "adapter_config.json").exists()
    mtime = (ws / "customization" / "adapters" / out.adapter_id / "adapter_config.json").stat().st_mtime
    assert customize(inputs).job_id == out.job_id  # found, not retrained
    assert (ws / "customization" / "adapters" / out.adapter_id / "adapter_config.json").stat().st_mtime == mtime
    client = tracking.client()
    first, again = sorted(
        (r for r in tracking.children(state["run"]) if r.info.run_name == "customize"), key=lambda r: r.info.start_time
    )
    curves = [
        [(m.step, m.value) for m in client.get_metric_history(r.info.run_id, "train_loss")] for r in (first, again)
    ]
    assert curves[0] and curves[1] == curves[0]  # the run that found the job shows the curve it recorded
    (output,) = client.get_run(state["run"]).outputs.model_outputs  # the adapter as a LoggedModel, logged once
    model = client.get_logged_model(output.model_id)
    assert model.tags["llmops.adapter_id"] == out.adapter_id and model.params["lora.rank"] == str(inputs.lora_rank)
    assert "adapter_config.json" in {f.path for f in client.list_logged_model_artifacts(model.model_id)}
    assert client.get_run(state["run"]).data.params["lora_rank"] == str(inputs.lora_rank)
    state["adapter"] = out.adapter_id


def test_wait_for_adapter_answers(ws, state):
    from steps.wait_for_adapter import WaitForAdapterInput, wait_for_adapter

    out = wait_for_adapter(
        WaitForAdapterInput(mlflow_run_id=state["run"], base_model="llmops/tiny-llama", adapter_id=state["adapter"])
    )
    assert out.model_id == state["adapter"]
    with pytest.raises(NotFoundError):
        wait_for_adapter(
            WaitForAdapterInput(
                mlflow_run_id=state["run"], base_model="llmops/tiny-llama", adapter_id="no-such-adapter"
            )
        )


@pytest.mark.parametrize("target", ["base", "candidate"])
def test_benchmark_scores_with_n(ws, state, target):
    from steps.benchmark import BenchmarkInput, benchmark
    from steps.benchmark_keys import BenchmarkSettings, key_of

    adapter = state["adapter"] if target == "candidate" else ""
    given = step_inputs(
        BenchmarkSettings, target=target, model_key=state["model_key"], adapter_id=adapter, benchmark_limit=3
    )
    out = benchmark(
        BenchmarkInput(
            mlflow_run_id=state["run"], benchmark="triviaqa", memo_key=key_of(given, "triviaqa"), **given.model_dump()
        )
    )
    result = json.loads(out.scores)
    assert result["benchmark"] == "triviaqa" and result["target"] == target and result["n"] == 3
    assert 0.0 <= result["score"] <= 1.0
    items = result["items"]  # per-item values for the paired gate, compact: id and value only
    assert len(items) == 3 and all(set(item) == {"id", "value"} for item in items)
    assert sum(item["value"] for item in items) / 3 == pytest.approx(result["score"], abs=1e-12)
    state.setdefault("bench", {})[target] = out.scores


@pytest.mark.parametrize("target", ["base", "candidate"])
def test_business_eval_scores_held_out_rows(ws, state, target):
    from steps.business_eval import business_eval

    adapter = state["adapter"] if target == "candidate" else ""
    out = business_eval(
        business_inputs(
            state,
            target=target,
            adapter_id=adapter,
            dataset_uri=state["dataset"],
            business_limit=4,
            business_max_tokens=8,
        )
    )
    result = json.loads(out.scores)
    source = tracking.client().get_run(result["source_run_id"])  # the run that computed it, for a later reuse
    assert source.info.run_name == f"business-eval-{target}" and source.data.tags["mlflow.parentRunId"] == state["run"]
    assert result["metric"] == "answer.all_fields_exact" and result["n"] == 4
    fields = {"valid_json", "bill_found", "bill_id", "bill_date", "all_fields_exact", "change_reason_balanced"}
    assert set(result["metrics"]) >= {f"answer.{name}" for name in fields}
    assert [item["id"] for item in result["items"]] == [row["id"] for row in state["test_rows"][:4]]
    assert sum(item["value"] for item in result["items"]) / 4 == result["score"]
    state.setdefault("business", {})[target] = out.scores


def test_business_eval_rejects_a_headline_the_task_does_not_compute(ws, state):
    from steps.business_eval import business_eval

    with pytest.raises(InvalidInputError, match=r"headline 'answer.bleu'.*answer.all_fields_exact"):
        business_eval(
            business_inputs(state, target="base", dataset_uri=state["dataset"], business_headline="answer.bleu")
        )


def test_business_eval_candidate_needs_adapter(ws, state):
    from steps.business_eval import business_eval

    with pytest.raises(InvalidInputError, match="adapter_id"):
        business_eval(business_inputs(state, target="candidate", dataset_uri=state["dataset"]))


def test_business_eval_refuses_the_key_of_other_inputs(ws, state):
    from steps.business_eval import business_eval

    inputs = business_inputs(state, target="base", dataset_uri=state["dataset"], business_limit=4)
    other = business_inputs(state, target="base", dataset_uri=state["dataset"], business_limit=5)
    with pytest.raises(InvalidInputError, match=r"memo_key .* is not the key of this step's inputs"):
        business_eval(inputs.model_copy(update={"memo_key": other.memo_key}))


def _gate(state, **policy):
    from steps.gate import GateInput, gate

    results = {
        "base_benchmarks": json.dumps([state["bench"]["base"]]),
        "candidate_benchmarks": json.dumps([state["bench"]["candidate"]]),
        "base_business": state["business"]["base"],
        "candidate_business": state["business"]["candidate"],
    }
    return gate(step_inputs(GateInput, **({"mlflow_run_id": state["run"]} | results | {"min_samples": 3} | policy)))


def test_gate_verdict_follows_policy(ws, state):
    blocked = _gate(state, min_business_gain=0.5)
    assert blocked.decision == "block" and "gate: BLOCKED" in blocked.report
    passed = _gate(state, min_business_gain=-1.0, max_regression=1.0)
    assert passed.decision == "pass" and "gate: PASS" in passed.report
    assert tracking.client().get_run(state["run"]).data.tags["llmops.gate.decision"] == "pass"
    too_few = _gate(state, min_business_gain=-1.0, max_regression=1.0, min_samples=1000)
    assert too_few.decision == "block"


def test_a_workflow_that_reused_evaluations_names_their_runs_and_reports_them(ws, state):
    """A later workflow whose evaluations were memoized has no child runs for them: the gate tags its parent run
    with the runs that computed them, and the report reads their per-item tables and lists them."""
    from steps import run_report

    first = tracking.client().get_run(state["run"]).data.tags
    assert not any(key.startswith("llmops.reused.") for key in first)  # the first workflow computed its own
    later = tracking.open_parent("llmops", "later", "uid-later", {})
    assert _gate(state, mlflow_run_id=later, min_business_gain=-1.0, max_regression=1.0).decision == "pass"
    tags = tracking.client().get_run(later).data.tags
    sources = {
        f"llmops.reused.{step}": json.loads(result)["source_run_id"]
        for step, result in [
            ("business-eval-base", state["business"]["base"]),
            ("business-eval-candidate", state["business"]["candidate"]),
            ("benchmark-triviaqa-base", state["bench"]["base"]),
            ("benchmark-triviaqa-candidate", state["bench"]["candidate"]),
        ]
    }
    assert {key: value for key, value in tags.items() if key.startswith("llmops.reused.")} == sources
    assert [run.info.run_id for run in tracking.reused(later)] == [sources[key] for key in sorted(sources)]
    report = run_report.collect(tracking, later, "Succeeded", None)
    assert report.decision is not None and not any("per-item tables" in note for note in report.notes)
    names = {step.name for step in report.steps}
    assert f"business-eval-base (reused from run {sources['llmops.reused.business-eval-base']})" in names
    assert "gate" in names


def test_gate_fails_clearly_when_no_candidate_finished(ws, state):
    from steps.errors import StepFailedError

    with pytest.raises(StepFailedError, match=r"no candidate finished \('solo': see the failed steps of each\)"):
        _gate(state, candidate_list='[{"name": "solo"}]', candidate_benchmarks="[]", candidate_business="[]")


def test_gate_blocks_on_a_policy_benchmark_that_did_not_run(ws, state):
    missing = _gate(
        state, min_business_gain=-1.0, max_regression=1.0, max_regression_per_benchmark=json.dumps({"not-run": 0.01})
    )
    assert missing.decision == "block" and "not-run: no base score" in missing.report


def test_rollout_promotes_champion_and_keeps_previous(ws, state):
    from steps.rollout import RolloutInput, rollout

    def release(adapter: str) -> str:
        return rollout(
            RolloutInput(
                mlflow_run_id=state["run"],
                base_model="llmops/tiny-llama",
                adapter_id=adapter,
                registered_model_name="bills",
                gate_decision="pass",
            )
        ).model_version

    with pytest.raises(StepFailedError, match="gate decision"):
        rollout(
            RolloutInput(
                mlflow_run_id=state["run"],
                base_model="llmops/tiny-llama",
                adapter_id=state["adapter"],
                registered_model_name="bills",
                gate_decision="block",
            )
        )
    first = release(state["adapter"])
    assert release(state["adapter"]) == first  # re-run finds the registered version
    client = tracking.client()
    assert str(client.get_model_version_by_alias("bills", "champion").version) == first

    from steps.customize import CustomizeInput, customize

    other = customize(
        step_inputs(
            CustomizeInput,
            mlflow_run_id=state["run"],
            dataset_uri=state["dataset"],
            output_model="bills",
            max_steps=2,
            batch_size=4,
            train_seed=1,
        )
    ).adapter_id
    second = release(other)
    assert second != first
    assert str(client.get_model_version_by_alias("bills", "champion").version) == second
    assert str(client.get_model_version_by_alias("bills", "previous").version) == first
    served = json.loads((ws / "serving.json").read_text())
    assert set(served["llmops/tiny-llama"]) == {state["adapter"], other}


def test_guardrails_check_the_released_adapter(ws, state):
    from steps.guardrails_check import GuardrailsInput, guardrails

    inputs = step_inputs(
        GuardrailsInput,
        mlflow_run_id=state["run"],
        adapter_id=state["adapter"],
        dataset_uri=state["dataset"],
        guardrails_limit=3,
        business_max_tokens=8,
    )
    summary = json.loads(guardrails(inputs).checked)
    assert summary["checked"] == 3 and summary["blocked"] == 0 and summary["config"] == "created"
    assert json.loads(guardrails(inputs).checked)["config"] == "unchanged"


def test_finalize_closes_parent_with_status_and_report(ws, state):
    from steps.finalize import FinalizeInput, finalize

    out = finalize(FinalizeInput(workflow_uid=UID, workflow_name="wf-steps", workflow_status="Failed"))
    assert out.mlflow_status == "FAILED"
    parent = tracking.client().get_run(state["run"])
    assert parent.info.status == "FAILED"
    report = (ws / "reports" / "wf-steps" / "report.md").read_text()
    assert report.splitlines()[0] == out.verdict
    assert out.verdict.startswith("BLOCKED on not-run (point rule): no base score")
    assert "| customize | FINISHED |" in report and "- gate decision: block" in report
    assert (ws / "reports" / "wf-steps" / "charts" / "loss.png").exists()  # the real training's loss curve
    missing = finalize(FinalizeInput(workflow_uid="never-opened", workflow_name="x", workflow_status="Error"))
    assert missing.mlflow_status == "NONE"
