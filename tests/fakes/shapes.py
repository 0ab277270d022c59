"""Shape variants of the fake's v1 answers: what an independently written server may send.

`FakeNemoPlatform(shapes=...)` takes any of:

    minimal  every object keeps only the fields the API requires, plus the identity and state fields the
             service always echoes (id, name, namespace, status, custom_fields, output_model); optional
             fields are absent. Customization config targets carry name, namespace and base_model only
             (no model_path, num_parameters, precision: the SDK then keeps a target as a plain dict).
    nulls    the same optional fields are present, as JSON null.
    extra    every object gains fields the SDK does not know (a number and a nested object).

The answer is reshaped on its way out (stored state is untouched), for the SDK's endpoints only: the
Entity Store, Customizer, Evaluator, deployments and Guardrails; the Data Store's Hugging Face API and
NIM's OpenAI API keep their shapes. A shape spec is a dict {field: spec of its value} of the fields an
object keeps; `ANY` keeps a value as it is; `Map(spec)` is a name -> value map (task names, custom fields)
whose values follow `spec`; a list of objects has the spec of its items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SHAPES = ("minimal", "nulls", "extra")
ANY: dict[str, Any] | None = None  # a value kept as it is
EXTRA_FIELDS = {"x_fake_revision": 7, "x_fake_meta": {"origin": "fake", "tags": ["unknown", "fields"]}}


@dataclass(frozen=True)
class Map:
    values: Any


def keep(*names: str, **nested: Any) -> dict[str, Any]:
    return dict(dict.fromkeys(names, ANY), **nested)


ECHOED = ("id", "name", "namespace", "custom_fields")
TARGET = keep("name", "namespace", "base_model")
CONFIG = keep(
    *ECHOED,
    "max_seq_length",
    target=TARGET,
    training_options=keep("training_type", "finetuning_type", "num_gpus", "micro_batch_size"),
)
CUSTOMIZATION_JOB = keep(*ECHOED, "config", "dataset", "hyperparameters", "status", "output_model")
CUSTOMIZATION_STATUS = keep("status", "created_at", "updated_at")
EVALUATION_JOB = keep(*ECHOED, "config", "target", "status")
RESULTS = keep("id", "job", tasks=Map(keep(metrics=Map(keep(scores=Map(keep("value")))))))
DEPLOYMENT = keep(*ECHOED, "config", "url", status_details=keep("status"))
GUARDRAIL_CHECK = keep("status", rails_status=Map(keep("status")))

ITEM = r"/[^/]+/[^/]+"
JOB = r"/[^/]+"  # a job id
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", r"/v1/customization/configs", [CONFIG]),
    ("GET|POST|PATCH", rf"/v1/customization/configs(?:{ITEM})?", CONFIG),
    ("GET", r"/v1/customization/jobs", [CUSTOMIZATION_JOB]),
    ("POST", r"/v1/customization/jobs", CUSTOMIZATION_JOB),
    ("GET", rf"/v1/customization/jobs{JOB}", CUSTOMIZATION_JOB),
    ("POST", r"/v1/customization/jobs/[^/]+/cancel", CUSTOMIZATION_JOB),
    ("GET", r"/v1/customization/jobs/[^/]+/status", CUSTOMIZATION_STATUS),
    ("GET", r"/v1/evaluation/jobs", [EVALUATION_JOB]),
    ("POST", r"/v1/evaluation/jobs", EVALUATION_JOB),
    ("GET", rf"/v1/evaluation/jobs{JOB}", EVALUATION_JOB),
    ("GET", r"/v1/evaluation/jobs/[^/]+/results", RESULTS),
    ("GET", r"/v1/deployment/model-deployments", [DEPLOYMENT]),
    ("GET|POST", rf"/v1/deployment/model-deployments(?:{ITEM})?", DEPLOYMENT),
    ("GET", r"/v1/(?:models|datasets|guardrail/configs)", [keep(*ECHOED, "files_url")]),
    ("GET|POST|PATCH", rf"/v1/(?:models|datasets|guardrail/configs)(?:{ITEM})?", keep(*ECHOED, "files_url")),
    ("GET", r"/v1/namespaces", [keep(*ECHOED)]),
    ("GET|POST", r"/v1/namespaces(?:/[^/]+)?", keep(*ECHOED)),
    ("POST", r"/v1/guardrail/checks", GUARDRAIL_CHECK),
]
_COMPILED = [(tuple(m.split("|")), re.compile(f"^{p}$"), spec) for m, p, spec in ROUTES]


def variants(shapes: str | tuple[str, ...] | list[str] | frozenset[str] | None) -> frozenset[str]:
    chosen = frozenset([shapes] if isinstance(shapes, str) else shapes or ())
    unknown = chosen - set(SHAPES)
    if unknown:
        raise ValueError(f"unknown shape variants {sorted(unknown)}; known: {list(SHAPES)}")
    return chosen


def spec_for(method: str, path: str) -> Any:
    for methods, regex, spec in _COMPILED:
        if method in methods and regex.match(path):
            return spec
    return ANY


def reshape(method: str, path: str, answer: Any, shapes: frozenset[str]) -> Any:
    """The answer in the chosen shapes (a new value; the answer itself is not changed)."""
    spec = spec_for(method, path) if shapes else ANY
    if spec is ANY:
        return answer
    if isinstance(spec, list) and isinstance(answer, dict) and isinstance(answer.get("data"), list):
        return _shaped(answer, keep(data=spec), shapes)  # a page's object/sort/pagination are optional
    return _shaped(answer, spec, shapes)


def _shaped(value: Any, spec: Any, shapes: frozenset[str]) -> Any:
    if spec is ANY:
        return value
    if isinstance(spec, list):
        return [_shaped(v, spec[0], shapes) for v in value] if isinstance(value, list) else value
    if isinstance(spec, Map):
        return {k: _shaped(v, spec.values, shapes) for k, v in value.items()} if isinstance(value, dict) else value
    if isinstance(value, list):
        return [_shaped(v, spec, shapes) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in spec:
            out[key] = _shaped(item, spec[key], shapes)
        elif "minimal" not in shapes:
            out[key] = None if "nulls" in shapes else item
    if "extra" in shapes:
        out.update(EXTRA_FIELDS)
    return out
