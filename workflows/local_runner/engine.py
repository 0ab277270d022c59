"""The DAG state machine: creates nodes, decides what is ready, skipped or omitted, and completes DAGs.

Pure logic over the node table (no processes, no files): the runner launches the script nodes that
`advance()` returns and reports back with `finish()`. Everything is re-derivable from the node table,
so a persisted table can be resumed in another process.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workflows.argo.depends import Depends, task_depends
from workflows.local_runner.dag_nodes import dag_ending, task_node, template_node
from workflows.local_runner.errors import RunnerError
from workflows.local_runner.fanout import aggregate, item_label, loop_items
from workflows.local_runner.inputs import approval_values, dag_outputs, default_outputs, resolve_inputs
from workflows.local_runner.manifests import Template, TemplateIndex
from workflows.local_runner.results import FAILED, NodeResult
from workflows.local_runner.substitution import NO_ITEM, MissingOutput, RuntimeScope, WorkflowVars
from workflows.local_runner.tasks import dag_scope, false_when, outcome_of, task_arguments

Event = tuple[str, str, str]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Engine:
    def __init__(
        self, index: TemplateIndex, workflow: WorkflowVars, nodes: dict[str, NodeResult], auto_approve: bool
    ) -> None:
        self.index = index
        self.wf = workflow
        self.nodes = nodes
        self.auto_approve = auto_approve
        self.terminated: str | None = None
        self.events: list[Event] = []
        self._ready: list[str] = []
        self._depends: dict[tuple[str, str, int], Depends] = {}

    # ------------------------------------------------------------------------------------- public
    def template_of(self, node: NodeResult) -> Template:
        return self.index.template(node.template_owner, node.template, node.name)

    def start(self, name: str, display_name: str, template: Template, inputs: dict[str, str], error: str = "") -> None:
        """Create a root node (the entrypoint, or the exit handler); with `error`, it is created in phase Error."""
        phase = "Error" if error else "Pending"
        node = template_node(template, name, display_name, inputs=inputs, phase=phase, message=error)
        self._add(node)
        if not error:
            self._begin(node, template)

    def advance(self) -> list[str]:
        """Create every node that can be created now; returns script nodes ready to launch (phase Pending)."""
        changed = True
        while changed:
            changed = False
            for node in list(self.nodes.values()):
                if node.phase != "Running":
                    continue
                if node.type == "DAG":
                    changed |= self._advance_dag(node)
                elif node.type == "TaskGroup":
                    changed |= self._advance_group(node)
        ready, self._ready = self._ready, []
        return ready

    def mark_running(self, name: str) -> None:
        node = self.nodes[name]
        node.phase, node.started = "Running", utcnow()
        self._event(node)

    def finish(
        self, name: str, phase: str, message: str = "", outputs: dict[str, str] | None = None, **extra: Any
    ) -> None:
        node = self.nodes[name]
        node.phase, node.message = phase, message
        if outputs is not None:
            node.outputs = outputs
        for key, value in extra.items():
            setattr(node, key, value)
        node.finished = utcnow()
        node.started = node.started or node.finished
        node.duration_s = (node.finished - node.started).total_seconds()
        if phase == "Succeeded":
            self._publish_globals(node)
        self._event(node)

    def suspended(self) -> list[NodeResult]:
        return [n for n in self.nodes.values() if n.phase == "Suspended"]

    def refill(self) -> None:
        """Create the missing items of running fan-out groups (after `retry` removed the ones that failed)."""
        for group in [n for n in self.nodes.values() if n.type == "TaskGroup" and n.phase == "Running"]:
            assert group.parent is not None and group.task is not None
            dag = self.nodes[group.parent]
            template = self.template_of(dag)
            tasks = template.body["dag"].get("tasks") or []
            index, task = next((i, t) for i, t in enumerate(tasks) if str(t["name"]) == group.task)
            where = f"{template.path}.dag.tasks[{index}]"
            items = loop_items(task, dag_scope(self.nodes, self.wf, dag), where) or []
            self._instantiate_items(dag, task, where, items, {self.nodes[c].index for c in group.children})

    def terminate(self, message: str) -> None:
        """Stop scheduling; fail nodes that have not started. Running steps are finished by the runner."""
        self.terminated = message
        for node in list(self.nodes.values()):
            if node.phase in ("Pending", "Suspended"):
                self.finish(node.name, "Failed", message)

    def can_launch(self, name: str, running: set[str]) -> bool:
        """False while an enclosing DAG with `parallelism` already has that many running steps."""
        parent = self.nodes[name].parent
        while parent is not None:
            node = self.nodes[parent]
            if node.type == "DAG":
                limit = self.template_of(node).body.get("parallelism")
                if limit is not None:
                    inside = sum(1 for r in running if r.startswith(node.name + "."))
                    if inside >= int(limit):
                        return False
            parent = node.parent
        return True

    # ------------------------------------------------------------------------------------ helpers
    def _event(self, node: NodeResult) -> None:
        self.events.append((node.name, node.phase, node.message))

    def _add(self, node: NodeResult) -> None:
        self.nodes[node.name] = node
        if node.parent is not None:
            self.nodes[node.parent].children.append(node.name)
        if node.phase in ("Skipped", "Omitted", "Error"):
            node.started = node.finished = utcnow()
        self._event(node)

    def _begin(self, node: NodeResult, template: Template) -> None:
        if template.kind == "dag":
            node.phase, node.started = "Running", utcnow()
            self._event(node)
        elif template.kind == "script":
            self._ready.append(node.name)
        elif self.auto_approve:
            node.started = utcnow()
            try:
                values = approval_values(template, node.inputs, {}, True, f"suspend node {node.display_name!r}")
            except RunnerError as err:
                self.finish(node.name, "Error", str(err))
                return
            self.finish(node.name, "Succeeded", "auto-approved", values)
        else:
            node.phase, node.started = "Suspended", utcnow()
            node.message = "waiting for approval (resume to approve or reject)"
            self._event(node)

    def _publish_globals(self, node: NodeResult) -> None:
        if node.type == "TaskGroup":
            return
        for param in self.template_of(node).output_parameters():
            if param.get("globalName") and str(param["name"]) in node.outputs:
                self.wf.outputs[str(param["globalName"])] = node.outputs[str(param["name"])]

    def _task_depends(self, dag_template: Template, index: int, task: dict[str, Any]) -> Depends:
        key = (dag_template.owner, dag_template.name, index)
        if key not in self._depends:
            self._depends[key] = task_depends(task)
        return self._depends[key]

    def _handled(self, template: Template) -> set[str]:
        tasks = template.body["dag"].get("tasks") or []
        handled = {name for i, t in enumerate(tasks) for name in self._task_depends(template, i, t).failure_handled()}
        return handled | {str(t["name"]) for t in tasks if t.get("continueOn")}

    # -------------------------------------------------------------------------------------- DAGs
    def _advance_dag(self, dag: NodeResult) -> bool:
        template = self.template_of(dag)
        spec = template.body["dag"]
        tasks: list[dict[str, Any]] = spec.get("tasks") or []
        handled = self._handled(template)

        def child(task: str) -> NodeResult | None:
            return self.nodes.get(f"{dag.name}.{task}")

        def stopped() -> bool:
            if self.terminated:
                return True
            if spec.get("failFast", True) is False:
                return False
            return any((n := child(str(t["name"]))) and n.phase in FAILED and n.task not in handled for t in tasks)

        changed = False
        for index, task in enumerate(tasks):
            if child(str(task["name"])) is not None:
                continue
            depends = self._task_depends(template, index, task)
            deps = [child(name) for name in depends.tasks()]
            if any(d is None or not d.complete for d in deps):
                continue
            satisfied = depends.evaluate(outcome_of(self.nodes, dag))
            if satisfied and stopped():
                continue  # failFast: no new work after an unhandled failure (omissions are still recorded)
            changed = True
            if not satisfied:
                target = self.index.resolve_task(template.owner, task, template.path)
                node = task_node(task, target, f"{dag.name}.{task['name']}", str(task["name"]), dag.name)
                node.phase, node.message = "Omitted", f"depends '{depends.text}' is false"
                self._add(node)
                continue
            self._create_task(dag, template, index, task)
        if changed or any(not self.nodes[c].complete for c in dag.children):
            return changed
        self._complete_dag(dag, template, handled)
        return True

    def _create_task(self, dag: NodeResult, template: Template, index: int, task: dict[str, Any]) -> None:
        where = f"{template.path}.dag.tasks[{index}]"
        target = self.index.resolve_task(template.owner, task, where)
        name, display = f"{dag.name}.{task['name']}", str(task["name"])
        try:
            items = loop_items(task, dag_scope(self.nodes, self.wf, dag), where)
        except (RunnerError, MissingOutput) as err:
            self._add(task_node(task, target, name, display, dag.name, phase="Error", message=str(err)))
            return
        if items is None:
            self._instantiate(dag, task, where, target, name, display, NO_ITEM, dag.name, None)
            return
        self._add(task_node(task, target, name, display, dag.name, type="TaskGroup", phase="Running", started=utcnow()))
        if not items:
            self.finish(name, "Skipped", "Skipped, empty params")
        self._instantiate_items(dag, task, where, items, set())

    def _instantiate_items(self, dag: NodeResult, task: dict[str, Any], where: str, items: list, have: set) -> None:
        """The fan-out's items, but for the indexes in `have`."""
        name, display = f"{dag.name}.{task['name']}", str(task["name"])
        target = self.index.resolve_task(self.template_of(dag).owner, task, where)
        for k, item in enumerate(items):
            if k in have:
                continue
            label = item_label(item)
            self._instantiate(
                dag, task, where, target, f"{name}({k}:{label})", f"{display}({k}:{label})", item, name, k
            )

    def _instantiate(
        self,
        dag: NodeResult,
        task: dict[str, Any],
        where: str,
        target: Template,
        name: str,
        display: str,
        item: Any,
        parent: str,
        index: int | None,
    ) -> None:
        node = task_node(task, target, name, display, parent, index=index)
        scope = dag_scope(self.nodes, self.wf, dag, item)
        try:
            when = false_when(task, scope, where)
            if when is not None:
                node.phase, node.message = "Skipped", f"when '{when}' evaluated false"
                node.outputs = default_outputs(target)
                self._add(node)
                return
            node.inputs = resolve_inputs(
                target, task_arguments(task, scope, where), RuntimeScope(self.wf), f"task {display!r}"
            )
        except (RunnerError, MissingOutput) as err:
            node.phase, node.message = "Error", str(err)
            self._add(node)
            return
        self._add(node)
        self._begin(node, target)

    def _complete_dag(self, dag: NodeResult, template: Template, handled: set[str]) -> None:
        ending = dag_ending([self.nodes[c] for c in dag.children], handled, self.terminated)
        if ending is not None:
            self.finish(dag.name, *ending)
            return
        try:
            outputs = dag_outputs(template, dag_scope(self.nodes, self.wf, dag))
        except (RunnerError, MissingOutput) as err:
            self.finish(dag.name, "Error", str(err))
            return
        self.finish(dag.name, "Succeeded", "", outputs)

    def _advance_group(self, group: NodeResult) -> bool:
        children = [self.nodes[c] for c in group.children]
        if any(not c.complete for c in children):
            return False
        phase, message, outputs, result = aggregate(children)
        self.finish(group.name, phase, message, outputs, result=result)
        return True
