"""What an Argo manifest says, read once for the local runner and for `llmops lint`.

- `expressions`: the `when`/`depends` grammar (tokenizer, parser) and `when` evaluation;
- `depends`: a task's `depends`/`dependencies` as a tree: the tasks and results it names, its evaluation;
- `references`: `{{...}}` tags and what each refers to (workflow/input parameters, task outputs, item, ...);
- `templates`: manifests by `<Kind>/<name>`, what a task invokes (template/templateRef/inline), the
  parameters a template declares;
- `events`: what a CronWorkflow or WorkflowEventBinding submits, and a binding's event expressions;
- `errors`: `ManifestError` (the local runner's `RunnerError`) and `ExpressionError`.

Pure functions over manifest dicts: no files, no processes. The runner (`workflows.local_runner`) adds values
and execution; lint (`workflows.reference_checks`) adds declarations and messages.
"""
