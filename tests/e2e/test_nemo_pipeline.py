"""The whole pipeline on the `nemo` platform, against the fake NeMo platform (real HTTP on 127.0.0.1).

Same rendered manifests, same local runner, same steps; only LLMOPS_PLATFORM and the endpoints
differ. NIM answers with the project's tiny model. Faults are injected into the fake; the fake's
request log proves that no job, evaluation or deployment was created twice.
"""

import pytest

from steps import tracking
from tests.fakes.nemo_platform import FakeNemoPlatform, Fault, FaultPlan
from workflows import cli

BENCHMARK_SUITES = ["squad", "triviaqa"]


@pytest.fixture
def nim_model(llmops_env):
    from steps.local.base_model import ensure_base_model
    from steps.local.chat_model import LocalChatModel

    return LocalChatModel(ensure_base_model(), model_id="llmops/tiny-llama")


@pytest.fixture
def platform(llmops_env, nim_model, monkeypatch):
    def start(faults=()):
        fake = FakeNemoPlatform(
            faults=FaultPlan(list(faults)), time_scale=0.005, chat_model=nim_model, score_fn=same_score_for_every_model
        ).start()
        monkeypatch.setenv("LLMOPS_PLATFORM", "nemo")
        monkeypatch.setenv("NEMO_URL", fake.nemo_url)
        monkeypatch.setenv("NDS_URL", fake.nds_url)
        monkeypatch.setenv("NIM_URL", fake.nim_url)
        monkeypatch.setenv("LLMOPS_NEMO_TIME_SCALE", "0.01")
        started.append(fake)
        return fake

    started: list[FakeNemoPlatform] = []
    yield start
    for fake in started:
        fake.stop()


def same_score_for_every_model(model_id, task, metric, score, n):
    """The Evaluator's verdict does not depend on the model: the gate's regression check passes."""
    return 0.5


def nemo_spec(make_spec, name):
    return make_spec(
        name, benchmarks={"suites": BENCHMARK_SUITES, "limit": 5}, release={"registered_model_name": f"{name}-model"}
    )


def assert_no_duplicate_creations(fake, kinds=("customization_job", "evaluation_job", "deployment")) -> None:
    """No customization job, evaluation job or deployment was created twice for the same content."""
    identity = {
        "customization_job": lambda b: b["custom_fields"]["llmops_job_key"],
        "evaluation_job": lambda b: b["description"],
        "deployment": lambda b: (b.get("namespace"), b.get("name")),
    }
    for kind in kinds:
        key = identity[kind]
        keys = [key(c.body) for c in fake.creations(kind)]
        assert len(keys) == len(set(keys)), f"duplicate {kind} creations: {keys}"


def parent_run(name: str):
    client = tracking.client()
    [run] = client.search_runs(
        [client.get_experiment_by_name("llmops").experiment_id],
        filter_string=f"tags.`llmops.run_spec` = '{name}'",
        max_results=1,
    )
    return run


def test_pipeline_completes_against_nemo(platform, make_spec, capsys, monkeypatch, workspace):
    secrets = {"NGC_API_KEY": "nvapi-nemo-e2e-3c1d", "HF_TOKEN": "hf_nemo_e2e_8e2a"}
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    fake = platform()
    spec = make_spec(
        "nemo-ok",
        benchmarks={"suites": BENCHMARK_SUITES, "limit": 5},
        guardrails={"check": True},
        release={"registered_model_name": "nemo-ok-model"},
    )
    assert cli.main(["run", str(spec), "--auto-approve"]) == 0
    out = capsys.readouterr().out
    assert "gate: PASS" in out and "released as version" in out

    parent = parent_run("nemo-ok")
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["llmops.dataset_uri"].startswith("hf://datasets/llmops/telecom-bills@")
    children = {c.info.run_name for c in tracking.children(parent.info.run_id)}
    assert {
        "prepare-data",
        "deploy-base",
        "customize",
        "wait-for-adapter",
        "gate",
        "rollout",
        "guardrails",
        "business-eval-base",
        "business-eval-candidate",
    } <= children
    assert len(fake.creations("guardrail_config")) == 1
    for name in BENCHMARK_SUITES:
        assert f"base.{name}" in parent.data.metrics and f"candidate.{name}" in parent.data.metrics

    assert len(fake.creations("customization_job")) == 1
    assert len(fake.creations("deployment")) == 1
    assert len(fake.creations("evaluation_job")) == 2 * len(BENCHMARK_SUITES)
    assert_no_duplicate_creations(fake)
    version = tracking.client().get_model_version_by_alias("nemo-ok-model", "champion")
    assert version.source.startswith(f"{fake.nemo_url}/v1/models/")
    leaked = [
        (path, key)
        for path in workspace.rglob("*")
        if path.is_file()
        for key, value in secrets.items()
        if value.encode() in path.read_bytes()
    ]
    assert leaked == [] and not any(value in out for value in secrets.values())


