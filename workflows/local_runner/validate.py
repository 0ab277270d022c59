"""Static checks of everything a run can reach, before any step starts.

Walks the entrypoint and onExit templates through DAG tasks and checks: template fields (allow-lists),
template references, task arguments against declared inputs (unknown, missing, literal enum violations),
`depends`/`dependencies` names and syntax, `when` syntax, every `{{...}}` reference, script shape.
"""

from __future__ import annotations

from typing import Any

from workflows.argo.depends import depends_field, task_depends
from workflows.argo.expressions import parse_when
from workflows.argo.references import INPUT_KINDS, TASK_KINDS, Kind, Reference, has_tags
from workflows.argo.templates import templates_of
from workflows.local_runner.errors import ExpressionError, InputError, RunnerError
from workflows.local_runner.inputs import check_enum
from workflows.local_runner.manifests import ResolvedWorkflow, Template, TemplateIndex
from workflows.local_runner.scripts import deadline_seconds, memo_settings, output_specs, retry_plan, script_entrypoint
from workflows.local_runner.substitution import substitute, text_of

PLACEHOLDER = "1"  # parses as a number, a duration and a word, so typed fields can be checked with tags in them


class StaticScope:
    def __init__(
        self,
        wf: ResolvedWorkflow,
        globals_: set[str],
        template: Template | None,
        tasks: dict[str, Template] | None = None,
        has_item: bool = False,
        in_exit: bool = False,
    ) -> None:
        self.wf, self.globals, self.tasks, self.has_item, self.in_exit = wf, globals_, tasks, has_item, in_exit
        self.inputs = {str(p.get("name")) for p in template.input_parameters()} if template else None

    def lookup(self, ref: Reference) -> str:
        if ref.kind is Kind.ITEM:
            if not self.has_item:
                raise LookupError("'item' is only defined in a task with withItems or withParam")
            return PLACEHOLDER
        if ref.kind is Kind.WORKFLOW_VARIABLE:
            if ref.name in ("name", "uid", "namespace", "creationTimestamp", "duration"):
                return PLACEHOLDER
            if ref.name in ("status", "failures"):
                if not self.in_exit:
                    raise LookupError(f"'workflow.{ref.name}' is only available in the exit handler (spec.onExit)")
                return PLACEHOLDER
            raise LookupError(f"'workflow.{ref.name}' is not a workflow variable the local runner supports")
        if ref.kind in (Kind.WORKFLOW_LABEL, Kind.WORKFLOW_ANNOTATION):
            return PLACEHOLDER
        for kind, known, what in (
            (Kind.WORKFLOW_PARAMETER, set(self.wf.parameters), "workflow parameter"),
            (Kind.WORKFLOW_OUTPUT, self.globals, "globalName output"),
        ):
            if ref.kind is kind:
                if ref.name not in known:
                    raise LookupError(f"no {what} named {ref.name!r} (known: {', '.join(sorted(known)) or 'none'})")
                return PLACEHOLDER
        if ref.kind in INPUT_KINDS and self.inputs is not None:
            if ref.kind is Kind.INPUT_PARAMETER and ref.name not in self.inputs:
                declared = ", ".join(sorted(self.inputs)) or "none"
                raise LookupError(f"the template declares no input {ref.name!r} (inputs: {declared})")
            return PLACEHOLDER
        if ref.kind in TASK_KINDS and self.tasks is not None:
            return self._task(ref)
        raise LookupError("not a reference the local runner supports at this place")

    def _task(self, ref: Reference) -> str:
        assert self.tasks is not None
        task = ref.name
        if task not in self.tasks:
            raise LookupError(f"this DAG has no task {task!r} (tasks: {', '.join(self.tasks)})")
        target = self.tasks[task]
        if ref.kind is Kind.TASK_STATUS or (ref.kind is Kind.TASK_RESULT and target.kind == "script"):
            return PLACEHOLDER
        if ref.kind is Kind.TASK_PARAMETER:
            names = {str(p.get("name")) for p in target.output_parameters()}
            if ref.parameter not in names:
                raise LookupError(
                    f"template {target.name!r} of task {task!r} declares no output {ref.parameter!r} "
                    f"(outputs: {', '.join(sorted(names)) or 'none'})"
                )
            return PLACEHOLDER
        raise LookupError(f"'{ref.text}' is not supported (use outputs.parameters.<name>, outputs.result or status)")


