"""Each template names the image its step needs: the light llmops-steps image when the step uses only the
tracker, the datastore and the entity registry; llmops-steps-ml when it uses a model port, which the local
platform runs in the pod. And the light image's steps really run without the ML stack."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from components import images
from tests.gitops.dockerfile import ROOT
from workflows.render import COMPONENT_MODULES

MODEL_PORTS = {"customizer", "deployer", "inference", "evaluator", "guardrails"}
LIGHT_PORTS = {"datastore", "entity_registry", "tracker"}


def _scripts() -> list[tuple[str, object]]:
    found = []
    for name in COMPONENT_MODULES:
        cwt = importlib.import_module(f"components.{name}").cwt
        found += [(f"{cwt.name}/{t.name}", t) for t in cwt.templates]
    return found


def _ports(function: object) -> set[str]:
    """The platform ports the step's module reaches (`<platform>.customizer` and so on)."""
    tree = ast.parse(inspect.getsource(inspect.getmodule(function)))  # type: ignore[arg-type]
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    return names & (MODEL_PORTS | LIGHT_PORTS)


def test_each_template_names_the_image_its_ports_need():
    wrong = []
    for where, script in _scripts():
        ports = _ports(script.source)
        assert ports, f"{where}: its step reaches no platform port; which image does it need?"
        wanted = images.ML_IMAGE if ports & MODEL_PORTS else images.STEPS_IMAGE
        if script.image != wanted:
            wrong.append(f"{where} uses {sorted(ports)}: image {script.image}, should be {wanted}")
    assert wrong == [], "\n".join(wrong)
    assert {s.image for _, s in _scripts()} == set(images.TARGETS.values())


# The light steps in pipeline order, in a Python whose site-packages lacks what only steps-ml installs.
LIGHT_STEPS = """
import importlib.util, json, site, sys
site.addsitedir(sys.argv[1])
sys.path.insert(0, sys.argv[2])
assert importlib.util.find_spec("torch") is None and importlib.util.find_spec("transformers") is None

from steps.open_run import OpenRunInput, open_run
from steps.prepare_data import PrepareDataInput, prepare_data
from steps.business_eval_key import BusinessEvalKeyInput, business_eval_key
from steps.benchmark_keys import BenchmarkKeysInput, benchmark_keys
from steps.gate import GateInput, gate
from steps.finalize import FinalizeInput, finalize
from workflows import parameters, runspec

spec = runspec.load("workflows/runs/bill-explainer.yaml")
defaults = {p.name: p.default for p in parameters.PARAMETERS} | parameters.arguments(spec)
def inputs(cls, **values):
    return cls(**{k: v for k, v in defaults.items() if k in cls.model_fields} | values)

run = open_run(inputs(OpenRunInput, workflow_name="wf-light", workflow_uid="uid-light")).mlflow_run_id
prepared = prepare_data(inputs(PrepareDataInput, mlflow_run_id=run))
key = business_eval_key(inputs(
    BusinessEvalKeyInput, mlflow_run_id=run, target="base", base_model=spec.base_model, model_key="weights",
    dataset_uri=prepared.dataset_uri,
)).memo_key
assert len(key) == 64, key
keys = json.loads(benchmark_keys(inputs(
    BenchmarkKeysInput, mlflow_run_id=run, target="base", base_model=spec.base_model, model_key="weights.v1/x@y"
)).keys)
assert [k["benchmark"] for k in keys] == json.loads(defaults["benchmarks"])
assert all(len(k["memo_key"]) == 64 for k in keys)
items = [{"id": str(i), "value": float(i % 2)} for i in range(30)]
bench = lambda target: {"benchmark": "gsm8k", "target": target, "n": 30, "score": 0.5, "items": items}
business = lambda score: {"metric": spec.business_eval.headline, "n": 30, "score": score, "items": items}
decision = gate(inputs(
    GateInput, mlflow_run_id=run, base_benchmarks=json.dumps([bench("base")]),
    candidate_benchmarks=json.dumps([bench("candidate")]), base_business=json.dumps(business(0.5)),
    candidate_business=json.dumps(business(0.5)),
)).decision
status = finalize(FinalizeInput(workflow_uid="uid-light", workflow_name="wf-light", workflow_status="Succeeded"))
print(json.dumps({"dataset": prepared.dataset_uri, "decision": decision, "status": status.mlflow_status}))
"""


def _site_without_the_ml_stack(folder: Path) -> Path:
    """A site-packages of links to this one's entries, less the files of what only steps-ml installs."""
    from tests.gitops.dockerfile import load_tool

    sets = load_tool().image_sets()
    site_packages = Path(metadata.distribution("hera").locate_file(""))
    left_out = set()
    for name in sets["requirements-torch"] | sets["requirements-ml"]:
        files = metadata.distribution(name).files or []
        left_out |= {f.parts[0] for f in files if f.parts[0] != ".."}
    assert {"torch", "transformers", "peft", "accelerate", "tokenizers", "safetensors"} <= left_out
    folder.mkdir()
    for entry in site_packages.iterdir():
        if entry.name not in left_out:
            (folder / entry.name).symlink_to(entry)
    return folder


def test_the_light_steps_run_without_the_ml_stack(tmp_path):
    site = _site_without_the_ml_stack(tmp_path / "site-packages")
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "PYTHONPATH")} | {
        "LLMOPS_PLATFORM": "local",
        "LLMOPS_WORKSPACE": str(tmp_path / "ws"),
        "LLMOPS_PROJECT_DIR": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "MPLCONFIGDIR": str(tmp_path / "mpl"),
    }
    out = subprocess.run(
        [sys.executable, "-S", "-c", LIGHT_STEPS, str(site), str(ROOT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["dataset"] and result["decision"] in ("pass", "block") and result["status"] == "FINISHED"
    assert (tmp_path / "ws" / "reports" / "wf-light" / "report.md").is_file()
