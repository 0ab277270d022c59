"""What an MLflow error means to a step that retries or races another run."""

from __future__ import annotations


def already_exists(error: BaseException) -> bool:
    """True for MLflow's RESOURCE_ALREADY_EXISTS: another process created the same experiment or model first."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

    return isinstance(error, MlflowException) and error.error_code == ErrorCode.Name(RESOURCE_ALREADY_EXISTS)
