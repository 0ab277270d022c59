"""The datastore and entity-registry ports against the real NeMo Platform files and entities services."""

from __future__ import annotations

import json

import pytest

from steps.errors import InvalidInputError, NotFoundError, StepFailedError
from steps.logic.dataset_files import revision_of
from steps.nmp import datasets, settings
from steps.nmp.client import ensure_workspace, platform_client
from steps.nmp.datastore import NmpDatastore
from steps.nmp.entity_registry import NmpEntityRegistry

FILES = {
    "training/training.jsonl": b'{"prompt": "a", "completion": "b"}\n',
    "testing/testing.jsonl": b'{"prompt": "c", "completion": "d"}\n{"prompt": "e", "completion": "f"}\n',
}


@pytest.fixture
def ports(nmp_env, tmp_path):
    client = platform_client()
    ensure_workspace(client)
    registry = NmpEntityRegistry(client)
    return client, NmpDatastore(client, tmp_path / "cache", registry=registry), registry


def uploads(client) -> int:
    return sum(1 for _ in client.files.filesets.list(workspace=settings.workspace()))


def test_the_same_content_is_the_same_revision_and_uploads_nothing(ports):
    client, store, registry = ports
    first = store.put_dataset("bills", "bill-json", FILES)
    assert first.created and first.uri == datasets.uri(settings.workspace(), "bills", "bill-json", first.revision)
    again = store.put_dataset("bills", "bill-json", dict(reversed(FILES.items())))
    assert (again.revision, again.created) == (first.revision, False)
    assert uploads(client) == 1
    other = store.put_dataset("bills", "bill-json", {**FILES, "validation/validation.jsonl": b"{}\n"})
    assert other.revision != first.revision and other.created
    assert store.list_revisions("bills", "bill-json") == [first.revision, other.revision]
    assert registry.dataset("bills", "bill-json")["files_url"] == other.uri
    assert registry.ensure_namespace("bills") is False


def test_a_revision_reads_back_from_the_platform(ports, tmp_path):
    client, store, _ = ports
    ref = store.put_dataset("bills", "bill-json", FILES)
    fresh = NmpDatastore(client, tmp_path / "other-cache")  # another step, another cache
    assert fresh.read_jsonl(ref.uri, "testing/testing.jsonl") == [
        {"prompt": "c", "completion": "d"},
        {"prompt": "e", "completion": "f"},
    ]
    assert sorted(p.relative_to(fresh.resolve(ref.uri)).as_posix() for p in fresh.resolve(ref.uri).rglob("*.jsonl"))
    with pytest.raises(NotFoundError, match="no file"):
        fresh.read_jsonl(ref.uri, "validation/validation.jsonl")


def test_an_interrupted_put_is_refused_by_readers_and_completed_by_the_next_put(ports, tmp_path, monkeypatch):
    client, store, _ = ports
    real_upload = store._upload
    calls = []

    def fail_second(fileset, path, content):
        calls.append(path)
        if len(calls) == 2:
            raise StepFailedError("connection lost mid-upload")
        real_upload(fileset, path, content)

    monkeypatch.setattr(store, "_upload", fail_second)
    with pytest.raises(StepFailedError, match="mid-upload"):
        store.put_dataset("bills", "bill-json", FILES)
    uri = datasets.uri(settings.workspace(), "bills", "bill-json", revision_of(FILES))
    with pytest.raises(NotFoundError, match="incomplete"):
        NmpDatastore(client, tmp_path / "reader").resolve(uri)
    assert store.list_revisions("bills", "bill-json") == []
    monkeypatch.setattr(store, "_upload", real_upload)
    ref = store.put_dataset("bills", "bill-json", FILES)
    assert ref.created and ref.uri == uri
    assert NmpDatastore(client, tmp_path / "reader").read_jsonl(uri, "training/training.jsonl")


def test_a_fileset_edited_after_upload_is_refused(ports, tmp_path):
    client, store, _ = ports
    ref = store.put_dataset("bills", "bill-json", FILES)
    fileset = datasets.fileset_name("bills", "bill-json", ref.revision)
    client.files.upload_content(
        content=json.dumps({"prompt": "x"}).encode() + b"\n", remote_path="testing/testing.jsonl", fileset=fileset
    )
    with pytest.raises(StepFailedError, match="does not match the hash"):
        NmpDatastore(client, tmp_path / "reader").resolve(ref.uri)


def test_bad_uris_and_names_are_clear_errors(ports):
    _, store, _ = ports
    with pytest.raises(InvalidInputError, match="nmp://<workspace>/datasets"):
        store.resolve("local://datasets/bills/bill-json@0123456789abcdef")
    with pytest.raises(InvalidInputError, match="namespace"):
        store.put_dataset("Bills!", "bill-json", FILES)
    with pytest.raises(NotFoundError, match="does not exist"):
        store.resolve(datasets.uri(settings.workspace(), "bills", "bill-json", "0" * 16))


def test_models_are_read_from_the_models_service(ports):
    client, _, registry = ports
    assert registry.get_model("no-such-model") is None
    client.models.create(workspace=settings.workspace(), name="bill-base", description="a base")
    found = registry.get_model(f"{settings.workspace()}/bill-base@v1")
    assert found is not None and found.name == "bill-base"


def test_entity_names_are_made_valid():
    assert datasets.entity_name("ds", "my_ns", "bill..json--v2") == "ds-my-ns-bill-json-v2"
    assert len(datasets.entity_name("ds", "a" * 40, "b" * 40)) <= 63
