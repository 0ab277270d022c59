"""The Argo CD setup under argocd/, offline: the Applications each environment gets (`appsets`), what they
sync (`inventory`), and the checks `llmops lint` runs on them (`checks`)."""
