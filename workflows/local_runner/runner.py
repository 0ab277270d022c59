"""LocalRunner: run a rendered Workflow (+ WorkflowTemplate/ClusterWorkflowTemplates) on this machine."""

from __future__ import annotations

import copy
import os
import queue
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import workflows.local_runner.threads as threads
from workflows.local_runner.approval import resume_suspended
from workflows.local_runner.endings import conclude, remaining_s, run_result
from workflows.local_runner.engine import Engine
from workflows.local_runner.errors import RunnerError, StateError
from workflows.local_runner.execution import Cancel, JobOutcome, ScriptJob, run_and_report
from workflows.local_runner.inputs import resolve_inputs
from workflows.local_runner.leftovers import stop_leftovers
from workflows.local_runner.manifests import TemplateIndex, generate_name, resolve_workflow
from workflows.local_runner.memo import MemoCache
from workflows.local_runner.results import RunResult, workflow_failures
from workflows.local_runner.retry import retry_nodes
from workflows.local_runner.scripts import (
    deadline_seconds,
    memo_settings,
    output_specs,
    resolve_env,
    retry_plan,
    script_entrypoint,
)
from workflows.local_runner.state import RunState, RunStore
from workflows.local_runner.substitution import RuntimeScope
from workflows.local_runner.validate import validate_run
from workflows.local_runner.warm_start import WarmStarter

EventCallback = Callable[[str, str, str], None]
WORKFLOW_DEADLINE = "activeDeadlineSeconds exceeded (workflow)"


