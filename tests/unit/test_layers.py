"""The layers point one way; this test reads every module's imports (top level and inside functions).

workflows → components → steps (one module per step) → steps.platforms (the registry) → one backend
(steps.local | steps.nemo | steps.nmp, sharing steps.remote) → steps.contracts → pure logic (steps.logic).
`steps.errors`, `steps.settings`, `steps.atomic_folder` and `steps.progress` import nothing of the project, so
every layer may import them. The local base model's build package (steps.basemodel) is used by
`llmops model build` only; serving never imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("steps", "components", "workflows")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in PACKAGES}


MODULES = {_module(p): _imports(p) for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# (modules the rule is about, what they must not import, why)
RULES = [
    (
        ("steps.errors", "steps.settings", "steps.atomic_folder", "steps.progress"),
        ("steps", "components", "workflows"),
        "every layer imports them",
    ),
    (("steps.logic",), ("steps",), "pure logic: only steps.logic and steps.errors"),
    (("steps.contracts",), ("steps",), "the contracts import only steps.errors / logic"),
    (("steps.local",), ("steps.nemo", "steps.nmp", "steps.platforms", "steps.basemodel"), "a backend imports no other"),
    (("steps.nemo",), ("steps.local", "steps.nmp", "steps.platforms", "steps.basemodel"), "a backend imports no other"),
    (("steps.nmp",), ("steps.local", "steps.nemo", "steps.platforms", "steps.basemodel"), "a backend imports no other"),
    (("steps.remote",), ("steps.local", "steps.nemo", "steps.nmp", "steps.platforms"), "shared by the remote backends"),
    (("steps.basemodel",), ("steps.platforms", "steps.nemo"), "the build package uses the local platform only"),
    (("steps",), ("components", "workflows"), "the step library is the image; it knows no manifests"),
    (("components",), ("workflows",), "components are composed by workflows, not the other way"),
]
ALLOWED = {
    "steps.logic": ("steps.logic", "steps.errors"),
    "steps.contracts": ("steps.errors", "steps.logic"),
    "steps.errors": (),
    "steps.settings": ("steps.errors",),
    "steps.atomic_folder": (),
    "steps.progress": (),
}


@pytest.mark.parametrize("owners, forbidden, why", RULES, ids=[r[2] + f" ({r[0][0]})" for r in RULES])
def test_imports_point_one_way(owners, forbidden, why):
    bad = []
    for module, imports in MODULES.items():
        if not _within(module, *owners):
            continue
        allowed = next((v for k, v in ALLOWED.items() if _within(module, k)), ())
        for name in imports:
            if _within(name, *forbidden) and not _within(name, *allowed) and not _within(name, *owners):
                bad.append(f"{module} imports {name}")
    assert bad == [], why


def test_steps_reach_backends_only_through_the_registry():
    step_modules = [m for m in MODULES if m.count(".") == 1 and m.startswith("steps.")]
    bad = [
        f"{m} imports {n}"
        for m in step_modules
        for n in MODULES[m]
        if _within(n, "steps.local", "steps.nemo", "steps.nmp")
    ]
    assert bad == []


# What the CLI and the manifests may use of the step library: its public entry points, not its internals.
WORKFLOWS_MAY_IMPORT = (
    "steps.errors",
    "steps.settings",
    "steps.io",
    "steps.benchmark_names",
    "steps.platforms",
    "steps.prepare_data",
    "steps.contracts",  # the dataset layout the preflight reads (TESTING_FILE)
    "steps.logic.metrics",  # the run spec's metric specs are the engine's models
    "steps.logic.field_paths",  # run-spec errors name a field as dataset and metric errors do
    "steps.judging",  # preflight reads an llm-judge metric's calibration labels as the evaluation does
    "steps.basemodel.build",
    "steps.logic.task_scoring",  # `llmops score`: scores a prediction file, no step involved
    "steps.logic.candidates",  # the run spec's candidates section is the planner's model, checked alike
    "steps.logic.curation",  # ... and its dataset.curation section the curation's (CurationSection)
    "steps.logic.augmentation",  # ... and its dataset.augmentation section the augmentation's (AugmentationSection)
    "steps.progress",  # the ARGO_PROGRESS_FILE format the CLI's progress display reads
    "steps.tracking",  # `llmops compare` reads each run's gate record from MLflow
    "steps.logic.gate_policy",  # ... as the gate's own model (GateDecision)
    "steps.rollback",  # `llmops rollback`: moves registry aliases and re-points serving, no step involved
    "steps.local.openai_server",  # `llmops serve`: the local models over an OpenAI-compatible HTTP API
    "steps.libraries",  # the libraries the local runner's warm-start server imports before forking steps
    "steps.logic.drift",  # a flywheel's drift section is the drift check's policy (DriftPolicy)
    "steps.drift_check",  # the drift-check template's parameters are its inputs; `llmops flywheel check-drift`
    "steps.logic.memo_key",  # the local runner refuses a cache key Argo would refuse, by the rule the keys follow
    # `llmops flywheel simulate`: its synthetic traffic, the champion that answers it (as the drift check reads
    # it), the record of its rounds and their chart
    "steps.data.drifting_traffic",
    "steps.open_run",
    "steps.logic.flywheel_rounds",
    "steps.report_charts",
)


def test_workflows_use_only_the_public_entry_points_of_the_step_library():
    bad = [
        f"{m} imports {n}"
        for m, imports in MODULES.items()
        if _within(m, "workflows")
        for n in imports
        if _within(n, "steps")
        and n != "steps"
        and not _within(n, *WORKFLOWS_MAY_IMPORT)
        and n not in {f"steps.{p.split('.')[1]}" for p in WORKFLOWS_MAY_IMPORT}
    ]
    assert bad == []
