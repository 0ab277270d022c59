"""The CI workflow and the pre-commit hook of the committed-manifests option call make targets that exist,
cover lint, the rendered-manifests check and the tests, and pin what they pull in."""

from __future__ import annotations

import re
import shlex
import subprocess

import pytest
import yaml

from tests.gitops.dockerfile import ROOT

CI = ROOT / ".github" / "workflows" / "ci.yaml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"


def _make_targets(commands: list[str]) -> list[str]:
    targets = []
    for command in commands:
        for part in re.split(r"&&|\|\||;|\n", command):
            words = shlex.split(part)
            if words[:1] == ["make"]:
                targets += [w for w in words[1:] if not w.startswith("-") and "=" not in w]
            else:
                assert not words, f"{part!r}: CI and hooks call make targets, so that both run what people run"
    return targets


def _target_exists(target: str) -> bool:
    """`make -n` names a missing target 'No rule to make target' and exits 2; it runs nothing."""
    out = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
    return out.returncode == 0


def test_ci_runs_lint_the_render_check_and_the_tests():
    ci = yaml.safe_load(CI.read_text())
    assert set(ci[True]) >= {"push", "pull_request"}  # YAML 1.1 reads the key `on` as True
    (job,) = ci["jobs"].values()
    targets = _make_targets([step["run"] for step in job["steps"] if "run" in step])
    assert targets == ["lint", "render-check", "test"]
    assert all(_target_exists(t) for t in targets)
    python = next(s["with"]["python-version"] for s in job["steps"] if "setup-python" in s.get("uses", ""))
    assert python == "3.11" and "python:3.11." in (ROOT / "docker" / "Dockerfile").read_text()


def test_ci_actions_are_pinned_to_commits():
    uses = re.findall(r"uses:\s*(\S+)(.*)", CI.read_text())
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{ref}: pin the action to a full commit SHA"
        assert re.search(r"#\s*v\d+\.\d+\.\d+", comment), f"{ref}: name the release the SHA is, as # vX.Y.Z"


def test_pre_commit_renders_before_each_commit_that_touches_a_source():
    config = yaml.safe_load(PRE_COMMIT.read_text())
    (repo,) = config["repos"]
    (hook,) = repo["hooks"]
    assert repo["repo"] == "local" and hook["language"] == "system" and hook["pass_filenames"] is False
    targets = _make_targets([hook["entry"]])
    assert targets == ["render-check"] and _target_exists("render-check")
    files = re.compile(hook["files"])
    for path in ["workflows/runs/new.yaml", "components/common.py", "steps/gate.py", "manifests/runs/x.yaml"]:
        assert files.search(path), path
    assert not files.search("README.md") and not files.search("docs/gitops.md")


@pytest.mark.parametrize("command", ["llmops render", "git diff --name-only", "git ls-files --others"])
def test_render_check_renders_then_fails_on_what_git_sees(command):
    dry_run = subprocess.run(["make", "-n", "render-check"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert command in dry_run.stdout and "exit 1" in dry_run.stdout
