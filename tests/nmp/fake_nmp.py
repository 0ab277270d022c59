"""The schema-checked fake of the Platform's customization and deployment APIs as a pytest fixture.

Skipped when the OpenAPI documents (`../shared/reference/nemo-platform/` beside the repository) are absent,
as in a user's clone. Every test ends by asserting that no request or answer broke the schema.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.nmp import FakeNmp, openapi

WORKSPACE = "llmops-test"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNmp]:
    if not openapi.available():
        pytest.skip(f"NeMo Platform OpenAPI documents not found in {openapi.REFERENCE.resolve()}")
    with FakeNmp() as platform:
        monkeypatch.setenv("NMP_URL", platform.base_url)
        monkeypatch.setenv("NMP_WORKSPACE", WORKSPACE)
        monkeypatch.setenv("LLMOPS_NMP_TIME_SCALE", "0.001")
        for var in ("NMP_API_KEY", "NGC_API_KEY", "HF_TOKEN", "LLMOPS_NMP_CUSTOMIZATION_BACKEND"):
            monkeypatch.delenv(var, raising=False)
        yield platform
    assert platform.violations == []
