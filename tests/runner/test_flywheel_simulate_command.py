"""`llmops flywheel simulate` refuses what cannot close the loop, before any traffic, model or run."""

from pathlib import Path

import pytest

from workflows import cli, runspec
from workflows.flywheel_simulation import Settings, check

ROOT = Path(__file__).resolve().parents[2]
LOOP_SPEC = ROOT / "workflows" / "runs" / "bill-explainer-from-logs.yaml"


@pytest.fixture
def empty_workspace(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("LLMOPS_WARM_START", raising=False)  # the command sets it for its runs: not for later tests
    monkeypatch.chdir(ROOT)
    return tmp_path / "ws"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["workflows/flywheels/bill-explainer.yaml", "--rounds", "2"], "must read 'production-logs'"),
        (["workflows/flywheels/bill-explainer-loop.yaml", "--rounds", "0"], "must be at least 1"),
        (["workflows/flywheels/bill-explainer-loop.yaml", "--rounds", "2", "--drift-from", "0"], "must be at least 1"),
        (
            ["workflows/flywheels/bill-explainer-loop.yaml", "--rounds", "2", "--new-charge-share", "1.5"],
            "between 0 and 1",
        ),
    ],
)
def test_what_cannot_close_the_loop_is_refused_in_one_line_and_nothing_is_written(
    arguments, message, empty_workspace, capsys
):
    assert cli.main(["flywheel", "simulate", *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (empty_workspace / "flywheel").exists() and not (empty_workspace / "runs").exists()


def test_a_workspace_without_a_champion_is_refused_before_any_traffic(empty_workspace, capsys):
    arguments = ["flywheel", "simulate", "workflows/flywheels/bill-explainer-loop.yaml", "--rounds", "1"]
    assert cli.main(arguments) == 2
    err = capsys.readouterr().err
    assert "bill-explainer has no champion" in err and "llmops run workflows/runs/bill-explainer.yaml" in err
    assert not (empty_workspace / "flywheel").exists() and not (empty_workspace / "runs").exists()


def test_a_run_spec_that_waits_for_a_person_needs_auto_approve():
    spec = runspec.load(LOOP_SPEC)
    waiting = spec.model_copy(update={"approval": spec.approval.model_copy(update={"required": True})})
    with pytest.raises(Exception, match="pass --auto-approve"):
        check(Settings(rounds=2), waiting, auto_approve=False)
    check(Settings(rounds=2), waiting, auto_approve=True)
    check(Settings(rounds=2), spec, auto_approve=False)


def test_the_new_charge_arrives_in_the_drift_round():
    settings = Settings(rounds=4, drift_from=3, new_charge_share=0.5)
    assert [settings.share(n) for n in range(1, 5)] == [0.0, 0.0, 0.5, 0.5]
