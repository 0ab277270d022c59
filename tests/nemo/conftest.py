"""Fixtures of the nemo port tests: environment, recognisable fake secrets, a stub server, the SDK contract."""

from __future__ import annotations

import socket
import typing

import pytest

from tests.nemo.stub import Stub

# Recognisable fake secrets: a test fails if either shows up in a log line, an exception or a result.
HF_SECRET = "hf_FAKESECRET_llmops_5e1f0c9a"
NGC_SECRET = "nvapi-FAKESECRET-llmops-77b3d2"
SECRETS = (HF_SECRET, NGC_SECRET)


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch):
    """Every name the code under test resolves must be local: nothing may go to huggingface.co & co."""
    real, outside = socket.getaddrinfo, []

    def local_only(host, *args, **kwargs):
        if str(host) not in ("127.0.0.1", "localhost", "::1"):
            outside.append(host)
            raise socket.gaierror(f"tests must not resolve {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    yield
    assert not outside, f"the code tried to reach outside hosts: {sorted(set(map(str, outside)))}"


@pytest.fixture
def nemo_env(monkeypatch, tmp_path):
    monkeypatch.setenv("LLMOPS_PLATFORM", "nemo")
    monkeypatch.setenv("LLMOPS_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("HF_TOKEN", HF_SECRET)
    monkeypatch.setenv("NGC_API_KEY", NGC_SECRET)
    monkeypatch.setenv("LLMOPS_NEMO_TIME_SCALE", "0.001")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as under `make test`: the Data Store must still be reachable
    for var in ("LLMOPS_CUSTOMIZATION_CONFIG", "NEMO_MICROSERVICES_BASE_URL", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.fixture
def stub(nemo_env, monkeypatch):
    server = Stub().start()
    for var in ("NEMO_URL", "NDS_URL", "NIM_URL"):
        monkeypatch.setenv(var, server.url)
    yield server
    server.stop()


def assert_no_secrets(*texts: object) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text), f"a secret leaked into: {str(text)[:300]}"


# ------------------------------------------------------------------ the SDK's request types as the contract


def _unknown_keys(tp, value, path: str) -> list[str]:
    """Keys of `value` that the SDK type `tp` does not declare (recursing through TypedDicts and containers)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unknown_keys(typing.get_args(tp)[0], value, path)
    if origin is typing.Union:
        options = [_unknown_keys(arg, value, path) for arg in typing.get_args(tp) if _fits(arg, value)]
        return min(options, key=len) if options else []
    if typing.is_typeddict(tp) and isinstance(value, dict):
        hints = typing.get_type_hints(tp, include_extras=True)
        bad = [f"{path}.{k}" for k in value if k not in hints]
        for key, item in value.items():
            if key in hints:
                bad += _unknown_keys(hints[key], item, f"{path}.{key}")
        return bad
    if origin is dict and isinstance(value, dict):
        args = typing.get_args(tp)
        return [b for k, v in value.items() for b in _unknown_keys(args[1], v, f"{path}[{k}]")] if args else []
    args = typing.get_args(tp)
    if isinstance(value, list) and args:
        return [b for i, v in enumerate(value) for b in _unknown_keys(args[0], v, f"{path}[{i}]")]
    return []


def _fits(tp, value) -> bool:
    if typing.is_typeddict(tp):
        return isinstance(value, dict)
    base = typing.get_origin(tp) or tp
    if not isinstance(base, type):
        return True
    return isinstance(value, base) or (base in (dict, list) and isinstance(value, (dict, list)))


def assert_sdk_body(params_type, body: dict) -> None:
    """`body` (a JSON request body we sent) is valid for the SDK's own request TypedDict: types and key names."""
    from pydantic import TypeAdapter

    TypeAdapter(params_type).validate_python(body)
    unknown = _unknown_keys(params_type, body, "body")
    assert not unknown, f"fields the SDK does not know: {unknown}"


# ------------------------------------------------------------------ the other engineer's fake platform


@pytest.fixture
def make_fake(nemo_env, monkeypatch):
    """Start `tests.fakes.nemo_platform.FakeNemoPlatform` and point the endpoints at it (skips without it)."""
    module = pytest.importorskip("tests.fakes.nemo_platform")
    started = []

    def make(faults=(), **kwargs):
        kwargs.setdefault("time_scale", 0.005)
        fake = module.FakeNemoPlatform(faults=module.FaultPlan(list(faults)), **kwargs).start()
        started.append(fake)
        monkeypatch.setenv("NEMO_URL", fake.nemo_url)
        monkeypatch.setenv("NDS_URL", fake.nds_url)
        monkeypatch.setenv("NIM_URL", fake.nim_url)
        return fake

    yield make
    for fake in started:
        fake.stop()


def fault(*args, **kwargs):
    from tests.fakes.nemo_platform import Fault

    return Fault(*args, **kwargs)
