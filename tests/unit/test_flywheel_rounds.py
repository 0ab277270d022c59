"""The rounds of a flywheel simulation as a table and one outcome line (steps.logic.flywheel_rounds)."""

from steps.logic.flywheel_rounds import Round, outcome, table


def _round(n, score, **fields):
    base = {"round": n, "new_charge_share": 0.0, "requests": 100, "champion_version": "1", "answered_right": 0.5}
    return Round(**{**base, "verdict": "stable", "score": score, "threshold": 0.45, **fields})


ROUNDS = [
    _round(1, 0.61),
    _round(2, 0.38, new_charge_share=0.6, verdict="drifted", run="loop-ab12", gate="pass", released_version="2"),
    _round(3, 0.58, new_charge_share=0.6, champion_version="2"),
]


def test_table_has_a_line_per_round_with_the_run_the_gate_and_the_release():
    lines = table(ROUNDS, "answer.change_reason").splitlines()
    assert lines[0].split()[:3] == ["round", "new", "charge"] and "answer.change_reason" in lines[0]
    assert len(lines) == 4
    assert lines[2].split() == ["2", "60%", "v1", "50.0%", "0.380", "0.450", "drifted", "loop-ab12", "PASS", "v2"]
    assert lines[3].split()[:3] == ["3", "60%", "v2"] and lines[3].split()[-3:] == ["-", "-", "-"]


def test_a_run_that_failed_before_its_gate_shows_its_phase():
    failed = _round(2, 0.38, verdict="drifted", run="loop-cd34", run_phase="Failed")
    assert table([failed], "m").splitlines()[1].split()[-2:] == ["failed", "-"]


def test_outcome_names_the_fall_the_release_and_the_recovery():
    assert outcome(ROUNDS) == (
        "score 0.610 in round 1, lowest 0.380 in round 2; 1 run(s) triggered by drift, 1 released; "
        "after the last release 0.580 in round 3"
    )
    assert outcome([_round(1, None, verdict="insufficient-data")]).startswith("no round was scored")
