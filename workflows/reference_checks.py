"""Offline checks of Argo cross-references among rendered Workflows, WorkflowTemplates and ClusterWorkflowTemplates,
and of the Workflows CronWorkflows and WorkflowEventBindings submit (`workflows.argo.events.submitted_workflow`),
the pipeline Workflow a drift check's CronWorkflow creates included (`embedded_workflow`).

Every templateRef, argument, required input, output, `depends` and `{{...}}` reference must resolve. What a
task invokes, what its `depends` names and what a tag refers to are read by `workflows.argo` (the parser the
local runner uses too). Hera does not validate templateRefs or their arguments (argoproj-labs/hera#1448), so
these checks are what catches such mistakes. Every problem is one line: `<kind>/<name>: <where>: <what is
wrong and what to do>`.
"""

from __future__ import annotations

from typing import Any

from workflows.argo.depends import task_depends
from workflows.argo.errors import ManifestError
from workflows.argo.events import embedded_workflow, submitted_workflow
from workflows.argo.references import TASK_KINDS, Kind, has_tags, references_in, sole_reference
from workflows.argo.templates import (
    MANIFEST_KINDS,
    Manifests,
    call_of,
    field_name_problem,
    manifest_label,
    parameters_by_name,
    ref_owner,
    split_owner,
    templates_by_name,
)


def _names(items) -> str:
    return ", ".join(sorted(str(i) for i in items)) or "none"


def _without_tasks(template: dict) -> dict:
    """A DAG template without its tasks (their fields are checked per task)."""
    return {**template, "dag": {**template["dag"], "tasks": []}}


