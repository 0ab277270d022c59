import pytest

from steps import progress
from steps.errors import InvalidInputError, NotFoundError
from steps.local.chat_model import LocalChatModel


@pytest.fixture(scope="module")
def chat(base_dir):
    return LocalChatModel(base_dir, model_id="llmops/tiny-llama")


def conversations(n):
    return [
        [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": f"Question {i}: what is {i} times {'seven ' * (i % 3)}?"},
        ]
        for i in range(n)
    ]


def test_create_returns_an_openai_chat_completion(chat):
    reply = chat.create(conversations(1)[0], max_tokens=8)
    assert reply["object"] == "chat.completion" and reply["id"].startswith("chatcmpl-")
    assert reply["model"] == "llmops/tiny-llama" and isinstance(reply["created"], int)
    choice = reply["choices"][0]
    assert choice["message"]["role"] == "assistant" and isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] in ("stop", "length")
    usage = reply["usage"]
    assert 0 < usage["completion_tokens"] <= 8 and usage["prompt_tokens"] > 10
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    if choice["finish_reason"] == "length":
        assert usage["completion_tokens"] == 8


def test_greedy_batch_equals_single(chat, tmp_path, monkeypatch):
    convs = conversations(5)
    monkeypatch.setenv(progress.ENV, str(tmp_path / "progress"))  # as Argo (or the local runner) sets it
    batch = chat.create_batch(convs, max_tokens=12, batch_size=3)
    assert (tmp_path / "progress").read_text() == "5/5\n"
    single = [chat.create(c, max_tokens=12) for c in convs]
    assert len(batch) == 5
    assert [b["choices"][0]["message"]["content"] for b in batch] == [
        s["choices"][0]["message"]["content"] for s in single
    ]
    assert [b["usage"] for b in batch] == [s["usage"] for s in single]


def test_sampling_is_seeded_and_stop_strings_truncate(chat):
    conv = conversations(1)[0]
    first = chat.create(conv, max_tokens=30, temperature=1.0, seed=7)["choices"][0]["message"]["content"]
    assert chat.create(conv, max_tokens=30, temperature=1.0, seed=7)["choices"][0]["message"]["content"] == first
    stop = first[6:9]
    assert stop.strip(), first
    stopped = chat.create(conv, max_tokens=30, temperature=1.0, seed=7, stop=[stop])
    assert stopped["choices"][0]["message"]["content"] == first[: first.find(stop)]
    assert stopped["choices"][0]["finish_reason"] == "stop"


def test_models_lists_the_model_id(chat):
    listing = chat.models()
    assert listing["object"] == "list" and listing["data"][0]["id"] == "llmops/tiny-llama"
    assert listing["data"][0]["object"] == "model"


def test_bad_requests(chat, tmp_path):
    with pytest.raises(InvalidInputError):
        chat.create([], max_tokens=4)
    with pytest.raises(InvalidInputError):
        chat.create(conversations(1)[0], max_tokens=0)
    with pytest.raises(NotFoundError):
        LocalChatModel(tmp_path)
