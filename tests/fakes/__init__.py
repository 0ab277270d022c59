"""Test fakes. `tests.fakes.nemo_platform.FakeNemoPlatform` is a contract-faithful fake of the NeMo
microservices v1 HTTP APIs (Data Store + HF API, Entity Store, Customizer, Evaluator, Deployment
Management, NIM, Guardrails) with fault injection; see that module's docstring."""
