import json
import threading
from pathlib import Path

import pytest

from steps.errors import InvalidInputError, NotFoundError, StepFailedError
from steps.local import datastore as datastore_module
from steps.local.datastore import LocalDatastore

FILES = {
    "training/training.jsonl": b'{"messages": []}\n',
    "validation/validation.jsonl": b'{"messages": [1]}\n',
    "testing/testing.jsonl": b'{"a": 1}\n\n{"a": 2}\n',
}


def _entries(root: Path):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_same_content_gives_same_revision_and_is_reused(tmp_path: Path):
    store = LocalDatastore(tmp_path)
    first = store.put_dataset("default", "bills", FILES)
    assert first.created and len(first.revision) == 16
    assert first.uri == f"local://datasets/default/bills@{first.revision}"
    assert first.files == sorted(FILES)
    again = store.put_dataset("default", "bills", dict(reversed(list(FILES.items()))))
    assert again.revision == first.revision and again.created is False
    assert store.list_revisions("default", "bills") == [first.revision]
    folder = store.resolve(first.uri)
    assert folder == tmp_path / "default" / "bills" / first.revision
    assert (folder / "testing" / "testing.jsonl").read_bytes() == FILES["testing/testing.jsonl"]
    assert store.read_jsonl(first.uri, "testing/testing.jsonl") == [{"a": 1}, {"a": 2}]


def test_different_content_gives_a_new_revision(tmp_path: Path):
    store = LocalDatastore(tmp_path)
    first = store.put_dataset("default", "bills", FILES)
    changed = dict(FILES, **{"testing/testing.jsonl": b'{"a": 3}\n'})
    renamed = {"train.jsonl" if k.startswith("training") else k: v for k, v in FILES.items()}
    second = store.put_dataset("default", "bills", changed)
    third = store.put_dataset("default", "bills", renamed)
    assert len({first.revision, second.revision, third.revision}) == 3 and second.created
    assert sorted(store.list_revisions("default", "bills")) == sorted([first.revision, second.revision, third.revision])


def test_failure_midway_leaves_nothing_behind(tmp_path: Path, monkeypatch):
    store = LocalDatastore(tmp_path)
    real_write, calls = datastore_module._write_file, []

    def failing_write(path, content):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(path, content)

    monkeypatch.setattr(datastore_module, "_write_file", failing_write)
    with pytest.raises(OSError, match="disk full"):
        store.put_dataset("default", "bills", FILES)
    assert len(calls) == 2
    assert _entries(tmp_path) == ["default", "default/bills"]  # no revision, no temp folder
    assert store.list_revisions("default", "bills") == []
    monkeypatch.setattr(datastore_module, "_write_file", real_write)
    assert store.put_dataset("default", "bills", FILES).created  # a retry works


def test_concurrent_puts_of_the_same_content(tmp_path: Path):
    store, results = LocalDatastore(tmp_path), []
    threads = [threading.Thread(target=lambda: results.append(store.put_dataset("ns", "d", FILES))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({ref.revision for ref in results}) == 1 and len(results) == 8
    assert sum(ref.created for ref in results) == 1
    assert [p.name for p in (tmp_path / "ns" / "d").iterdir()] == [results[0].revision]


def test_tampered_revision_is_reported(tmp_path: Path):
    store = LocalDatastore(tmp_path)
    ref = store.put_dataset("ns", "d", FILES)
    (store.resolve(ref.uri) / "testing" / "testing.jsonl").write_bytes(b"{}\n")
    with pytest.raises(StepFailedError, match="does not hold the content"):
        store.put_dataset("ns", "d", FILES)


def test_resolve_errors(tmp_path: Path):
    store = LocalDatastore(tmp_path)
    for bad in (
        "s3://bucket/x",
        "local://datasets/ns/d",
        "local://datasets/ns/d@XYZ",
        "local://datasets/NS/d@0123456789abcdef",
    ):
        with pytest.raises(InvalidInputError):
            store.resolve(bad)
    with pytest.raises(NotFoundError, match="no revision of this dataset exists"):
        store.resolve("local://datasets/ns/d@0123456789abcdef")
    ref = store.put_dataset("ns", "d", FILES)
    with pytest.raises(NotFoundError, match=f"known revisions: {ref.revision}"):
        store.resolve("local://datasets/ns/d@0123456789abcdef")
    with pytest.raises(NotFoundError, match="has no file"):
        store.read_jsonl(ref.uri, "training/other.jsonl")


@pytest.mark.parametrize("path", ["/abs.jsonl", "../up.jsonl", "a/../b.jsonl", "", "a//b", ".hidden/x.jsonl", "a\\b"])
def test_bad_file_paths_are_rejected(tmp_path: Path, path):
    with pytest.raises(InvalidInputError):
        LocalDatastore(tmp_path).put_dataset("ns", "d", {path: b"x"})
    assert not (tmp_path / "ns").exists()


@pytest.mark.parametrize("namespace,name", [("NS", "d"), ("ns", "-d"), ("ns", "d/e"), ("", "d"), ("ns", "..")])
def test_bad_names_are_rejected(tmp_path: Path, namespace, name):
    with pytest.raises(InvalidInputError):
        LocalDatastore(tmp_path).put_dataset(namespace, name, FILES)


def test_the_platform_puts_the_datastore_in_the_workspace_and_registers_datasets(tmp_path: Path, monkeypatch):
    from steps import platforms

    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("LLMOPS_PLATFORM", "local")
    platform = platforms.build()
    assert platform.datastore.root == tmp_path / "ws" / "datastore"
    ref = platform.datastore.put_dataset("a", "b", {"x.jsonl": b"{}\n"})
    assert json.loads(json.dumps(ref.model_dump()))["created"]
    assert platform.entity_registry.ensure_dataset("a", "b", ref.uri) is False  # registered by the put
    assert platform.entity_registry.ensure_namespace("a") is False
