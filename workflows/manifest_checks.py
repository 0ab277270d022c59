"""Offline checks of rendered manifests: strict CRD schemas, metadata, and Argo cross-references.

Pure functions over manifest dicts (only `load_schemas` reads files), shared by the render tests and
the lint command. Every problem is one line: `<kind>/<name>: <where>: <what is wrong and what to do>`.
Hera does not validate templateRefs or their arguments (argoproj-labs/hera#1448) and the API server
prunes unknown fields instead of rejecting them, so these checks are what catches such mistakes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

TEMPLATE_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
WORKFLOW_PARAM = re.compile(r"workflow\.parameters\.([A-Za-z0-9_-]+)")
INPUT_PARAM = re.compile(r"inputs\.parameters\.([A-Za-z0-9_-]+)")
TASK_REF = re.compile(r"tasks\.([A-Za-z0-9_-]+)\.(outputs\.(?:parameters\.([A-Za-z0-9_-]+)|result)|[A-Za-z]+)?")
DEPENDS_TOKEN = re.compile(r"([A-Za-z0-9][A-Za-z0-9_-]*)(?:\.([A-Za-z]+))?")
DEPENDS_RESULTS = {"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed"}


# ---------------------------------------------------------------- schemas and metadata
def strict_schema(schema: dict) -> dict:
    """A copy of a CRD openAPIV3Schema that rejects unknown fields (the API server would prune them)."""

    def walk(node):
        if not isinstance(node, dict):
            return node
        out = dict(node)
        if isinstance(node.get("properties"), dict):
            out["properties"] = {k: walk(v) for k, v in node["properties"].items()}
            if "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                out["additionalProperties"] = False
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                out[key] = walk(node[key])
        for key in ("anyOf", "allOf", "oneOf"):
            if isinstance(node.get(key), list):
                out[key] = [walk(v) for v in node[key]]
        if node.get("x-kubernetes-int-or-string") and "anyOf" not in node and "type" not in node:
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        return out

    return walk(schema)


def load_schemas(schema_dir: Path, strict: bool = True) -> dict[str, dict]:
    """CRD schemas keyed by kind, from a folder with `index.json` (file -> kind, apiVersion)."""
    index = json.loads((Path(schema_dir) / "index.json").read_text())
    schemas = {}
    for filename, entry in index.items():
        schema = json.loads((Path(schema_dir) / filename).read_text())
        schemas[entry["kind"]] = strict_schema(schema) if strict else schema
    return schemas


def _label(doc: dict) -> str:
    return f"{doc.get('kind', '?')}/{(doc.get('metadata') or {}).get('name', '?')}"


def schema_errors(doc: dict, schema: dict) -> list[str]:
    """Violations of `schema` (pass a `strict_schema`), each as `<kind>/<name>: <json path>: <message>`."""
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{_label(doc)}: {e.json_path}: {e.message}" for e in errors]


def _label_errors(where: str, mapping, check_values: bool) -> list[str]:
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        return [f"{where}: must be a mapping of strings"]
    errors = []
    for key, value in mapping.items():
        prefix, _, name = str(key).rpartition("/")
        if (prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix))) or len(name) > 63 \
                or not LABEL_NAME.match(name):
            errors.append(f"{where}: key {key!r} is not a valid qualified name ([prefix/]name, name <= 63 chars)")
        if not isinstance(value, str):
            errors.append(f"{where}: value of {key!r} must be a string (quote it in YAML), got {value!r}")
        elif check_values and value and (len(value) > 63 or not LABEL_NAME.match(value)):
            errors.append(f"{where}: value {value!r} of {key!r} is not a valid label value (<= 63 chars, alphanumeric ends)")
    return errors


def metadata_errors(doc: dict) -> list[str]:
    """Name present and DNS-1123 (<= 63 chars for Argo workflow kinds), namespace, labels, annotations."""
    meta, label = doc.get("metadata") or {}, _label(doc)
    name, errors = meta.get("name"), []
    if not name:
        hint = " (generateName cannot be applied by Argo CD; render a fixed name)" if meta.get("generateName") else ""
        errors.append(f"{label}: metadata.name is missing{hint}")
    else:
        limit = 63 if doc.get("kind") in TEMPLATE_KINDS else 253
        if len(name) > limit or not DNS_SUBDOMAIN.match(name):
            errors.append(f"{label}: metadata.name {name!r} must be a DNS-1123 subdomain of at most {limit} characters "
                          "(lowercase alphanumerics, '-' and '.')")
    namespace = meta.get("namespace")
    if namespace is not None and (len(namespace) > 63 or not DNS_LABEL.match(namespace)):
        errors.append(f"{label}: metadata.namespace {namespace!r} is not a DNS-1123 label")
    if namespace and doc.get("kind") == "ClusterWorkflowTemplate":
        errors.append(f"{label}: a ClusterWorkflowTemplate is cluster-scoped; remove metadata.namespace")
    errors += _label_errors(f"{label}: metadata.labels", meta.get("labels"), check_values=True)
    errors += _label_errors(f"{label}: metadata.annotations", meta.get("annotations"), check_values=False)
    return errors


# ---------------------------------------------------------------- cross-references
def _templates(doc: dict) -> dict[str, dict]:
    return {t.get("name"): t for t in (doc.get("spec") or {}).get("templates") or []}


def _parameters(holder: dict | None, section: str = "parameters") -> dict[str, dict]:
    return {p.get("name"): p for p in ((holder or {}).get(section) or [])}


def _tags(obj) -> list[str]:
    return TAG.findall(json.dumps(obj, ensure_ascii=False))


def _names(items) -> str:
    return ", ".join(sorted(str(i) for i in items)) or "none"


class _Checker:
    def __init__(self, docs: list[dict]):
        self.docs = [d for d in docs if d.get("kind") in TEMPLATE_KINDS]
        self.cwts = {d["metadata"].get("name"): d for d in self.docs if d["kind"] == "ClusterWorkflowTemplate"}
        self.wts = {d["metadata"].get("name"): d for d in self.docs if d["kind"] == "WorkflowTemplate"}
        self.errors: list[str] = []

    def resolve(self, ref: dict, where: str) -> tuple[str, dict | None]:
        """(description, template) of a templateRef; the template is None (and an error recorded) if missing."""
        kind, pool = ("ClusterWorkflowTemplate", self.cwts) if ref.get("clusterScope") else ("WorkflowTemplate", self.wts)
        name, template = ref.get("name"), ref.get("template")
        if name not in pool:
            self.errors.append(f"{where}: templateRef {kind} {name!r} does not exist (known: {_names(pool)}); "
                               "fix the name or render/add that template")
            return f"{name}/{template}", None
        target = _templates(pool[name]).get(template)
        if target is None:
            self.errors.append(f"{where}: {kind} {name!r} has no template {template!r} "
                               f"(it has: {_names(_templates(pool[name]))})")
        return f"{kind} {name}/{template}", target

    def target(self, task: dict, local: dict[str, dict], where: str) -> tuple[str, dict | None]:
        if task.get("templateRef"):
            return self.resolve(task["templateRef"], where)
        if task.get("inline"):
            return "inline template", task["inline"]
        name = task.get("template")
        if name not in local:
            self.errors.append(f"{where}: template {name!r} does not exist in this workflow (has: {_names(local)})")
            return str(name), None
        return f"template {name}", local[name]

    def arguments(self, where: str, args: dict | None, target_desc: str, inputs: dict[str, dict],
                  wf_params: dict[str, dict], what: str = "input") -> None:
        given = _parameters(args)
        for name, arg in given.items():
            if name not in inputs:
                self.errors.append(f"{where}: argument {name!r} is not a declared {what} of {target_desc} "
                                   f"(declared: {_names(inputs)}); remove it or declare it there")
                continue
            enum, value = inputs[name].get("enum"), arg.get("value")
            if not enum or value is None:
                continue
            value = str(value)
            if "{{" not in value and value not in [str(e) for e in enum]:
                self.errors.append(f"{where}: argument {name}={value!r} is not one of {enum} allowed by {target_desc}")
            source = re.fullmatch(r"\{\{\s*workflow\.parameters\.([A-Za-z0-9_-]+)\s*\}\}", value)
            source_enum = (wf_params.get(source.group(1)) or {}).get("enum") if source else None
            if source_enum and not {str(e) for e in source_enum} <= {str(e) for e in enum}:
                self.errors.append(f"{where}: argument {name} takes workflow parameter {source.group(1)!r} whose enum "
                                   f"{source_enum} allows values outside {enum} of {target_desc}; align the enums")
        for name, param in inputs.items():
            if name not in given and "default" not in param and "value" not in param:
                self.errors.append(f"{where}: required {what} {name!r} of {target_desc} is not given; "
                                   "pass it as an argument or give it a default")

    def template_refs(self, where: str, obj, inputs: dict[str, dict], wf_params: dict[str, dict]) -> None:
        for tag in _tags(obj):
            for name in WORKFLOW_PARAM.findall(tag):
                if name != "json" and name not in wf_params:
                    self.errors.append(f"{where}: {{{{workflow.parameters.{name}}}}} is not declared in "
                                       f"spec.arguments.parameters (declared: {_names(wf_params)})")
            for name in INPUT_PARAM.findall(tag):
                if name not in inputs:
                    self.errors.append(f"{where}: {{{{inputs.parameters.{name}}}}} is not an input of this template "
                                       f"(inputs: {_names(inputs)})")

    def task_output_refs(self, where: str, obj, targets: dict[str, dict | None], ancestors: set[str] | None) -> None:
        for tag in _tags(obj):
            for task, field, param in TASK_REF.findall(tag):
                if task not in targets:
                    self.errors.append(f"{where}: {{{{tasks.{task}...}}}} names no task of this DAG "
                                       f"(tasks: {_names(targets)})")
                    continue
                if ancestors is not None and task not in ancestors:
                    self.errors.append(f"{where}: uses the outputs of task {task!r} without depending on it; "
                                       f"add {task} to depends")
                target = targets[task]
                if target is None:
                    continue
                declared = _parameters(target.get("outputs"))
                if param and param not in declared:
                    hint = (f"; a script's return value is {{{{tasks.{task}.outputs.result}}}}"
                            if param == "result" and ("script" in target or "container" in target) else "")
                    self.errors.append(f"{where}: task {task!r} has no output parameter {param!r} "
                                       f"(declared: {_names(declared)}){hint}")
                elif field == "outputs.result" and not ("script" in target or "container" in target):
                    self.errors.append(f"{where}: task {task!r} runs no script or container, so it has no outputs.result")

    def dag(self, where: str, template: dict, local: dict[str, dict], wf_params: dict[str, dict]) -> None:
        tasks = template["dag"].get("tasks") or []
        names = [t.get("name") for t in tasks]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            self.errors.append(f"{where}: task name {dup!r} is used twice")
        deps: dict[str, set[str]] = {}
        targets: dict[str, dict | None] = {}
        for task in tasks:
            tw = f"{where}, task {task.get('name')}"
            found = {n for n, _ in DEPENDS_TOKEN.findall(task.get("depends") or "")}
            for n, result in DEPENDS_TOKEN.findall(task.get("depends") or ""):
                if result and result not in DEPENDS_RESULTS:
                    self.errors.append(f"{tw}: depends uses unknown result {n}.{result} (use one of {_names(DEPENDS_RESULTS)})")
            found |= set(task.get("dependencies") or [])
            for n in sorted(found - set(names)):
                self.errors.append(f"{tw}: depends on {n!r}, which is not a task of this DAG (tasks: {_names(names)})")
            deps[task.get("name")] = found & set(names)
            desc, targets[task.get("name")] = self.target(task, local, tw)
            if targets[task.get("name")] is not None:
                self.arguments(tw, task.get("arguments"), desc, _parameters(targets[task.get("name")].get("inputs")),
                               wf_params)
            if "{{item" in json.dumps(task) and not any(k in task for k in ("withItems", "withParam", "withSequence")):
                self.errors.append(f"{tw}: uses {{{{item}}}} but has no withItems/withParam/withSequence")
        for task in tasks:
            seen, stack = set(), list(deps.get(task.get("name"), ()))
            while stack:
                n = stack.pop()
                if n not in seen:
                    seen.add(n)
                    stack.extend(deps.get(n, ()))
            if task.get("name") in seen:
                self.errors.append(f"{where}, task {task.get('name')}: depends on itself (dependency cycle)")
            self.task_output_refs(f"{where}, task {task.get('name')}", task, targets, seen)
        self.task_output_refs(where, {**template, "dag": {**template["dag"], "tasks": []}}, targets, None)

    def document(self, doc: dict) -> None:
        label, spec = _label(doc), doc.get("spec") or {}
        local, wf_params = _templates(doc), _parameters(spec.get("arguments"))
        entrypoint, on_exit = spec.get("entrypoint"), spec.get("onExit")
        ref, resolved = spec.get("workflowTemplateRef"), True
        if ref:
            kind, pool = ("ClusterWorkflowTemplate", self.cwts) if ref.get("clusterScope") else ("WorkflowTemplate", self.wts)
            base = pool.get(ref.get("name"))
            resolved = base is not None
            if base is None:
                self.errors.append(f"{label}: workflowTemplateRef {kind} {ref.get('name')!r} does not exist "
                                   f"(known: {_names(pool)})")
            else:
                declared = _parameters(base["spec"].get("arguments"))
                self.arguments(label, spec.get("arguments"), f"{kind} {ref.get('name')}", declared, {},
                               what="parameter")
                local = {**_templates(base), **local}
                wf_params = {**declared, **wf_params}
                entrypoint, on_exit = entrypoint or base["spec"].get("entrypoint"), on_exit or base["spec"].get("onExit")
        if doc.get("kind") == "Workflow" and not entrypoint and resolved:
            self.errors.append(f"{label}: no entrypoint (set spec.entrypoint here or in the referenced template)")
        for field, name in (("entrypoint", entrypoint), ("onExit", on_exit)):
            if name and name not in local:
                self.errors.append(f"{label}: spec.{field} {name!r} names no template (templates: {_names(local)})")
        for name, param in wf_params.items():
            if param.get("enum") and "value" in param and str(param["value"]) not in [str(e) for e in param["enum"]]:
                self.errors.append(f"{label}: parameter {name}={param['value']!r} is not in its enum {param['enum']}")
        for name, template in _templates(doc).items():
            where = f"{label}: template {name}"
            inputs = _parameters(template.get("inputs"))
            if "dag" in template:
                tasks = template["dag"].get("tasks") or []
                self.template_refs(where, {**template, "dag": {**template["dag"], "tasks": []}}, inputs, wf_params)
                for task in tasks:
                    self.template_refs(f"{where}, task {task.get('name')}", task, inputs, wf_params)
                self.dag(where, template, local, wf_params)
            else:
                self.template_refs(where, template, inputs, wf_params)
            for group in template.get("steps") or []:
                for step in group or []:
                    sw = f"{where}, step {step.get('name')}"
                    desc, target = self.target(step, local, sw)
                    if target is not None:
                        self.arguments(sw, step.get("arguments"), desc, _parameters(target.get("inputs")), wf_params)


def reference_errors(docs: list[dict]) -> list[str]:
    """Cross-reference problems among Workflows, WorkflowTemplates and ClusterWorkflowTemplates."""
    checker = _Checker(docs)
    for doc in checker.docs:
        checker.document(doc)
    return list(dict.fromkeys(checker.errors))
