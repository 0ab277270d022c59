"""NemoDatastore against the fake Data Store + Entity Store: one commit, content-addressed, 409 = exists."""

from __future__ import annotations

import json
import logging

import pytest

from steps.errors import InvalidInputError, NotFoundError
from steps.nemo.datastore import NemoDatastore, parse_uri
from steps.nemo.hub import git_blob_id
from tests.nemo.conftest import HF_SECRET, assert_no_secrets, fault

FILES = {
    "training/training.jsonl": b'{"prompt": "a", "completion": "b"}\n',
    "validation/validation.jsonl": b'{"prompt": "c", "completion": "d"}\n',
    "testing/testing.jsonl": b'{"messages": [], "reference": "e"}\n',
}


def test_put_commits_every_file_once_registers_the_dataset_and_is_content_addressed(make_fake, caplog):
    fake = make_fake()
    store = NemoDatastore()
    with caplog.at_level(logging.DEBUG):
        ref = store.put_dataset("llmops", "bills", FILES)
    assert ref.created and ref.files == sorted(FILES)
    assert ref.uri == f"hf://datasets/llmops/bills@{ref.revision}" and parse_uri(ref.uri)[2] == ref.revision
    assert fake.hf_files("llmops/bills") == FILES
    assert len(fake.creations("hf_commit")) == 1
    namespace_posts = [r for r in fake.requests if r.method == "POST" and r.path == "/v1/datastore/namespaces"]
    assert namespace_posts[0].form == {"namespace": "llmops"}
    dataset = [c.body for c in fake.creations("dataset")]
    assert dataset == [dict(dataset[0], name="bills", namespace="llmops", files_url="hf://datasets/llmops/bills")]
    hf_calls = [r for r in fake.requests if r.path.startswith("/v1/hf/")]
    assert hf_calls and all(r.headers.get("authorization") == f"Bearer {HF_SECRET}" for r in hf_calls)
    assert_no_secrets(caplog.text, ref.model_dump_json())

    again = NemoDatastore().put_dataset("llmops", "bills", dict(reversed(list(FILES.items()))))
    assert (again.revision, again.created) == (ref.revision, False)
    assert len(fake.creations("hf_commit")) == 1 and len(fake.creations("dataset")) == 1


def test_new_content_is_a_new_revision_without_stale_files(make_fake):
    fake = make_fake()
    store = NemoDatastore()
    first = store.put_dataset("llmops", "bills", FILES)
    smaller = {"training/training.jsonl": b'{"prompt": "x", "completion": "y"}\n'}
    second = store.put_dataset("llmops", "bills", smaller)
    assert second.created and second.revision != first.revision
    assert fake.hf_files("llmops/bills") == smaller  # the Customizer would read stale training files otherwise
    assert store.list_revisions("llmops", "bills")[-1] == second.revision
    assert store.read_jsonl(first.uri, "validation/validation.jsonl") == [{"prompt": "c", "completion": "d"}]


def test_reads_download_a_revision_once_into_the_workspace(make_fake, nemo_env):
    fake = make_fake()
    store = NemoDatastore()
    ref = store.put_dataset("llmops", "bills", FILES)
    folder = store.resolve(ref.uri)
    assert folder.is_relative_to(nemo_env / "workspace")
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} == set(FILES)
    downloads = len([r for r in fake.requests if "/resolve/" in r.path])
    assert store.read_jsonl(ref.uri, "testing/testing.jsonl") == [{"messages": [], "reference": "e"}]
    assert len([r for r in fake.requests if "/resolve/" in r.path]) == downloads
    with pytest.raises(NotFoundError, match="no file"):
        store.read_jsonl(ref.uri, "training/missing.jsonl")
    with pytest.raises(NotFoundError, match="run prepare-data"):
        store.resolve("hf://datasets/llmops/bills@" + "0" * 40)


def test_transient_failures_on_reads_are_retried_and_409s_mean_exists(make_fake):
    fake = make_fake(
        faults=[
            fault("http_5xx", "GET", r"/v1/hf/api/datasets/llmops/bills$", status=503),
            fault("rate_limit", "GET", r"/tree/", retry_after=0),
            fault("conflict", "POST", r"^/v1/datasets$"),
            fault("reset", "GET", r"^/v1/namespaces/llmops$"),
        ]
    )
    ref = NemoDatastore().put_dataset("llmops", "bills", FILES)
    assert ref.created
    assert {kind for kind, _, _ in fake.faults.log} == {"http_5xx", "rate_limit", "conflict", "reset"}
    assert not fake.faults.pending()


def test_hub_offline_mode_does_not_block_the_data_store(make_fake, monkeypatch):
    from huggingface_hub import constants

    make_fake()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert NemoDatastore().put_dataset("llmops", "bills", FILES).created
    assert constants.HF_HUB_OFFLINE is True  # restored


def test_bad_names_paths_and_uris_fail_before_any_request(make_fake):
    fake = make_fake()
    store = NemoDatastore()
    for namespace, name, files in (
        ("Bad NS", "x", FILES),
        ("llmops", "x", {}),
        ("llmops", "x", {"../a": b""}),
        ("llmops", "x", {"a": b"", "a/b": b""}),
    ):
        with pytest.raises(InvalidInputError):
            store.put_dataset(namespace, name, files)
    with pytest.raises(InvalidInputError, match="hf://datasets/"):
        store.resolve("local://datasets/llmops/x@0123456789abcdef")
    assert not fake.requests


def test_git_blob_id_matches_git():
    assert git_blob_id(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert json.dumps(git_blob_id(b"hello\n")) == '"ce013625030ba8dba906f756967f9e9ca394464a"'
