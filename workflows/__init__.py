"""The pipeline WorkflowTemplate, run specs, rendering, the local runner and the `llmops` CLI."""
