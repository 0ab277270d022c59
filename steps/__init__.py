"""The step library: one module per pipeline step, ports and their platform implementations.

This package is the content of the step container image. Heavy libraries (torch, transformers,
mlflow, lm_eval) are imported inside the functions that need them so step start-up stays fast.
"""
