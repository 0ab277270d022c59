"""Component llmops-serving: base-model deployment, adapter readiness, registration, rollout and guardrails."""

from hera.workflows import ClusterWorkflowTemplate, Script

from components.common import ANNOTATIONS, LABELS, LOCKED_DOWN, MEDIUM, STEP_ENV, TRANSIENT, cwt_name
from components.images import ML_IMAGE
from steps.deploy_base import deploy_base
from steps.guardrails_check import guardrails
from steps.register import register
from steps.rollout import rollout
from steps.wait_for_adapter import wait_for_adapter

with ClusterWorkflowTemplate(name=cwt_name("serving"), labels=LABELS, annotations=ANNOTATIONS) as cwt:
    # NIM start-up pulls multi-GB images and weights: deadlines are generous.
    Script(
        name="deploy-base",
        source=deploy_base,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=5400,
    )
    Script(
        name="wait-for-adapter",
        source=wait_for_adapter,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=3600,
    )
    Script(
        name="register",
        source=register,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=1800,
    )
    Script(
        name="rollout",
        source=rollout,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=1800,
    )
    Script(
        name="guardrails",
        source=guardrails,
        constructor="runner",
        image=ML_IMAGE,
        **LOCKED_DOWN,
        env=STEP_ENV,
        resources=MEDIUM,
        retry_strategy=TRANSIENT,
        active_deadline_seconds=1800,
    )
