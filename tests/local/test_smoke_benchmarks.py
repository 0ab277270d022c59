import json
import re

from steps.data import smoke_benchmarks as smoke


def _load(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = smoke.write_smoke_sets(tmp_path / "a", seed=7)
    b = smoke.write_smoke_sets(tmp_path / "b", seed=7)
    c = smoke.write_smoke_sets(tmp_path / "c", seed=8)
    assert set(a) == {"gsm8k", "gsm8k_fewshot_train", "squad", "triviaqa"}
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes()
        assert a[key].read_bytes() != c[key].read_bytes()


def test_layouts_match_the_real_benchmarks(tmp_path):
    paths = smoke.write_smoke_sets(tmp_path, n=30)
    gsm8k, shots = _load(paths["gsm8k"]), _load(paths["gsm8k_fewshot_train"])
    squad, trivia = _load(paths["squad"]), _load(paths["triviaqa"])
    assert (len(gsm8k), len(shots), len(squad), len(trivia)) == (30, 10, 30, 30)
    for row in gsm8k + shots:
        assert list(row) == ["id", "question", "answer", "final_answer"]
        assert row["answer"].endswith(f"\n#### {row['final_answer']}")
        for a, op, b, c in re.findall(r"<<(\d+)([-+*/])(\d+)=(\d+)>>", row["answer"]):
            assert eval(f"{a}{op}{b}") == int(c)
    for row in squad:
        assert list(row) == ["id", "title", "context", "question", "answers"]
        assert row["title"].startswith("Synthetic_")
        for text, start in zip(row["answers"]["text"], row["answers"]["answer_start"], strict=True):
            assert row["context"][start : start + len(text)] == text
    for row in trivia:
        assert list(row["answer"]) == ["value", "aliases", "normalized_aliases"]
        assert row["answer"]["value"] in row["answer"]["aliases"] and row["question"].endswith("?")
    assert all(r["id"].startswith("synthetic-") for r in gsm8k + shots + squad + trivia)
    assert len({r["id"] for r in squad}) == 30
    assert "SYNTHETIC" in (tmp_path / "README.md").read_text() and "SYNTHETIC" in smoke.README


def test_world_is_fixed_and_independent_of_the_seed():
    assert smoke.synthetic_world() == smoke.synthetic_world()
    assert len({c["country"] for c in smoke.synthetic_world()}) == 40


def test_ensure_smoke_sets_writes_once_into_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path))
    folder = smoke.ensure_smoke_sets()
    assert folder == tmp_path / "benchmarks" / "smoke-1234"
    before = (folder / "squad.jsonl").stat().st_mtime_ns
    assert smoke.ensure_smoke_sets() == folder
    assert (folder / "squad.jsonl").stat().st_mtime_ns == before
    assert sorted(p.name for p in folder.parent.iterdir()) == ["smoke-1234"]
