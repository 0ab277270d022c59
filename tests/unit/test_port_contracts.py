"""Every backend implements every port: the Protocols of steps.contracts, checked on the built platforms.

`isinstance` with a runtime-checkable Protocol only looks for the names; the signature check below also
requires that each implementation accepts every parameter the contract names (by name, with defaults
where the contract has them), so a backend that drops or renames a parameter fails here too.
"""

from __future__ import annotations

import inspect

import pytest

from steps import contracts, platforms
from steps.local.chat_model import LocalChatModel
from steps.nemo.inference import NimChatModel
from steps.nmp.inference import NmpChatModel


def _methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items() if not name.startswith("_") and callable(value)]


def _accepts(contract, implementation) -> list[str]:
    """What `implementation` lacks to be called as `contract` is (empty when it conforms)."""
    want = inspect.signature(contract).parameters
    have = inspect.signature(implementation).parameters
    if any(p.kind is p.VAR_KEYWORD for p in have.values()):
        return []
    problems = [f"no parameter {name!r}" for name in want if name != "self" and name not in have]
    problems += [
        f"parameter {name!r} needs a default"
        for name, p in want.items()
        if name in have and p.default is not p.empty and have[name].default is have[name].empty
    ]
    problems += [
        f"extra required parameter {name!r}"
        for name, p in have.items()
        if name not in want and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return problems


def conformance(port: str, implementation: object) -> list[str]:
    protocol = contracts.PORTS[port]
    problems = [] if isinstance(implementation, protocol) else [f"{port}: not a {protocol.__name__}"]
    for method in _methods(protocol):
        found = getattr(implementation, method, None)
        if found is None:
            problems.append(f"{port}.{method}: missing")
            continue
        problems += [f"{port}.{method}: {p}" for p in _accepts(getattr(protocol, method), found)]
    return problems


@pytest.fixture
def nemo_endpoints(monkeypatch, tmp_path):
    """Endpoints that are never called: building the ports sends no request."""
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path))
    for var in ("NEMO_URL", "NDS_URL", "NIM_URL", "NMP_URL"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")


@pytest.mark.parametrize("backend", sorted(platforms.BACKENDS))
@pytest.mark.parametrize("port", sorted(contracts.PORTS))
def test_every_backend_implements_every_port(backend, port, nemo_endpoints):
    platform = platforms.build(backend)
    assert platform.name == backend
    assert conformance(port, getattr(platform, port)) == []


@pytest.mark.parametrize("model", [LocalChatModel, NimChatModel, NmpChatModel])
def test_every_chat_model_speaks_the_chat_model_contract(model):
    problems = [
        f"{method}: {p}"
        for method in _methods(contracts.ChatModel)
        for p in _accepts(getattr(contracts.ChatModel, method), getattr(model, method))
    ]
    assert problems == []


def test_a_backend_that_misses_a_method_or_a_parameter_fails():
    class HalfDeployer:
        def ensure_base(self, model: str) -> contracts.Deployment:  # renamed parameter
            raise NotImplementedError

    assert conformance("deployer", HalfDeployer()) == [
        "deployer: not a Deployer",
        "deployer.ensure_base: no parameter 'base_model'",
        "deployer.ensure_base: extra required parameter 'model'",
        "deployer.serve_adapter: missing",
        "deployer.release_adapter: missing",
        "deployer.released_adapter: missing",
    ]


def test_an_unknown_platform_is_a_clear_error(monkeypatch):
    from steps.errors import PlatformNotAvailableError

    monkeypatch.setenv("LLMOPS_PLATFORM", "nemo-v3")
    with pytest.raises(PlatformNotAvailableError, match="use one of: local, nemo, nemo-platform"):
        platforms.build()
    with pytest.raises(PlatformNotAvailableError, match="'mars' is not known"):
        platforms.build("mars")
