"""The candidates of a run spec: variants, the grid, their names and the checks on them."""

from pathlib import Path

import pytest
import yaml

from steps.logic.candidates import MAX_CANDIDATES, Candidate, CandidateProblem, CandidatesSection, base_models, resolve
from workflows import runspec
from workflows.parameters import arguments

ROOT = Path(__file__).resolve().parents[2]
RUN = Candidate(
    name="",
    base_model="llmops/tiny-llama",
    output_model="bills",
    lora_rank=8,
    lora_alpha=16,
    lora_dropout=0.0,
    epochs=2,
    learning_rate=3e-3,
    batch_size=8,
    max_steps=0,
    train_seed=0,
)


def section(**data) -> CandidatesSection:
    return CandidatesSection.model_validate(data)


def test_no_section_is_the_run_itself():
    assert resolve(RUN, None) == [RUN]
    assert resolve(RUN, section()) == [RUN]


def test_variants_override_some_settings_and_keep_the_rest():
    out = resolve(
        RUN, section(variants=[{"name": "small", "lora": {"rank": 4}}, {"name": "hot", "learning_rate": 0.03}])
    )
    assert [(c.name, c.output_model, c.lora_rank, c.learning_rate, c.epochs) for c in out] == [
        ("small", "bills-small", 4, 3e-3, 2),
        ("hot", "bills-hot", 8, 0.03, 2),
    ]


def test_the_grid_is_every_combination_named_by_its_values():
    out = resolve(RUN, section(grid={"base_model": ["a/x", "b/y"], "lora_rank": [4, 8], "learning_rate": [0.001]}))
    assert [c.name for c in out] == ["m1-r4-lr0p001", "m1-r8-lr0p001", "m2-r4-lr0p001", "m2-r8-lr0p001"]
    assert base_models(out) == ["a/x", "b/y"]


@pytest.mark.parametrize(
    ("data", "loc", "words"),
    [
        ({"variants": [{"name": "a", "epochs": 3}, {"name": "a", "epochs": 4}]}, ("variants", 1, "name"), "used twice"),
        ({"variants": [{"name": "a", "epochs": 3}, {"name": "b", "epochs": 3}]}, ("variants", 1), "same settings"),
        ({"grid": {"lora_rank": [4, 4]}}, ("grid", "lora_rank"), "twice"),
        ({"grid": {"lora_rank": [1, 2, 3], "epochs": [1, 2, 3]}}, (), f"at most {MAX_CANDIDATES}"),
    ],
)
def test_bad_sections_are_refused_at_the_field(data, loc, words):
    with pytest.raises(CandidateProblem) as err:
        resolve(RUN, section(**data))
    assert err.value.loc == loc and words in str(err.value)


def test_a_spec_names_the_line_of_a_bad_candidate(tmp_path):
    spec = yaml.safe_load((ROOT / "workflows/runs/bill-explainer.yaml").read_text())
    spec["candidates"] = {"variants": [{"name": "a", "epochs": 3}, {"name": "b", "epochs": 3}]}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.raises(runspec.InvalidInputError) as err:
        runspec.load(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.strip() == "- name: b")
    assert f"spec.yaml:{line}: candidates.variants.1: candidate 'b' trains with the same settings as 'a'" in str(
        err.value
    )


def test_a_section_changes_the_hash_and_reaches_the_pipeline_as_json(tmp_path):
    source = ROOT / "workflows/runs/bill-explainer.yaml"
    plain = runspec.load(source)
    assert "candidates" not in arguments(plain)  # an existing spec keeps its hash and its arguments
    spec = yaml.safe_load(source.read_text())
    spec["candidates"] = {"variants": [{"name": "small", "lora": {"rank": 4}}]}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(spec))
    with_section = runspec.load(path)
    assert with_section.spec_hash() != plain.spec_hash()
    parsed = CandidatesSection.model_validate_json(arguments(with_section)["candidates"])
    assert resolve(with_section.run_candidate(), parsed) == with_section.candidate_list()
