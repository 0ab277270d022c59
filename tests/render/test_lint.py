"""`llmops lint`: clean on the committed manifests, and it notices stale or missing files."""

from workflows import cli, render
from workflows.lint import lint, stale_files


def test_lint_is_clean_on_the_repository():
    assert lint(None) == []


def test_stale_and_missing_files_are_reported(tmp_path):
    assert len(stale_files(tmp_path)) == len(render.documents())
    rel = next(iter(render.documents()))
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_text("# edited by hand\n")
    problems = stale_files(tmp_path)
    assert f"{rel}: stale; run `make render`" in problems


def test_cli_lint_exit_status(capsys):
    assert cli.main(["lint"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
