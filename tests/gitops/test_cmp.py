"""The Argo CD Config Management Plugin: its generate command gives the Workflows `make render` commits, and
in a git repository a pushed run spec alone changes what the runs app syncs. Argo CD's side is played as
its repo server does it: the app's source path from the Application, a fresh copy of the commit, the
plugin's discover and generate commands run in the source folder (docs: config-management-plugins)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from components import images
from tests.gitops.dockerfile import ROOT, lineage, stages
from workflows import cli

PLUGIN = ROOT / "argocd" / "cmp" / "plugin.yaml"
RUNS_APP = ROOT / "argocd" / "apps" / "llmops-runs.yaml"
COMMITTED_APP = ROOT / "argocd" / "runs-committed" / "llmops-runs.yaml"
SIDECAR_VALUES = ROOT / "charts" / "values" / "argo-cd.yaml"


@pytest.fixture(scope="module")
def path_with_llmops(tmp_path_factory) -> str:
    """PATH with an `llmops` that runs this checkout's code (in the image it is the installed script)."""
    folder = tmp_path_factory.mktemp("bin")
    script = folder / "llmops"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m workflows.cli "$@"\n')
    script.chmod(0o755)
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def _spec() -> dict:
    return yaml.safe_load(PLUGIN.read_text())["spec"]


