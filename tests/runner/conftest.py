from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.runner.manifests import fixture_cwt  # noqa: E402 -- needs the repository on sys.path (above)
from workflows.local_runner import LocalRunner  # noqa: E402 -- needs the repository on sys.path (above)


@pytest.fixture
def events() -> list[tuple[str, str, str]]:
    return []


@pytest.fixture
def make_runner(tmp_path: Path, events: list[tuple[str, str, str]]) -> Callable[..., LocalRunner]:
    """A LocalRunner over the fixture CWT plus the given WorkflowTemplates, with state under tmp_path."""

    def make(*templates: dict[str, Any], **kwargs: Any) -> LocalRunner:
        kwargs.setdefault("state_dir", tmp_path / "runs")
        kwargs.setdefault("cwd", REPO)
        kwargs.setdefault("on_event", lambda *event: events.append(event))
        return LocalRunner(templates=[fixture_cwt(), *templates], **kwargs)

    return make
