"""`llmops retry` on a cluster run, against the stub Argo Server: Argo's retry of a failed run (one `retry`
call), and a clear error, with nothing sent, for a run that is not finished or succeeded."""

from __future__ import annotations

import pytest

from tests.cluster.argo_stub import ArgoStub
from tests.cluster.conftest import TOKEN, status
from workflows.cli import main

REGISTER = "3398221271"


def _run(stub: ArgoStub, rendered: dict, phase: str) -> str:
    name = rendered["metadata"]["name"]
    state = status(name, phase, approval_phase=None)
    if phase == "Failed":
        state["nodes"][f"{name}-{REGISTER}"]["phase"] = "Failed"
    stub.add({**rendered, "status": state})
    return name


def test_a_failed_run_is_retried_by_argo(env, stub, server, rendered, capsys):
    name = _run(stub, rendered, "Failed")
    assert main(["retry", name]) == 0
    get, put = stub.requests
    assert (get.method, get.path) == ("GET", f"/api/v1/workflows/llmops/{name}")
    assert (put.method, put.path, put.body) == (
        "PUT",
        f"/api/v1/workflows/llmops/{name}/retry",
        {"name": name, "namespace": "llmops"},
    )
    assert put.headers["Authorization"] == f"Bearer {TOKEN}"
    held = stub.workflows[("llmops", name)]["status"]
    assert held["phase"] == "Running" and f"{name}-{REGISTER}" not in held["nodes"]
    out = capsys.readouterr().out
    assert f"{name} was Failed; retried on {server.url}" in out and "register run again" in out
    assert f"Argo UI: {server.url}/workflows/llmops/{name}" in out


@pytest.mark.parametrize(
    ("phase", "expected"),
    [("Running", "is Running: wait for it to end"), ("Succeeded", "is Succeeded: it succeeded: there is nothing")],
)
def test_a_run_that_did_not_fail_is_not_retried(env, stub, rendered, capsys, phase, expected):
    name = _run(stub, rendered, phase)
    assert main(["retry", name]) == 2
    err = capsys.readouterr().err
    assert f"run {name} {expected}" in err and "Traceback" not in err
    assert [r.method for r in stub.requests] == ["GET"]


def test_local_keeps_the_local_runner(env, stub, capsys):
    assert main(["retry", "nowhere-1234", "--local"]) == 2
    assert "nowhere-1234" in capsys.readouterr().err and stub.requests == []