class LocalRunner:
    def __init__(
        self,
        templates: Iterable[dict[str, Any]],
        state_dir: Path,
        parallelism: int = 2,
        auto_approve: bool = False,
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
        cwd: Path | None = None,
        on_event: EventCallback | None = None,
        warm_preload: tuple[str, ...] = ("hera.workflows",),
    ) -> None:
        if parallelism < 1:
            raise RunnerError(f"parallelism must be at least 1, got {parallelism}")
        self.templates = [copy.deepcopy(t) for t in templates]
        TemplateIndex(self.templates)  # reject non-template manifests early
        self.state_dir = Path(state_dir)
        self.parallelism = parallelism
        self.auto_approve = auto_approve
        self.env = dict(env or {})
        self.python = python
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.on_event = on_event
        self.warm_preload = warm_preload  # what the warm-start server imports before forking steps
        self.memo = MemoCache(self.state_dir / "memo")
        self.cpus = threads.available_cpus({**os.environ, **self.env})  # shared by the running steps

    # ------------------------------------------------------------------------------------ public
    def run(self, workflow: dict[str, Any]) -> RunResult:
        """Run until the workflow completes or waits at a suspend node (phase "Suspended")."""
        index = TemplateIndex(self.templates)
        resolved = resolve_workflow(copy.deepcopy(workflow), index, generate_name)
        store = RunStore(self.state_dir, resolved.name)
        if store.exists():
            raise RunnerError(
                f"a run named {resolved.name!r} already exists in {store.directory}; delete it or use generateName"
            )
        validate_run(index, resolved)
        created = datetime.now(UTC).replace(microsecond=0)
        limit = min(self.parallelism, resolved.parallelism or self.parallelism)
        state = RunState(
            workflow_name=resolved.name,
            uid=str(uuid.uuid4()),
            namespace=resolved.namespace,
            created=created,
            owner=resolved.owner,
            entrypoint=resolved.entrypoint,
            on_exit=resolved.on_exit,
            parallelism=limit,
            active_deadline_s=resolved.active_deadline_s,
            parameters=resolved.parameters,
            labels=resolved.labels,
            annotations=resolved.annotations,
        )
        engine = Engine(index, state.workflow_vars(), state.nodes, self.auto_approve)
        with store.hold():
            store.save_manifests(workflow, self.templates)
            self._start_entry(engine, state)
            return self._drive(store, state, engine)

    def resume(
        self, workflow_name: str, approve: bool = True, parameters: Mapping[str, str] | None = None
    ) -> RunResult:
        """Continue a suspended run: approve (supplied outputs from `parameters`, else "YES"/defaults) or reject."""
        store = RunStore(self.state_dir, workflow_name)
        with store.hold():
            state = store.load()
            if state.phase != "Suspended":
                raise StateError(
                    f"workflow {workflow_name!r} is {state.phase}, not Suspended; only a suspended run can be resumed"
                )
            engine = self._reload(store, state)
            if f"{workflow_name}.onExit" not in state.nodes:
                engine.terminated = state.terminated
            resume_suspended(engine, approve, {str(k): str(v) for k, v in (parameters or {}).items()})
            state.phase = "Running"
            return self._drive(store, state, engine)

    def retry(self, workflow_name: str) -> RunResult:
        """Run again what did not succeed in a failed, errored or interrupted run, as `argo retry` does
        (`retry.py`); what the stopped run left running is stopped first."""
        store = RunStore(self.state_dir, workflow_name)
        with store.hold():
            state = store.load()
            if state.phase in ("Succeeded", "Suspended"):
                what = "approve or reject it" if state.phase == "Suspended" else "there is nothing to retry"
                raise StateError(f"workflow {workflow_name!r} is {state.phase}: {what}")
            removed = retry_nodes(state.nodes, workflow_name)
            stop_leftovers(store, removed)
            state.phase, state.message, state.terminated, state.exit_status = "Running", "", None, None
            state.active_elapsed_s = 0.0  # activeDeadlineSeconds counts from the retry
            engine = self._reload(store, state)
            if workflow_name not in state.nodes:
                self._start_entry(engine, state)
            engine.refill()
            return self._drive(store, state, engine)

    # ----------------------------------------------------------------------------------- driving
    def _reload(self, store: RunStore, state: RunState) -> Engine:
        workflow, templates = store.load_manifests()
        index = TemplateIndex(templates)
        if state.owner.startswith("Workflow/"):
            name = state.workflow_name
            index.add({**workflow, "metadata": {**(workflow.get("metadata") or {}), "name": name}}, "Workflow")
        return Engine(index, state.workflow_vars(), state.nodes, self.auto_approve)

    def _start_entry(self, engine: Engine, state: RunState) -> None:
        entry = engine.index.template(state.owner, state.entrypoint, "Workflow spec.entrypoint")
        name = state.workflow_name
        engine.start(name, name, entry, self._root_inputs(entry, engine, "spec.entrypoint"))

    def _root_inputs(self, template: Any, engine: Engine, who: str) -> dict[str, str]:
        names = {str(p.get("name")) for p in template.input_parameters()}
        given = {k: v for k, v in engine.wf.parameters.items() if k in names}
        return resolve_inputs(template, given, RuntimeScope(engine.wf), who)

    def _drive(self, store: RunStore, state: RunState, engine: Engine) -> RunResult:
        start = time.monotonic()
        cancel = Cancel()
        done: queue.Queue[tuple[str, JobOutcome]] = queue.Queue()
        pending: list[str] = []
        running: set[str] = set()
        memo_keys: dict[str, tuple[str, str]] = {}
        intervals: list[tuple[float, float]] = []
        exit_name = f"{state.workflow_name}.onExit"
        root = state.nodes[state.workflow_name]
        executor = ThreadPoolExecutor(max_workers=state.parallelism, thread_name_prefix="step")
        starter = WarmStarter(self.python, store.directory / "warm-server.log", self.warm_preload)

        def flush() -> None:
            state.global_outputs = engine.wf.outputs
            store.save(state)
            events, engine.events = engine.events, []
            for event in events:
                if self.on_event is not None:
                    self.on_event(*event)

        try:
            while True:
                pending.extend(engine.advance())
                flush()
                launched_sync = False
                for name in list(pending):
                    if len(running) >= state.parallelism:
                        break
                    if not engine.can_launch(name, running):
                        continue
                    pending.remove(name)
                    job = self._prepare(name, engine, store, len(running) + 1, memo_keys)
                    if job is None:
                        launched_sync = True
                        continue
                    engine.mark_running(name)
                    running.add(name)
                    job.start = starter.start
                    executor.submit(run_and_report, job, cancel, done)
                flush()
                threads.publish(store, running, self.cpus)
                if launched_sync:
                    continue
                if not running:
                    if root.complete and state.on_exit and exit_name not in state.nodes:
                        self._start_exit(state, engine, root, start)
                        cancel = Cancel()
                        continue
                    break
                try:
                    name, outcome = done.get(timeout=remaining_s(state, start, exit_name))
                except queue.Empty:
                    cancel.set(WORKFLOW_DEADLINE)
                    state.terminated = WORKFLOW_DEADLINE
                    engine.terminate(WORKFLOW_DEADLINE)
                    pending.clear()
                    continue
                running.discard(name)
                threads.publish(store, running, self.cpus)
                intervals.extend(outcome.intervals)
                engine.finish(
                    name,
                    outcome.phase,
                    outcome.message,
                    outcome.outputs,
                    result=outcome.result,
                    attempts=outcome.attempts,
                    subprocess_s=outcome.subprocess_s,
                )
                if outcome.phase == "Succeeded" and name in memo_keys:
                    self.memo.put(*memo_keys[name], outcome.outputs, outcome.result)
        except BaseException:
            cancel.set("interrupted")
            executor.shutdown(wait=True)
            starter.close()
            state.phase, state.message = "Error", "interrupted"
            store.save(state)
            raise
        executor.shutdown(wait=True)
        starter.close()
        state.active_elapsed_s += time.monotonic() - start
        conclude(state, engine, root, exit_name)
        flush()
        return run_result(state, store, time.monotonic() - start, intervals)

    def _start_exit(self, state: RunState, engine: Engine, root: Any, start: float) -> None:
        assert state.on_exit is not None
        engine.terminated = None
        state.exit_status = engine.wf.status = root.phase
        engine.wf.failures = workflow_failures(state.nodes)
        engine.wf.duration = state.active_elapsed_s + time.monotonic() - start
        template = engine.index.template(state.owner, state.on_exit, "Workflow spec.onExit")
        exit_name = f"{state.workflow_name}.onExit"
        try:
            inputs = self._root_inputs(template, engine, "spec.onExit")
        except RunnerError as err:
            engine.start(exit_name, exit_name, template, {}, error=str(err))
            return
        engine.start(exit_name, exit_name, template, inputs)

    def _prepare(
        self, name: str, engine: Engine, store: RunStore, running: int, memo_keys: dict[str, tuple[str, str]]
    ) -> ScriptJob | None:
        """A job for a pending script node, or None when the node was completed here (memo hit, env error)."""
        node = engine.nodes[name]
        template = engine.template_of(node)
        scope = RuntimeScope(engine.wf, node.inputs)
        try:
            memo = memo_settings(template, scope)
            if memo is not None:
                hit = self.memo.get(*memo)
                if hit is not None:
                    engine.mark_running(name)
                    engine.finish(name, "Succeeded", "memoized", hit.outputs, result=hit.result, memoized=True)
                    return None
                memo_keys[name] = (memo[0], memo[1])
            step_env, secret_values = resolve_env(template, scope, {**os.environ, **self.env})
            budget = threads.step_env(store, name, threads.share(self.cpus, running))
            return ScriptJob(
                workflow_name=engine.wf.name,
                node_name=name,
                entrypoint=script_entrypoint(template),
                inputs=node.inputs,
                env={**os.environ, **budget, **self.env, **step_env},
                secrets=secret_values,
                outputs=output_specs(template, scope),
                deadline_s=deadline_seconds(template, scope),
                retry=retry_plan(template, scope),
                log_path=store.log_path(name),
                work_dir=lambda attempt: store.work_dir(name, attempt),
                python=self.python,
                cwd=self.cwd,
            )
        except RunnerError as err:
            engine.finish(name, "Error", str(err))
            return None
