"""Tool calls through the local path: prompts that list the tools, training rows that write the calls, replies
read back as OpenAI `tool_calls` and scored by the same `tool-calling` metric as NIM answers."""

import json
import statistics

import pytest

from steps.data.synthetic_tool_calls import generate_tool_calls
from steps.local.chat_format import tool_line
from steps.local.chat_model import LocalChatModel
from steps.local.lora_training import IGNORE_INDEX, LoraTrainingConfig, encode_chat
from steps.local.training_rows import training_rows
from steps.logic import metrics as metric_engine
from steps.logic.chat_records import evaluation_row, training_row
from steps.logic.dataset_formats import convert_rows
from steps.logic.evaluation_rows import sample_of

CALL_TEXT = '[{"name":"get_weather","arguments":{"city":"Lima"}}]'


@pytest.fixture(scope="module")
def chat(base_dir):
    return LocalChatModel(base_dir, model_id="llmops/tiny-llama")


def records(split: str, n: int):
    rows = generate_tool_calls(n, 0, split)
    return [item.record for item in convert_rows(list(enumerate(rows, start=1)), "xlam", split)]


def test_generated_rows_fit_the_local_context_with_their_tools_listed(chat, capsys):
    limit = LoraTrainingConfig().max_seq_len  # what the trainer keeps; the base model was pre-trained on 512
    for split, n in (("train", 600), ("heldout", 100)):
        rows = training_rows([training_row(r) for r in records(split, n)], split)
        lengths = [len(encode_chat(chat.tokenizer, row["messages"], 10_000)[0]) for row in rows]
        with capsys.disabled():
            print(
                f"\n{split}: tokens per row min {min(lengths)} median {statistics.median(lengths)} max {max(lengths)}"
            )
        assert max(lengths) <= limit


def test_the_prompt_lists_the_tools_and_a_prompt_without_tools_is_unchanged(chat):
    record = records("heldout", 1)[0]
    row = evaluation_row(record)
    plain = chat.tokenizer.apply_chat_template(row["messages"], add_generation_prompt=True, tokenize=False)
    assert chat._prompt_ids(row["messages"]) == chat.tokenizer(plain, add_special_tokens=False)["input_ids"]
    with_tools = chat.tokenizer.decode(chat._prompt_ids(row["messages"], row["tools"]))
    assert with_tools.startswith("<|im_start|>system\nYou can call these functions:\n")
    assert all(tool_line(tool) in with_tools for tool in row["tools"])
    assert with_tools.endswith(f"<|im_start|>user\n{row['messages'][0]['content']}<|im_end|>\n<|im_start|>assistant\n")


def test_training_rows_teach_the_calls_as_json_in_the_assistant_turn(chat):
    record = next(r for r in records("train", 20) if r.messages[-1].tool_calls)
    row = training_rows([training_row(record)], "train")[0]
    ids, labels = encode_chat(chat.tokenizer, row["messages"], 512)
    learned = chat.tokenizer.decode([i for i, label in zip(ids, labels, strict=True) if label != IGNORE_INDEX])
    calls = [
        {"name": c.function.name, "arguments": json.loads(c.function.arguments)} for c in record.messages[-1].tool_calls
    ]
    assert learned == json.dumps(calls, separators=(",", ":")) + "<|im_end|>"


def test_a_reply_that_writes_a_call_is_an_openai_tool_call_that_the_metric_scores(chat, monkeypatch):
    monkeypatch.setattr(chat, "_generate", lambda prompts, *args: [(CALL_TEXT, 12, "stop")] * len(prompts))
    question = [{"role": "user", "content": "Weather in Lima?"}]
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
    called = chat.create(question, tools=[tool])
    choice = called["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    assert choice["message"]["tool_calls"] == [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Lima"}'}}
    ]
    plain = chat.create(question)["choices"][0]  # no tools offered: the text is the answer
    assert plain == {**plain, "message": {"role": "assistant", "content": CALL_TEXT}, "finish_reason": "stop"}

    expected = {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Lima"}}}
    items = [{"id": "a", "tool_calls": [expected]}, {"id": "b", "tool_calls": [expected]}]
    batch = chat.create_batch([question, question], tools=[[tool], None])
    samples = [metric_engine.Sample.model_validate(sample_of(reply)) for reply in batch]
    specs = metric_engine.parse_metric_specs([{"name": "calls", "type": "tool-calling"}], "business_metrics")
    scores = metric_engine.evaluate(specs, items, samples).scores
    assert scores["calls.function_name_accuracy"].value == 0.5  # the row sent without tools got text, no call
    assert scores["calls.function_name_and_args_accuracy"].value == 0.5
