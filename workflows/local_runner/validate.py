"""Static checks of everything a run can reach, before any step starts.

Walks the entrypoint and onExit templates through DAG tasks and checks: template fields (allow-lists),
template references, task arguments against declared inputs (unknown, missing, literal enum violations),
`depends`/`dependencies` names and syntax, `when` syntax, every `{{...}}` reference, script shape.
"""

from __future__ import annotations

from typing import Any

from workflows.local_runner.errors import ExpressionError, InputError, RunnerError
from workflows.local_runner.expressions import parse_depends, parse_when
from workflows.local_runner.inputs import check_enum, declared_inputs, output_parameters
from workflows.local_runner.manifests import ResolvedWorkflow, Template, TemplateIndex
from workflows.local_runner.scripts import deadline_seconds, memo_settings, output_specs, retry_plan, script_entrypoint
from workflows.local_runner.substitution import TAG, substitute, text_of

PLACEHOLDER = "1"  # parses as a number, a duration and a word, so typed fields can be checked with tags in them


class StaticScope:
    def __init__(self, wf: ResolvedWorkflow, globals_: set[str], template: Template | None,
                 tasks: dict[str, Template] | None = None, has_item: bool = False, in_exit: bool = False) -> None:
        self.wf, self.globals, self.tasks, self.has_item, self.in_exit = wf, globals_, tasks, has_item, in_exit
        self.inputs = {str(p.get("name")) for p in declared_inputs(template)} if template else None

    def lookup(self, ref: str) -> str:
        parts = ref.split(".")
        head, key = parts[0], ".".join(parts[1:])
        if head == "item":
            if not self.has_item:
                raise LookupError("'item' is only defined in a task with withItems or withParam")
            return PLACEHOLDER
        if head == "workflow":
            if key in ("name", "uid", "namespace", "creationTimestamp", "duration") or key.startswith(("labels.", "annotations.")):
                return PLACEHOLDER
            if key in ("status", "failures"):
                if not self.in_exit:
                    raise LookupError(f"'workflow.{key}' is only available in the exit handler (spec.onExit)")
                return PLACEHOLDER
            for prefix, known, what in (("parameters.", set(self.wf.parameters), "workflow parameter"),
                                        ("outputs.parameters.", self.globals, "globalName output")):
                if key.startswith(prefix):
                    if key[len(prefix):] not in known:
                        raise LookupError(f"no {what} named {key[len(prefix):]!r} (known: {', '.join(sorted(known)) or 'none'})")
                    return PLACEHOLDER
            raise LookupError(f"'workflow.{key}' is not a workflow variable the local runner supports")
        if head == "inputs" and parts[1:2] == ["parameters"] and self.inputs is not None:
            name = ".".join(parts[2:])
            if name and name not in self.inputs:
                raise LookupError(f"the template declares no input {name!r} (inputs: {', '.join(sorted(self.inputs)) or 'none'})")
            return PLACEHOLDER
        if head == "tasks" and self.tasks is not None and len(parts) >= 3:
            return self._task(parts[1], parts[2:])
        raise LookupError("not a reference the local runner supports at this place")

    def _task(self, task: str, rest: list[str]) -> str:
        assert self.tasks is not None
        if task not in self.tasks:
            raise LookupError(f"this DAG has no task {task!r} (tasks: {', '.join(self.tasks)})")
        target = self.tasks[task]
        if rest == ["status"] or (rest == ["outputs", "result"] and target.kind == "script"):
            return PLACEHOLDER
        if len(rest) >= 3 and rest[:2] == ["outputs", "parameters"]:
            names = {str(p.get("name")) for p in output_parameters(target)}
            if ".".join(rest[2:]) not in names:
                raise LookupError(f"template {target.name!r} of task {task!r} declares no output {'.'.join(rest[2:])!r} "
                                  f"(outputs: {', '.join(sorted(names)) or 'none'})")
            return PLACEHOLDER
        raise LookupError(f"'tasks.{task}.{'.'.join(rest)}' is not supported (use outputs.parameters.<name>, outputs.result or status)")


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
        for i, body in enumerate((index.manifests[owner].get("spec") or {}).get("templates") or []):
            if not isinstance(body, dict) or not body.get("name"):
                raise RunnerError(f"{owner} spec.templates[{i}]: a template needs a name")
            index.template(owner, str(body["name"]), owner)  # every template of a used manifest is checked
    globals_ = {str(p["globalName"]) for t in reachable.values() for p in output_parameters(t) if p.get("globalName")}
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
        for k, param in enumerate(output_parameters(template)):
            value_from = param.get("valueFrom") or {}
            path = f"{template.path}.outputs.parameters[{k}]"
            _check_refs(value_from, scope, f"{path}.valueFrom")
            if template.kind == "suspend" and "supplied" not in value_from and "default" not in value_from:
                raise RunnerError(f"{path}.valueFrom: a suspend output needs 'supplied' or 'default'")


