"""`llmops lint`: the offline checks a cluster would otherwise find at submit time.

- the committed manifests equal what `make render` writes (stale files are listed);
- every manifest passes its CRD schema with unknown fields rejected (when schemas are available);
- every templateRef, argument, required input, output, `depends` and `{{...}}` reference resolves
  (read with `workflows.argo`, the parser the local runner uses);
- the Argo CD setup under argocd/: its objects and generated Applications pass their schemas, each
  AppProject allows exactly what its apps sync, dev and prod differ only in values (`workflows.gitops`).
- no manifest carries a secret-looking literal, and every run Workflow, and every Workflow a flywheel's
  CronWorkflow or WorkflowEventBinding submits, is accepted under the controller's `templateReferencing:
  Strict` (`security_checks`);
- a CronWorkflow's schedules and timezone and an event binding's expressions are ones Argo accepts
  (`trigger_checks`).
"""

from pathlib import Path

from workflows import manifest_checks, reference_checks, render, security_checks, trigger_checks
from workflows.gitops.checks import gitops_problems


def stale_files(root: Path = render.ROOT) -> list[str]:
    problems = []
    for rel, text in render.documents().items():
        path = root / rel
        if not path.exists():
            problems.append(f"{rel}: missing; run `make render`")
        elif path.read_text() != text:
            problems.append(f"{rel}: stale; run `make render`")
    return problems


def lint(schema_dir: Path | None) -> list[str]:
    docs = render.objects(render.documents().values())
    problems = stale_files()
    problems += reference_checks.reference_errors(docs)
    for doc in docs:
        problems += manifest_checks.metadata_errors(doc)
        problems += security_checks.secret_literal_errors(doc) + security_checks.reference_mode_errors(doc)
        problems += trigger_checks.trigger_errors(doc)
    schemas = manifest_checks.load_schemas(schema_dir) if schema_dir is not None else None
    if schemas is not None:
        for doc in docs:
            problems += manifest_checks.schema_errors(doc, schemas[doc["kind"]])
    return problems + gitops_problems(schemas)
