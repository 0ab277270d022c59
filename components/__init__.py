"""Hera ClusterWorkflowTemplates, one module per step family.

Only Kubernetes concerns live here: image, resources, GPU scheduling, retries, deadlines,
memoization and secret/config environment. The step code is in `steps/`.
"""
