"""The schema-checked fake itself: a field the OpenAPI documents do not have fails, so do unknown routes."""

from __future__ import annotations

import httpx

from tests.fakes.nmp import FakeNmp
from tests.nmp.fake_nmp import WORKSPACE

JOBS = f"/apis/customization/v2/workspaces/{WORKSPACE}/automodel/jobs"


def test_an_unknown_field_is_refused_and_recorded(fake: FakeNmp) -> None:
    spec = {"model": "m", "dataset": {"training": "ws/data"}, "training": {"lora": {"rank": 8, "adapter_dim": 8}}}
    answer = httpx.post(fake.base_url + JOBS, json={"spec": spec})
    assert answer.status_code == 422
    assert any("'adapter_dim' was unexpected" in v for v in fake.violations)
    assert fake.creations() == []
    fake.violations.clear()


def test_an_unknown_route_is_a_violation(fake: FakeNmp) -> None:
    assert (
        httpx.get(fake.base_url + f"/apis/customization/v2/workspaces/{WORKSPACE}/automodel/configs").status_code == 422
    )
    assert fake.violations and "no such operation" in fake.violations[0]
    fake.violations.clear()


def test_the_fakes_answers_are_checked_too(fake: FakeNmp) -> None:
    fake.models.add_model(WORKSPACE, "base", invented_field=1)
    httpx.get(fake.base_url + f"/apis/models/v2/workspaces/{WORKSPACE}/models/base")
    assert any("'invented_field' was unexpected" in v for v in fake.violations)
    fake.violations.clear()
