"""The remote chat client takes its proxy from the environment, as httpx and the SDKs do (NO_PROXY honoured)."""

from steps.remote.openai_chat import env_proxy


def test_the_environments_proxy_is_used_unless_no_proxy_names_the_host(monkeypatch):
    for key in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(key, raising=False)
    assert env_proxy("https://nim.example.com/v1") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy.corp:3128")
    assert env_proxy("https://nim.example.com/v1") == "http://proxy.corp:3128"
    assert env_proxy("http://nim.example.com/v1") == "http://plain-proxy.corp:3128"
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
    assert env_proxy("https://nim.example.com/v1") is None
    assert env_proxy("http://127.0.0.1:8000") is None
    assert env_proxy("https://other.org") == "http://proxy.corp:3128"