def _check_dag(index: TemplateIndex, wf: ResolvedWorkflow, globals_: set[str], template: Template, in_exit: bool) -> None:
    tasks: list[dict[str, Any]] = template.body["dag"].get("tasks") or []
    targets: dict[str, Template] = {}
    for i, task in enumerate(tasks):
        name = str(task.get("name") or "")
        if not name or name in targets:
            raise RunnerError(f"{template.path}.dag.tasks[{i}].name: {'duplicate' if name else 'missing'} task name {name!r}")
        targets[name] = index.resolve_task(template.owner, task, f"{template.path}.dag.tasks[{i}]")
    _check_refs(template.body.get("inputs"), StaticScope(wf, globals_, template, in_exit=in_exit), f"{template.path}.inputs")
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
        _check_refs(task.get("withParam"), StaticScope(wf, globals_, template, targets, False, in_exit), f"{path}.withParam")
        _check_arguments(target, task, path, who)
        if task.get("when") is not None:
            try:
                parse_when(substitute(text_of(task["when"]), scope, f"{path}.when"))
            except ExpressionError as err:
                raise ExpressionError(f"{path}.when: {err}") from None
    _check_cycles(graph, f"{template.path}.dag.tasks")
    dag_scope = StaticScope(wf, globals_, template, targets, False, in_exit)
    for k, param in enumerate(output_parameters(template)):
        value_from = param.get("valueFrom") or {}
        if "parameter" not in value_from:
            raise RunnerError(f"{template.path}.outputs.parameters[{k}].valueFrom: a DAG output needs 'parameter'")
        _check_refs(value_from, dag_scope, f"{template.path}.outputs.parameters[{k}].valueFrom")


def _check_arguments(target: Template, task: dict[str, Any], path: str, who: str) -> None:
    declared = {str(p.get("name")): p for p in declared_inputs(target)}
    given = {str(p.get("name")): p for p in ((task.get("arguments") or {}).get("parameters")) or []}
    for name, param in given.items():
        if name not in declared:
            raise InputError(f"{who}: argument {name!r} is not an input of template {target.name!r} ({target.owner}); "
                             f"its inputs are: {', '.join(declared) or 'none'}")
        if "value" not in param:
            raise RunnerError(f"{path}.arguments: parameter {name!r} needs a value")
        value = text_of(param["value"])
        if not TAG.search(value):
            check_enum(declared[name], value, who)
    for name, param in declared.items():
        if name not in given and param.get("value") is None and param.get("default") is None:
            raise InputError(f"{who}: required input {name!r} of template {target.name!r} is not passed in arguments.parameters")


def _check_depends(task: dict[str, Any], targets: dict[str, Template], path: str) -> set[str]:
    if task.get("depends") is not None and task.get("dependencies"):
        raise RunnerError(f"{path}: set either depends or dependencies, not both")
    if task.get("depends") is not None:
        try:
            names = parse_depends(str(task["depends"])).tasks()
        except ExpressionError as err:
            raise ExpressionError(f"{path}.depends: {err}") from None
        field = "depends"
    else:
        names = {str(d) for d in task.get("dependencies") or []}
        field = "dependencies"
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
