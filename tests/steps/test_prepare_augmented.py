"""Step prepare-data with dataset.augmentation on the local platform: the project's tiny model writes the
paraphrases (what it writes is beside the point here: rows without values, so its text passes the filters
unless empty or repeated), the kept ones are labelled and only in training, the revision covers them, the
report is in MLflow, and a generator that cannot be reached stores nothing."""

import json
import os

import pytest

from steps import platforms, tracking
from steps.contracts import TESTING_FILE, TRAINING_FILE, VALIDATION_FILE
from steps.dataset_splits import SYNTHETIC_FILE
from steps.errors import LlmopsError
from tests.steps.test_steps import ROOT, _open_run_inputs, step_inputs

QUESTIONS = [
    "why is my bill higher this month",
    "what is the roaming charge",
    "can you explain the late fee",
    "what does the plan upgrade mean",
    "why was I charged for data",
    "what is this extra line on my bill",
    "how do I read my invoice",
    "what is the service fee",
]


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("augmented-ws")
    saved = dict(os.environ)
    os.environ.update(
        {
            "LLMOPS_WORKSPACE": str(path),
            "LLMOPS_PROJECT_DIR": str(ROOT),
            "LLMOPS_PLATFORM": "local",
            "LLMOPS_THREADS": "1",
        }
    )
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield path
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def run_id(ws):
    from steps.open_run import open_run

    return open_run(_open_run_inputs("uid-augmented")).mlflow_run_id


def _source(tmp_path):
    rows = [
        {
            "id": f"q{index}",
            "messages": [
                {"role": "user", "content": question},
                {"role": "assistant", "content": f"Answer {index}."},
            ],
        }
        for index, question in enumerate(QUESTIONS)
    ]
    rows.append(
        {
            **rows[0],
            "id": "already",
            "synthetic": True,
            "messages": [{"role": "user", "content": "a made up one"}, rows[0]["messages"][1]],
        }
    )
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _inputs(run_id: str, source, **augmentation):
    from steps.prepare_data import PrepareDataInput

    return step_inputs(
        PrepareDataInput,
        mlflow_run_id=run_id,
        dataset_source=str(source),
        dataset_format="openai-chat",
        dataset_group_by="",
        dataset_test_source="",
        validation_fraction=0.2,
        test_fraction=0.2,
        dataset_name="augmented",
        dataset_augmentation=json.dumps(augmentation) if augmentation else "",
    )


def test_paraphrases_join_training_labelled_and_are_logged(ws, run_id, tmp_path):
    from steps.prepare_data import prepare_data

    source = _source(tmp_path)
    plain = prepare_data(_inputs(run_id, source))
    section = {"model": "llmops/tiny-llama", "max_tokens": 12, "temperature": 0.8, "seed": 1}
    out = prepare_data(_inputs(run_id, source, **section))
    assert out.dataset_revision != plain.dataset_revision  # the revision covers the generated rows
    store = platforms.build("local").datastore
    generated = store.read_jsonl(out.dataset_uri, SYNTHETIC_FILE)
    training = store.read_jsonl(out.dataset_uri, TRAINING_FILE)
    before = json.loads(plain.counts)
    assert generated and json.loads(out.counts)["training"] == before["training"] + len(generated)
    for row in generated:
        assert row["synthetic"] is True and row["id"].startswith("aug-") and row["augmented_from"] != "already"
        assert row["generator"]["model"] == "llmops/tiny-llama" and row["generator"]["platform"] == "local"
        assert {"messages": row["messages"]} in training
    prompts = {row["messages"][0]["content"] for row in generated}
    validation = store.read_jsonl(out.dataset_uri, VALIDATION_FILE)
    testing = store.read_jsonl(out.dataset_uri, TESTING_FILE)
    assert not prompts & {row["messages"][0]["content"] for row in [*validation, *testing]}
    assert validation == store.read_jsonl(plain.dataset_uri, VALIDATION_FILE)  # untouched
    assert testing == store.read_jsonl(plain.dataset_uri, TESTING_FILE)

    client = tracking.client()
    child = max(
        (run for run in tracking.children(run_id) if "augmentation_model" in run.data.params),
        key=lambda run: run.info.start_time,
    )
    assert child.data.params["augmentation_temperature"] == "0.8"
    metrics = child.data.metrics
    assert metrics["augmentation_kept"] == len(generated) and metrics["augmentation_skipped_synthetic"] >= 0
    assert metrics["augmentation_asked"] == metrics["augmentation_kept"] + sum(
        v for k, v in metrics.items() if k.startswith("augmentation_dropped_")
    )
    client.download_artifacts(child.info.run_id, "augmentation", str(tmp_path / "artifacts"))
    report = json.loads((tmp_path / "artifacts" / "augmentation" / "report.json").read_text())
    assert report["kept"] == len(generated) and report["generator"]["seed"] == 1


def test_a_generator_that_cannot_be_reached_stores_nothing(ws, run_id, tmp_path):
    from steps.prepare_data import prepare_data

    source = _source(tmp_path)
    before = sorted((ws / "datastore").rglob("*"))
    runs_before = len(tracking.children(run_id))
    section = {"model": "gen", "endpoint": "http://127.0.0.1:9/v1", "api_key_env": "LLMOPS_TEST_AUGMENT_KEY"}
    with pytest.raises(LlmopsError, match="LLMOPS_TEST_AUGMENT_KEY, which is not set"):
        prepare_data(_inputs(run_id, source, **section))
    os.environ["LLMOPS_AUGMENT_TIME_SCALE"] = "0.001"
    os.environ["LLMOPS_TEST_AUGMENT_KEY"] = "secret-value-1234"
    try:
        with pytest.raises(LlmopsError, match=r"dataset.augmentation: generating paraphrases with gen at http") as info:
            prepare_data(_inputs(run_id, source, **section))
    finally:
        del os.environ["LLMOPS_TEST_AUGMENT_KEY"], os.environ["LLMOPS_AUGMENT_TIME_SCALE"]
    assert "nothing was stored" in str(info.value) and "secret-value-1234" not in str(info.value)
    assert sorted((ws / "datastore").rglob("*")) == before
    assert len(tracking.children(run_id)) == runs_before
