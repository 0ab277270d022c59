"""The project's client of an Argo Server (Hera's `WorkflowsService`): `llmops submit` and cluster approvals.

`connection` finds the server, the token and the TLS settings and turns every failure into one clear
error; `kubeconfig` reads a bearer token from the kubeconfig; `submit` creates a run's Workflow (its
content-hashed name makes a second submit report the existing run); `approval` answers a run waiting at
its approval step.
"""