class _Checker:
    def __init__(self, docs: list[dict]):
        self.docs = [d for d in docs if d.get("kind") in MANIFEST_KINDS]
        self.index = Manifests(d for d in self.docs if (d.get("metadata") or {}).get("name"))
        self.errors: list[str] = []

    def resolve(self, owner: str, template: str, where: str) -> tuple[str, dict | None]:
        """(description, template) of a templateRef; the template is None (and an error recorded) if missing."""
        kind, name = split_owner(owner)
        manifest = self.index.manifests.get(owner)
        if manifest is None:
            known = _names(self.index.names(kind))
            self.errors.append(
                f"{where}: templateRef {kind} {name!r} does not exist (known: {known}); "
                "fix the name or render/add that template"
            )
            return f"{name}/{template}", None
        target = templates_by_name(manifest).get(template)
        if target is None:
            self.errors.append(
                f"{where}: {kind} {name!r} has no template {template!r} (it has: {_names(templates_by_name(manifest))})"
            )
        return f"{kind} {name}/{template}", target

    def target(self, task: dict, local: dict[str, dict], where: str) -> tuple[str, dict | None]:
        try:
            call = call_of(task)
        except ManifestError as err:
            self.errors.append(f"{where}: {err}")
            return "?", None
        if call.inline is not None:
            return "inline template", call.inline
        name = str(call.template)
        if call.owner is not None:
            return self.resolve(call.owner, name, where)
        if name not in local:
            self.errors.append(f"{where}: template {name!r} does not exist in this workflow (has: {_names(local)})")
            return name, None
        return f"template {name}", local[name]

    def arguments(
        self,
        where: str,
        args: dict | None,
        target_desc: str,
        inputs: dict[str, dict],
        wf_params: dict[str, dict],
        what: str = "input",
    ) -> None:
        given = parameters_by_name(args)
        for name, arg in given.items():
            if name not in inputs:
                self.errors.append(
                    f"{where}: argument {name!r} is not a declared {what} of {target_desc} "
                    f"(declared: {_names(inputs)}); remove it or declare it there"
                )
                continue
            enum, value = inputs[name].get("enum"), arg.get("value")
            if not enum or value is None:
                continue
            value = str(value)
            if not has_tags(value) and value not in [str(e) for e in enum]:
                self.errors.append(f"{where}: argument {name}={value!r} is not one of {enum} allowed by {target_desc}")
            source = sole_reference(value)
            source_name = source.name if source and source.kind is Kind.WORKFLOW_PARAMETER else None
            source_enum = (wf_params.get(source_name) or {}).get("enum") if source_name else None
            if source_enum and not {str(e) for e in source_enum} <= {str(e) for e in enum}:
                self.errors.append(
                    f"{where}: argument {name} takes workflow parameter {source_name!r} whose enum "
                    f"{source_enum} allows values outside {enum} of {target_desc}; align the enums"
                )
        for name, param in inputs.items():
            if name not in given and "default" not in param and "value" not in param:
                self.errors.append(
                    f"{where}: required {what} {name!r} of {target_desc} is not given; "
                    "pass it as an argument or give it a default"
                )

    def template_refs(self, where: str, obj: Any, inputs: dict[str, dict], wf_params: dict[str, dict]) -> None:
        for ref in references_in(obj):
            if ref.kind is Kind.WORKFLOW_PARAMETER and ref.name != "json" and ref.name not in wf_params:
                self.errors.append(
                    f"{where}: {{{{workflow.parameters.{ref.name}}}}} is not declared in "
                    f"spec.arguments.parameters (declared: {_names(wf_params)})"
                )
            elif ref.kind is Kind.INPUT_PARAMETER and ref.name not in inputs:
                self.errors.append(
                    f"{where}: {{{{inputs.parameters.{ref.name}}}}} is not an input of this template "
                    f"(inputs: {_names(inputs)})"
                )

    def task_output_refs(
        self, where: str, obj: Any, targets: dict[str, dict | None], ancestors: set[str] | None
    ) -> None:
        for ref in references_in(obj):
            if ref.kind not in TASK_KINDS:
                continue
            task = ref.name
            if task not in targets:
                self.errors.append(
                    f"{where}: {{{{tasks.{task}...}}}} names no task of this DAG (tasks: {_names(targets)})"
                )
                continue
            if ancestors is not None and task not in ancestors:
                self.errors.append(
                    f"{where}: uses the outputs of task {task!r} without depending on it; add {task} to depends"
                )
            target = targets[task]
            if target is None:
                continue
            runs_code = "script" in target or "container" in target
            declared = parameters_by_name(target.get("outputs"))
            if ref.kind is Kind.TASK_PARAMETER and ref.parameter not in declared:
                hint = (
                    f"; a script's return value is {{{{tasks.{task}.outputs.result}}}}"
                    if ref.parameter == "result" and runs_code
                    else ""
                )
                self.errors.append(
                    f"{where}: task {task!r} has no output parameter {ref.parameter!r} "
                    f"(declared: {_names(declared)}){hint}"
                )
            elif ref.kind is Kind.TASK_RESULT and not runs_code:
                self.errors.append(f"{where}: task {task!r} runs no script or container, so it has no outputs.result")

    def depends(self, task: dict, where: str) -> set[str] | None:
        """The task names a task's `depends` / `dependencies` reference; None (and an error) if unreadable."""
        try:
            return task_depends(task).tasks()
        except ManifestError as err:
            self.errors.append(f"{where}: {err}")
            return None

    def dag(self, where: str, template: dict, local: dict[str, dict], wf_params: dict[str, dict]) -> None:
        tasks = template["dag"].get("tasks") or []
        names = [t.get("name") for t in tasks]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            self.errors.append(f"{where}: task name {dup!r} is used twice")
        deps: dict[str, set[str]] = {}
        targets: dict[str, dict | None] = {}
        readable = True  # every depends parsed, so ancestors are known
        for task in tasks:
            tw = f"{where}, task {task.get('name')}"
            problem = field_name_problem(str(task.get("name")))
            if problem:
                self.errors.append(f"{tw}: task {problem}")
            found = self.depends(task, tw)
            if found is None:
                readable, found = False, set()
            for n in sorted(found - set(names)):
                self.errors.append(f"{tw}: depends on {n!r}, which is not a task of this DAG (tasks: {_names(names)})")
            deps[task.get("name")] = found & set(names)
            desc, target = self.target(task, local, tw)
            targets[task.get("name")] = target
            if target is not None:
                self.arguments(tw, task.get("arguments"), desc, parameters_by_name(target.get("inputs")), wf_params)
            uses_item = any(ref.kind is Kind.ITEM for ref in references_in(task))
            if uses_item and not any(k in task for k in ("withItems", "withParam", "withSequence")):
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
            self.task_output_refs(f"{where}, task {task.get('name')}", task, targets, seen if readable else None)
        self.task_output_refs(where, _without_tasks(template), targets, None)

    def document(self, doc: dict, label: str | None = None) -> None:
        label, spec = label or manifest_label(doc), doc.get("spec") or {}
        local, wf_params = templates_by_name(doc), parameters_by_name(spec.get("arguments"))
        entrypoint, on_exit = spec.get("entrypoint"), spec.get("onExit")
        ref, resolved = spec.get("workflowTemplateRef"), True
        if ref:
            kind, _ = split_owner(ref_owner(ref))
            base = self.index.manifests.get(ref_owner(ref))
            resolved = base is not None
            if base is None:
                self.errors.append(
                    f"{label}: workflowTemplateRef {kind} {ref.get('name')!r} does not exist "
                    f"(known: {_names(self.index.names(kind))})"
                )
            else:
                declared = parameters_by_name(base["spec"].get("arguments"))
                self.arguments(
                    label, spec.get("arguments"), f"{kind} {ref.get('name')}", declared, {}, what="parameter"
                )
                local = {**templates_by_name(base), **local}
                wf_params = {**declared, **wf_params}
                entrypoint = entrypoint or base["spec"].get("entrypoint")
                on_exit = on_exit or base["spec"].get("onExit")
        if doc.get("kind") == "Workflow" and not entrypoint and resolved:
            self.errors.append(f"{label}: no entrypoint (set spec.entrypoint here or in the referenced template)")
        for field, name in (("entrypoint", entrypoint), ("onExit", on_exit)):
            if name and name not in local:
                self.errors.append(f"{label}: spec.{field} {name!r} names no template (templates: {_names(local)})")
        for name, param in wf_params.items():
            if param.get("enum") and "value" in param and str(param["value"]) not in [str(e) for e in param["enum"]]:
                self.errors.append(f"{label}: parameter {name}={param['value']!r} is not in its enum {param['enum']}")
        for name, template in templates_by_name(doc).items():
            where = f"{label}: template {name}"
            inputs = parameters_by_name(template.get("inputs"))
            if "dag" in template:
                self.template_refs(where, _without_tasks(template), inputs, wf_params)
                for task in template["dag"].get("tasks") or []:
                    self.template_refs(f"{where}, task {task.get('name')}", task, inputs, wf_params)
                self.dag(where, template, local, wf_params)
            else:
                self.template_refs(where, template, inputs, wf_params)
            for group in template.get("steps") or []:
                for step in group or []:
                    sw = f"{where}, step {step.get('name')}"
                    desc, target = self.target(step, local, sw)
                    if target is not None:
                        self.arguments(
                            sw, step.get("arguments"), desc, parameters_by_name(target.get("inputs")), wf_params
                        )


def reference_errors(docs: list[dict]) -> list[str]:
    """Cross-reference problems among Workflows, WorkflowTemplates and ClusterWorkflowTemplates, and of what
    CronWorkflows and WorkflowEventBindings submit (an argument read from the event has no value to check)."""
    checker = _Checker(docs)
    for doc in checker.docs:
        checker.document(doc)
    for doc in docs:
        for created in (submitted_workflow(doc), embedded_workflow(doc)):
            if created is not None:
                where, workflow = created
                checker.document(workflow, where)
    return list(dict.fromkeys(checker.errors))