def test_transient_faults_are_survived_without_duplicates(platform, make_spec, capsys):
    fake = platform(
        [
            Fault("http_5xx", match_method="GET", match_path_regex=r"/v1/customization/jobs/.*/status", times=3),
            Fault("rate_limit", match_method="GET", match_path_regex=r"/nim/v1/models", times=2, seconds=0),
            Fault("reset", match_method="GET", match_path_regex=r"/v1/evaluation/jobs/.*", times=2),
            Fault(
                "timeout",
                match_method="POST",
                match_path_regex=r"^/v1/customization/jobs$",
                seconds=1,
                commit_before_timeout=True,
            ),
            Fault("conflict", match_method="POST", match_path_regex=r"^/v1/datasets$"),
            Fault("http_5xx", match_method="POST", match_path_regex=r"^/v1/evaluation/jobs$", status=502),
            Fault("slow_model_sync", seconds=20),
        ]
    )
    assert cli.main(["run", str(nemo_spec(make_spec, "nemo-faults")), "--auto-approve"]) == 0
    assert "gate: PASS" in capsys.readouterr().out
    assert len(fake.creations("customization_job")) == 1  # the lost response was not re-posted blindly
    assert len(fake.creations("deployment")) == 1
    # base scores come from the memoization cache of earlier runs; every candidate is evaluated
    assert len(fake.creations("evaluation_job")) >= len(BENCHMARK_SUITES)
    assert_no_duplicate_creations(fake)


def test_failed_job_fails_the_step_runs_finalize_and_a_rerun_reuses_what_exists(platform, make_spec, capsys):
    fake = platform([Fault("job_fails", match_path_regex=r"^/v1/evaluation/jobs$", detail="GPU node lost")])
    spec = nemo_spec(make_spec, "nemo-fail")
    assert cli.main(["run", str(spec), "--auto-approve"]) == 1
    out = capsys.readouterr().out
    assert "GPU node lost" in out
    assert parent_run("nemo-fail").info.status == "FAILED"  # finalize ran on exit
    commits = len(fake.creations("hf_commit"))
    assert len(fake.creations("customization_job")) == 1

    assert cli.main(["run", str(spec), "--auto-approve"]) == 0
    assert len(fake.creations("hf_commit")) == commits  # same dataset revision reused
    assert len(fake.creations("customization_job")) == 1  # finished job and its adapter reused
    assert len(fake.creations("deployment")) == 1
    # the failed evaluation is the one thing created again: a failed job is not reused
    assert_no_duplicate_creations(fake, kinds=("customization_job", "deployment"))


def test_stalled_customization_fails_with_a_clear_message(platform, make_spec, capsys, monkeypatch):
    platform([Fault("job_stalls", match_path_regex=r"^/v1/customization/jobs$")])
    # The stall timeout (an hour, scaled) is what this test waits on: a fifth of the other tests' scale gives
    # up after 7 s instead of 36 s; the fake's lifecycles (time_scale 0.005) still end well within every wait.
    monkeypatch.setenv("LLMOPS_NEMO_TIME_SCALE", "0.002")
    assert cli.main(["run", str(nemo_spec(make_spec, "nemo-stall")), "--auto-approve"]) == 1
    out = capsys.readouterr().out
    assert "step customize failed" in out and "no progress for" in out
    assert parent_run("nemo-stall").info.status == "FAILED"  # finalize ran on exit
