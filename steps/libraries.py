"""The third-party modules the steps import (inside the functions that need them), lightest first.

The local runner's warm-start server imports these once per run and forks each step from it
(workflows/local_runner/warm_server.py), so a step does not spend seconds importing them again. A module
missing here is only imported by the step itself; a module not installed is skipped.
"""

STEP_LIBRARIES = (
    "hera.workflows",
    "yaml",
    "httpx",
    "mlflow",
    "mlflow.entities",
    "mlflow.exceptions",
    "mlflow.tracking",
    "pydantic.validate_call_decorator",  # Hera's runner validates the step's inputs with it
    # MLflow's SQL stores (the local platform's tracking database) and what they and the tracking client use
    "sqlite3",
    "sqlalchemy",
    "alembic",
    "mako.template",
    "mlflow.store.db.utils",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
    "mlflow.tracing.processor.otel",
    "mlflow.artifacts",
    "git",
    "cryptography.fernet",
    "pygments.lexers",
    "pygments.formatters.html",
    "numpy",
    "scipy.io",
    "torch",
    "huggingface_hub",
    "tokenizers",
    "transformers",
    "transformers.models.llama.modeling_llama",
    "transformers.generation.utils",
    "peft",
    "datasets",
    "lm_eval",
    "lm_eval.api.registry",
    "lm_eval.evaluator",
    "lm_eval.tasks",
    "lm_eval.models.huggingface",
    "matplotlib",
    "matplotlib.pyplot",
    "nemo_microservices",
    "nemo_platform",
)
