"""`llmops submit` against the stub Argo Server: what is sent, idempotency, tokens, TLS and clear errors."""

from __future__ import annotations

import datetime
import ipaddress
import json
from pathlib import Path

import pytest
import yaml

from tests.cluster.argo_stub import ArgoStub, StubServer
from tests.cluster.conftest import SPEC, TOKEN
from workflows.cli import main


def _submit(*extra: str) -> int:
    return main(["submit", str(SPEC), *extra])


def test_submit_sends_the_rendered_workflow_with_the_token(env, stub, server, rendered, capsys):
    assert _submit() == 0
    (request,) = stub.requests
    assert (request.method, request.path) == ("POST", "/api/v1/workflows/llmops")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"namespace": "llmops", "workflow": rendered}, "exactly what `make render` writes"
    out = capsys.readouterr()
    name = rendered["metadata"]["name"]
    assert f"submitted {name}" in out.out
    assert f"Argo UI: {server.url}/workflows/llmops/{name}" in out.out
    assert TOKEN not in out.out + out.err


def test_submitting_an_unchanged_spec_again_reports_the_existing_run(env, stub, rendered, capsys):
    assert _submit() == 0
    stub.workflows[("llmops", rendered["metadata"]["name"])]["status"] = {"phase": "Running"}
    capsys.readouterr()
    assert _submit() == 0
    assert [(r.method, r.path) for r in stub.requests] == [
        ("POST", "/api/v1/workflows/llmops"),
        ("POST", "/api/v1/workflows/llmops"),  # 409: already exists
        ("GET", f"/api/v1/workflows/llmops/{rendered['metadata']['name']}"),
    ]
    assert "was submitted before (Running); the spec is unchanged, so nothing was submitted" in capsys.readouterr().out
    assert len(stub.workflows) == 1


def test_namespace_flag_and_a_token_given_with_its_bearer_prefix(env, stub, monkeypatch):
    monkeypatch.setenv("ARGO_TOKEN", f"Bearer {TOKEN}")
    assert _submit("--namespace", "team-a") == 0
    (request,) = stub.requests
    assert request.path == "/api/v1/workflows/team-a"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}", "no second Bearer prefix"
    assert request.body["namespace"] == request.body["workflow"]["metadata"]["namespace"] == "team-a"


def test_host_and_port_without_scheme_follow_argo_secure(env, stub, server, monkeypatch):
    monkeypatch.setenv("ARGO_SERVER", server.url.removeprefix("http://"))
    monkeypatch.setenv("ARGO_SECURE", "false")
    assert _submit() == 0 and len(stub.requests) == 1


def _kubeconfig(path: Path, user: dict) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "ctx",
                "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "me"}}],
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
                "users": [{"name": "me", "user": user}],
            }
        )
    )
    return path


def test_without_argo_token_the_kubeconfig_users_token_is_sent(env, stub, monkeypatch, tmp_path):
    monkeypatch.delenv("ARGO_TOKEN")
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "config", {"token": TOKEN})))
    assert _submit() == 0
    assert stub.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_kubeconfig_token_file_is_read(env, stub, monkeypatch, tmp_path):
    monkeypatch.delenv("ARGO_TOKEN")
    (tmp_path / "token").write_text(TOKEN + "\n")
    kube = tmp_path / ".kube"
    kube.mkdir()
    _kubeconfig(kube / "config", {"tokenFile": str(tmp_path / "token")})  # ~/.kube/config (HOME is tmp_path)
    assert _submit() == 0
    assert stub.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_certificate_user_without_argo_token_gets_a_clear_401(env, stub, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("ARGO_TOKEN")
    user = {"client-certificate-data": "LS0t", "client-key-data": "LS0t"}
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "config", user)))
    assert _submit() == 2
    assert "Authorization" not in stub.requests[0].headers
    err = capsys.readouterr().err
    assert "refused the token (401: token not valid" in err
    assert "authenticates with a client certificate" in err and "Set ARGO_TOKEN" in err
    assert "Traceback" not in err


def test_a_wrong_token_is_refused_without_printing_it(env, monkeypatch, capsys):
    monkeypatch.setenv("ARGO_TOKEN", "wrong-secret-value")
    assert _submit() == 2
    out = capsys.readouterr()
    assert "refused the token (401" in out.err and "token from ARGO_TOKEN" in out.err
    assert "wrong-secret-value" not in out.out + out.err


def test_forbidden_namespace(env, stub, capsys):
    stub.forbidden_namespaces.add("llmops")
    assert _submit() == 2
    err = capsys.readouterr().err
    assert "forbidden (403: workflows.argoproj.io is forbidden" in err and "needs RBAC on workflows" in err


def test_unreachable_server(env, monkeypatch, server, capsys):
    server.server.shutdown()
    server.server.server_close()
    assert _submit() == 2
    err = capsys.readouterr().err
    assert f"cannot reach the Argo Server at {server.url}/ ([Errno" in err and "port-forward" in err
    assert "Traceback" not in err


def test_no_server_configured(env, monkeypatch, capsys):
    monkeypatch.delenv("ARGO_SERVER")
    assert _submit() == 2
    assert "no Argo Server: pass --server https://host:port or set ARGO_SERVER" in capsys.readouterr().err


def test_a_bad_run_spec_fails_before_any_request(env, stub, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.read_text() + "unknown_field: 1\n")
    assert main(["submit", str(bad)]) == 2
    assert stub.requests == []
    assert "unknown_field" in capsys.readouterr().err


# ---------------------------------------------------------------- TLS
@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (certificate file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "argo-stub")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(folder / "cert.pem"), str(folder / "key.pem")


@pytest.mark.parametrize("flags, code", [((), 2), (("--ca-bundle", "CERT"), 0), (("--insecure",), 0)])
def test_tls_is_verified_unless_told_otherwise(env, monkeypatch, certificate, capsys, flags, code):
    stub = ArgoStub(token=TOKEN)
    with StubServer(stub, tls=certificate) as tls_server:
        monkeypatch.setenv("ARGO_SERVER", tls_server.url)
        assert _submit(*[certificate[0] if f == "CERT" else f for f in flags]) == code
    if code:
        err = capsys.readouterr().err
        assert "TLS verification of https://127.0.0.1" in err and "certificate verify failed" in err
        assert "--ca-bundle" in err and stub.requests == []
    else:
        assert json.dumps(stub.requests[0].body["workflow"]["metadata"]["name"])
