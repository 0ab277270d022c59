"""`llmops approve|reject` on a cluster run, against the stub Argo Server: the approval node is answered
with one `set` aimed at it (output, message, phase), and every other situation is a clear error."""

from __future__ import annotations

import json

import pytest

from tests.cluster.argo_stub import ArgoStub
from tests.cluster.conftest import TOKEN, status
from workflows.cli import main

APPROVAL_ID_SUFFIX = "2954311062"


@pytest.fixture
def waiting(stub: ArgoStub, rendered: dict) -> str:
    """A run on the server that waits at its approval step; returns its name."""
    name = rendered["metadata"]["name"]
    stub.add({**rendered, "status": status(name, "Running")})
    return name


def _approval(stub: ArgoStub, name: str) -> dict:
    return stub.workflows[("llmops", name)]["status"]["nodes"][f"{name}-{APPROVAL_ID_SUFFIX}"]


@pytest.mark.parametrize("verb, value", [("approve", "YES"), ("reject", "NO")])
def test_decision_sets_the_approval_nodes_output_message_and_phase(env, stub, server, waiting, capsys, verb, value):
    assert main([verb, waiting, "--by", "alice", "--reason", "checked the report"]) == 0
    get, put = stub.requests
    assert (get.method, get.path) == ("GET", f"/api/v1/workflows/llmops/{waiting}")
    assert (put.method, put.path) == ("PUT", f"/api/v1/workflows/llmops/{waiting}/set")
    assert put.headers["Authorization"] == f"Bearer {TOKEN}"
    message = f"{'approved' if value == 'YES' else 'rejected'} by alice with llmops: checked the report"
    assert put.body == {
        "name": waiting,
        "namespace": "llmops",
        "nodeFieldSelector": f"id={waiting}-{APPROVAL_ID_SUFFIX}",
        "outputParameters": json.dumps({"approve": value}),
        "message": message,
        "phase": "Succeeded",
    }
    node = _approval(stub, waiting)
    assert (node["phase"], node["message"]) == ("Succeeded", message)
    assert node["outputs"]["parameters"] == [{"name": "approve", "value": value}]
    out = capsys.readouterr().out
    assert f"{waiting}: {message} ({value})" in out and f"Argo UI: {server.url}/workflows/llmops/{waiting}" in out


def test_who_defaults_to_llmops_user(env, stub, waiting, monkeypatch):
    monkeypatch.setenv("LLMOPS_USER", "bob")
    assert main(["approve", waiting]) == 0
    assert stub.requests[-1].body["message"] == "approved by bob with llmops"


def test_a_second_answer_is_refused_clearly(env, stub, waiting, capsys):
    assert main(["approve", waiting]) == 0
    capsys.readouterr()
    assert main(["reject", waiting]) == 2
    assert "is not waiting for approval: its approval step is Succeeded (approved by" in capsys.readouterr().err
    assert [r.method for r in stub.requests] == ["GET", "PUT", "GET"]


@pytest.mark.parametrize(
    "phase, approval, expected",
    [
        ("Running", None, "it is Running and has not reached its approval step yet"),
        ("Succeeded", None, "it finished (Succeeded) without an approval step"),
        ("Failed", "Failed", "its approval step is Failed"),
    ],
)
def test_a_run_that_is_not_waiting(env, stub, rendered, capsys, phase, approval, expected):
    name = rendered["metadata"]["name"]
    stub.add({**rendered, "status": status(name, phase, approval)})
    assert main(["approve", name]) == 2
    err = capsys.readouterr().err
    assert f"run {name} is not waiting for approval: {expected}" in err and "Traceback" not in err
    assert [r.method for r in stub.requests] == ["GET"]


def test_an_answer_set_but_not_resumed_names_the_argo_command(env, stub, waiting, capsys):
    node = _approval(stub, waiting)
    node["outputs"]["parameters"] = [{"name": "approve", "value": "YES"}]
    assert main(["approve", waiting]) == 2
    assert f"argo resume {waiting} -n llmops --node-field-selector id={node['id']}" in capsys.readouterr().err


def test_unknown_run(env, stub, capsys):
    assert main(["reject", "no-such-run", "--namespace", "team-a"]) == 2
    err = capsys.readouterr().err
    assert "get run no-such-run: not found" in err and "namespace team-a (--namespace)" in err


def test_local_flag_and_local_only_options(env, stub, capsys):
    assert main(["approve", "no-such-run", "--local"]) == 2
    assert stub.requests == [], "--local never calls the server"
    capsys.readouterr()
    assert main(["approve", "no-such-run", "--local", "--reason", "x"]) == 2
    assert "--reason and --by are recorded on a cluster run's approval node" in capsys.readouterr().err