def _check_refs(value: Any, scope: StaticScope, path: str) -> None:
    if isinstance(value, str):
        substitute(value, scope, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_refs(item, scope, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_refs(item, scope, f"{path}[{index}]")


def validate_run(index: TemplateIndex, wf: ResolvedWorkflow) -> None:
    reachable: dict[tuple[str, str, bool], Template] = {}
    roots = [(index.template(wf.owner, wf.entrypoint, "Workflow spec.entrypoint"), False)]
    if wf.on_exit:
        roots.append((index.template(wf.owner, wf.on_exit, "Workflow spec.onExit"), True))
    stack = list(roots)
    while stack:
        template, in_exit = stack.pop()
        key = (template.owner, template.name, in_exit)
        if key in reachable:
            continue
        reachable[key] = template
        if template.kind == "dag":
            for i, task in enumerate(template.body["dag"].get("tasks") or []):
                stack.append((index.resolve_task(template.owner, task, f"{template.path}.dag.tasks[{i}]"), in_exit))
    for owner in sorted({owner for owner, _, _ in reachable}):
        for i, body in enumerate(templates_of(index.manifests[owner])):
            if not isinstance(body, dict) or not body.get("name"):
                raise RunnerError(f"{owner} spec.templates[{i}]: a template needs a name")
            index.template(owner, str(body["name"]), owner)  # every template of a used manifest is checked
    globals_ = {str(p["globalName"]) for t in reachable.values() for p in t.output_parameters() if p.get("globalName")}
    for (_, _, in_exit), template in reachable.items():
        scope = StaticScope(wf, globals_, template, in_exit=in_exit)
        if template.kind == "dag":
            _check_dag(index, wf, globals_, template, in_exit)
            continue
        _check_refs({k: v for k, v in template.body.items() if k != "outputs"}, scope, template.path)
        if template.kind == "script":
            script_entrypoint(template)
            output_specs(template, scope)
            retry_plan(template, scope)
            deadline_seconds(template, scope)
            memo_settings(template, scope)
        for k, param in enumerate(template.output_parameters()):
            value_from = param.get("valueFrom") or {}
            path = f"{template.path}.outputs.parameters[{k}]"
            _check_refs(value_from, scope, f"{path}.valueFrom")
            if template.kind == "suspend" and "supplied" not in value_from and "default" not in value_from:
                raise RunnerError(f"{path}.valueFrom: a suspend output needs 'supplied' or 'default'")


def _check_dag(
    index: TemplateIndex, wf: ResolvedWorkflow, globals_: set[str], template: Template, in_exit: bool
) -> None:
    tasks: list[dict[str, Any]] = template.body["dag"].get("tasks") or []
    targets: dict[str, Template] = {}
    for i, task in enumerate(tasks):
        name = str(task.get("name") or "")
        if not name or name in targets:
            raise RunnerError(
                f"{template.path}.dag.tasks[{i}].name: {'duplicate' if name else 'missing'} task name {name!r}"
            )
        targets[name] = index.resolve_task(template.owner, task, f"{template.path}.dag.tasks[{i}]")
    _check_refs(
        template.body.get("inputs"), StaticScope(wf, globals_, template, in_exit=in_exit), f"{template.path}.inputs"
    )
    graph: dict[str, set[str]] = {}
    for i, task in enumerate(tasks):
        path = f"{template.path}.dag.tasks[{i}]"
        graph[str(task["name"])] = _check_depends(task, targets, path)
        target, who = targets[str(task["name"])], f"{path} (task {task['name']!r})"
        has_loop = "withItems" in task or "withParam" in task
        if "withItems" in task and "withParam" in task:
            raise RunnerError(f"{path}: set either withItems or withParam, not both")
        if "withItems" in task and not isinstance(task["withItems"], list):
            raise RunnerError(f"{path}.withItems: expected a list")
        scope = StaticScope(wf, globals_, template, targets, has_loop, in_exit)
        for key in ("arguments", "when", "withItems"):
            _check_refs(task.get(key), scope, f"{path}.{key}")
        _check_refs(
            task.get("withParam"), StaticScope(wf, globals_, template, targets, False, in_exit), f"{path}.withParam"
        )
        _check_arguments(target, task, path, who)
        if task.get("when") is not None:
            try:
                parse_when(substitute(text_of(task["when"]), scope, f"{path}.when"))
            except ExpressionError as err:
                raise ExpressionError(f"{path}.when: {err}") from None
    _check_cycles(graph, f"{template.path}.dag.tasks")
    dag_scope = StaticScope(wf, globals_, template, targets, False, in_exit)
    for k, param in enumerate(template.output_parameters()):
        value_from = param.get("valueFrom") or {}
        if "parameter" not in value_from:
            raise RunnerError(f"{template.path}.outputs.parameters[{k}].valueFrom: a DAG output needs 'parameter'")
        _check_refs(value_from, dag_scope, f"{template.path}.outputs.parameters[{k}].valueFrom")


def _check_arguments(target: Template, task: dict[str, Any], path: str, who: str) -> None:
    declared = {str(p.get("name")): p for p in target.input_parameters()}
    given = {str(p.get("name")): p for p in ((task.get("arguments") or {}).get("parameters")) or []}
    for name, param in given.items():
        if name not in declared:
            raise InputError(
                f"{who}: argument {name!r} is not an input of template {target.name!r} ({target.owner}); "
                f"its inputs are: {', '.join(declared) or 'none'}"
            )
        if "value" not in param:
            raise RunnerError(f"{path}.arguments: parameter {name!r} needs a value")
        value = text_of(param["value"])
        if not has_tags(value):
            check_enum(declared[name], value, who)
    for name, param in declared.items():
        if name not in given and param.get("value") is None and param.get("default") is None:
            raise InputError(
                f"{who}: required input {name!r} of template {target.name!r} is not passed in arguments.parameters"
            )


def _check_depends(task: dict[str, Any], targets: dict[str, Template], path: str) -> set[str]:
    field = depends_field(task)
    try:
        names = task_depends(task).tasks()
    except ExpressionError as err:
        raise ExpressionError(f"{path}.{field}: {err}") from None
    except RunnerError as err:
        raise RunnerError(f"{path}: {err}") from None
    for name in sorted(names):
        if name not in targets:
            raise RunnerError(f"{path}.{field}: no task {name!r} in this DAG (tasks: {', '.join(targets)})")
        if name == task["name"]:
            raise RunnerError(f"{path}.{field}: a task cannot depend on itself")
    return names


def _check_cycles(graph: dict[str, set[str]], path: str) -> None:
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise RunnerError(f"{path}: dependency cycle {' -> '.join([*trail, name])}")
        state[name] = 1
        for dep in sorted(graph.get(name, ())):
            visit(dep, [*trail, name])
        state[name] = 2

    for name in graph:
        visit(name, [])
