"""The routing, fault-injecting proxy of the pipeline e2e (tests/fakes/nmp/proxy.py), between two echo servers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.fake_http import FakeHTTPServer, Request, Response, json_response
from tests.fakes.faults import Fault, FaultPlan
from tests.fakes.nmp.proxy import RoutingProxy

KEY = "proxy-test-token"
BIG = bytes(range(256)) * 8192  # 2 MiB


class Echo:
    def __init__(self, name: str) -> None:
        self.name, self.seen = name, []
        self.server = FakeHTTPServer(self.app)

    def app(self, req: Request) -> Response:
        self.seen.append(req)
        if req.path.endswith("/big"):
            return Response(200, BIG, {"Content-Type": "application/octet-stream"})
        return json_response({"upstream": self.name, "bytes": len(req.body), "auth": req.headers.get("authorization")})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def proxied() -> Iterator[tuple[RoutingProxy, Echo, Echo]]:
    import threading

    real, fake = Echo("real"), Echo("fake")
    threads = [threading.Thread(target=e.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
               for e in (real, fake)]  # fmt: skip
    for thread in threads:
        thread.start()
    with RoutingProxy(real.url, fake.url, FaultPlan(), api_key=KEY) as proxy:
        yield proxy, real, fake
    for echo in (real, fake):
        echo.server.shutdown()
        echo.server.close_everything()
        echo.server.server_close()


def client(proxy: RoutingProxy, timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(base_url=proxy.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=timeout)


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/apis/customization/v2/workspaces/ws/automodel/jobs", "fake"),
        ("/apis/models/v2/workspaces/ws/deployments/x", "fake"),
        ("/apis/models/v2/workspaces/ws/deployment-configs", "fake"),
        ("/apis/models/v2/workspaces/ws/models/x", "real"),
        ("/apis/models/v2/workspaces/ws/adapters", "real"),
        ("/apis/files/v2/workspaces/ws/filesets/f/-/a.jsonl", "real"),
        ("/apis/inference-gateway/v2/workspaces/ws/openai/-/v1/models", "real"),
    ],
)
def test_routes_by_path_and_strips_the_token_only_towards_the_real_services(proxied, path, upstream):
    proxy, _, _ = proxied
    with client(proxy) as http:
        answer = http.post(path, json={"a": 1}).json()
    assert answer["upstream"] == upstream
    assert answer["auth"] == (None if upstream == "real" else f"Bearer {KEY}")
    assert proxy.records[-1].authorized and proxy.records[-1].upstream == upstream


def test_streams_uploads_and_downloads_both_ways(proxied):
    proxy, real, _ = proxied
    with client(proxy) as http:
        assert http.put("/apis/files/v2/x", content=BIG).json()["bytes"] == len(BIG)
        chunked = http.put("/apis/files/v2/y", content=iter([BIG[:1000], BIG[1000:5000]]))
        assert chunked.json()["bytes"] == 5000 and real.seen[-1].body == BIG[:5000]
        assert http.get("/apis/files/v2/big").content == BIG


def test_a_5xx_burst_never_reaches_the_service(proxied):
    proxy, real, _ = proxied
    proxy.faults.add(Fault("http_5xx", "POST", r"/checks$", times=2, status=502))
    with client(proxy) as http:
        assert [http.post("/apis/guardrails/v2/workspaces/ws/checks").status_code for _ in range(3)] == [502, 502, 200]
    assert len(real.seen) == 1 and [r.fault for r in proxy.records] == ["http_5xx", "http_5xx", None]


@pytest.mark.parametrize("kind", ["reset", "timeout"])
def test_a_lost_answer_after_the_service_acted(proxied, kind):
    proxy, _, fake = proxied
    proxy.faults.add(Fault(kind, "POST", r"/jobs$", seconds=0.5, **{f"commit_before_{kind}": True}))
    with client(proxy, timeout=0.3) as http:
        with pytest.raises(httpx.TransportError):
            http.post("/apis/customization/v2/workspaces/ws/automodel/jobs", json={"name": "j"})
        assert http.get("/apis/customization/v2/workspaces/ws/automodel/jobs").status_code == 200
    assert [json.loads(r.body) for r in fake.seen if r.method == "POST"] == [{"name": "j"}]  # it acted once
    assert proxy.records[0].upstream_status == 200 and proxy.records[0].status is None