def _run(command: list[str], cwd: Path, path: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PATH": path, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def generate(app_dir: Path, path: str) -> dict[str, str]:
    """The plugin's generate command in the app's source folder: Workflow name -> its document's text."""
    out = _run(_spec()["generate"]["command"], app_dir, path)
    assert out.returncode == 0, out.stderr
    texts = [t for t in re.split(r"^---\n", out.stdout, flags=re.MULTILINE) if t.strip()]
    return {yaml.safe_load(t)["metadata"]["name"]: t for t in texts}


def discovers(app_dir: Path, path: str) -> bool:
    out = _run(_spec()["discover"]["find"]["command"], app_dir, path)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip() != ""


# ---------------------------------------------------------------- same Workflows as `make render`
def test_generate_gives_exactly_the_committed_rendered_runs(path_with_llmops):
    generated = generate(ROOT / "workflows" / "runs", path_with_llmops)
    committed = [p.read_text() for p in sorted((ROOT / "manifests" / "runs").glob("*.yaml"))]
    assert sorted(generated.values()) == sorted(committed)  # byte for byte, one per run spec
    assert len(generated) == len(list((ROOT / "workflows" / "runs").glob("*.yaml")))
    assert all(yaml.safe_load(t)["kind"] == "Workflow" for t in generated.values())


def test_discover_matches_the_run_spec_folder_only(path_with_llmops, tmp_path):
    assert discovers(ROOT / "workflows" / "runs", path_with_llmops)
    assert not discovers(ROOT / "argocd" / "apps", path_with_llmops)
    (tmp_path / "workflows" / "runs").mkdir(parents=True)
    assert not discovers(tmp_path / "workflows" / "runs", path_with_llmops)  # no run spec in it


# ---------------------------------------------------------------- a pushed spec alone starts a run
def _git(repo: Path, *args: str) -> str:
    env = os.environ | {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def what_the_runs_app_syncs(repo: Path, revision: str, work: Path, path: str) -> dict[str, str]:
    """As the repo server: the Application at `revision` names a source path and a plugin; a fresh copy of
    the commit is made; the plugin must discover the path; its generate output is what the app syncs."""
    app = yaml.safe_load(_git(repo, "show", f"{revision}:argocd/apps/llmops-runs.yaml"))
    plugin = yaml.safe_load(_git(repo, "show", f"{revision}:argocd/cmp/plugin.yaml"))
    source = app["spec"]["source"]
    assert source["plugin"]["name"] == plugin["metadata"]["name"]
    checkout = work / revision
    checkout.mkdir()
    archive = subprocess.run(["git", "archive", revision], cwd=repo, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive, check=True)
    app_dir = checkout / source["path"]
    assert discovers(app_dir, path)
    return generate(app_dir, path)


def test_adding_only_a_run_spec_adds_its_workflow_and_leaves_the_others(path_with_llmops, tmp_path):
    repo = tmp_path / "repo"
    for rel in ["argocd/apps/llmops-runs.yaml", "argocd/cmp/plugin.yaml", "workflows/runs"]:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        copy = shutil.copytree if (ROOT / rel).is_dir() else shutil.copy
        copy(ROOT / rel, repo / rel)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "runs")
    before_rev = _git(repo, "rev-parse", "HEAD").strip()

    spec = (
        (repo / "workflows/runs/bill-explainer.yaml")
        .read_text()
        .replace("name: bill-explainer\n", "name: bill-explainer-rank16\n")
    )
    (repo / "workflows/runs/bill-explainer-rank16.yaml").write_text(spec.replace("rank: 8,", "rank: 16,"))
    _git(repo, "add", "workflows/runs/bill-explainer-rank16.yaml")
    _git(repo, "commit", "-q", "-m", "a new run spec, nothing else")
    after_rev = _git(repo, "rev-parse", "HEAD").strip()
    assert _git(repo, "diff", "--name-only", before_rev, after_rev).split() == [
        "workflows/runs/bill-explainer-rank16.yaml"
    ]

    work = tmp_path / "work"
    work.mkdir()
    before = what_the_runs_app_syncs(repo, before_rev, work, path_with_llmops)
    after = what_the_runs_app_syncs(repo, after_rev, work, path_with_llmops)
    new = set(after) - set(before)
    assert len(new) == 1 and re.fullmatch(r"bill-explainer-rank16-[0-9a-f]{8}", next(iter(new)))
    assert {name: after[name] for name in before} == before  # the earlier runs: unchanged, not re-run
    workflow = yaml.safe_load(after[next(iter(new))])
    lora_rank = {p["name"]: p["value"] for p in workflow["spec"]["arguments"]["parameters"]}["lora_rank"]
    assert str(lora_rank) == "16"


# ---------------------------------------------------------------- the CLI behind it
def test_a_bad_run_spec_fails_the_generation_with_its_location(tmp_path, capsys):
    (tmp_path / "broken.yaml").write_text((ROOT / "workflows/runs/bill-explainer.yaml").read_text() + "colour: red\n")
    assert cli.main(["render", "--runs-only", "--stdout", "--runs-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing half-rendered for Argo CD to sync
    assert f"{tmp_path / 'broken.yaml'}:" in captured.err and "colour: unknown field" in captured.err


def test_two_run_specs_with_one_name_are_refused(tmp_path, capsys):
    for stem in ("a", "b"):
        shutil.copy(ROOT / "workflows/runs/bill-explainer.yaml", tmp_path / f"{stem}.yaml")
    assert cli.main(["render", "--runs-only", "--stdout", "--runs-dir", str(tmp_path)]) == 2
    assert "both name the run spec 'bill-explainer'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["render", "--runs-only"], "--runs-only needs --stdout"),
        (["render", "--runs-dir", "."], "--runs-dir needs --stdout"),
        (["render", "--stdout", "--runs-dir", "no/such/folder"], "no such folder of run specs"),
    ],
)
def test_render_refuses_flag_combinations_it_does_not_do(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------- the app and the sidecar
def test_the_runs_app_uses_the_plugin_and_keeps_history():
    app = yaml.safe_load(RUNS_APP.read_text())
    plugin = yaml.safe_load(PLUGIN.read_text())
    assert plugin["kind"] == "ConfigManagementPlugin" and "version" not in plugin["spec"]
    assert app["spec"]["source"]["path"] == "workflows/runs"
    assert app["spec"]["source"]["plugin"] == {"name": plugin["metadata"]["name"]}
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": False}
    assert "finalizers" not in app["metadata"]  # deleting the app leaves the runs


def test_the_committed_manifests_variant_differs_only_in_its_source():
    app, committed = yaml.safe_load(RUNS_APP.read_text()), yaml.safe_load(COMMITTED_APP.read_text())
    source = committed["spec"].pop("source")
    app["spec"].pop("source")
    assert committed == app
    assert source["path"] == "manifests/runs" and source["directory"] == {"recurse": False}


def test_the_sidecar_runs_the_steps_image_that_carries_the_plugin():
    (sidecar,) = yaml.safe_load(SIDECAR_VALUES.read_text())["repoServer"]["extraContainers"]
    assert sidecar["image"] == images.STEPS_IMAGE, f"{SIDECAR_VALUES}: set the tag to the package version"
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    context = sidecar["securityContext"]
    assert context["runAsUser"] == 999 and context["runAsNonRoot"] and context["readOnlyRootFilesystem"]
    mounts = {m["mountPath"]: m["name"] for m in sidecar["volumeMounts"]}
    assert mounts["/var/run/argocd"] == "var-files" and mounts["/home/argocd/cmp-server/plugins"] == "plugins"
    assert mounts["/tmp"] != "tmp"  # its own /tmp, not the repo server's
    copies = [c for s in lineage(stages(), "steps") for c in s.all("COPY")]
    assert "argocd/cmp/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml" in copies
