"""The platform registry: the one place that builds a backend, by name, with its ports wired together.

| name            | backend                                        | selected by                                  |
|-----------------|------------------------------------------------|----------------------------------------------|
| `local`         | `steps.local.platform.LocalPlatform` (default) | LLMOPS_PLATFORM (a run spec's `platform:` must |
| `nemo`          | `steps.nemo.platform.NemoPlatform` (v1 APIs)   | agree with it; preflight and open-run check)  |
| `nemo-platform` | `steps.nmp.platform.NmpPlatform`               |                                              |

A new backend is one package implementing every Protocol of `steps.contracts` plus a platform class
like these, and one line in BACKENDS. Backends are imported only when built, so a step loads the
platform it runs on and nothing else. Steps ask `build()` for their ports; no backend calls back here.
"""

from __future__ import annotations

import importlib
import os

from steps import settings, tracking
from steps.contracts import Platform
from steps.errors import PlatformNotAvailableError

DEFAULT = "local"
BACKENDS: dict[str, str] = {
    "local": "steps.local.platform:LocalPlatform",
    "nemo": "steps.nemo.platform:NemoPlatform",
    "nemo-platform": "steps.nmp.platform:NmpPlatform",
}


def configured() -> str:
    """The platform this environment runs on: LLMOPS_PLATFORM, `local` when unset."""
    value = os.environ.get("LLMOPS_PLATFORM", "").strip() or DEFAULT
    if value not in BACKENDS:
        raise PlatformNotAvailableError(
            f"LLMOPS_PLATFORM={value!r} is not a platform; use one of: {', '.join(BACKENDS)}"
        )
    return value


def require(requested: str | None) -> str:
    """The configured platform; refused when a run names another one (preflight and open-run ask)."""
    name = configured()
    if requested and requested != name:
        raise PlatformNotAvailableError(
            f"the run spec names platform {requested!r}, but this environment is configured for {name!r} "
            f"(LLMOPS_PLATFORM); set LLMOPS_PLATFORM={requested} (on a cluster: the `platform` key of the "
            "llmops-config ConfigMap) to run it there, or change `platform:` in the run spec "
            "(leave it out to use the configured platform)"
        )
    return name


def build(name: str | None = None) -> Platform:
    """The backend `name` (default: the configured one), its ports built on first use."""
    name = name or configured()
    if name not in BACKENDS:
        raise PlatformNotAvailableError(f"platform {name!r} is not known; use one of: {', '.join(BACKENDS)}")
    module, _, cls = BACKENDS[name].partition(":")
    backend = getattr(importlib.import_module(module), cls)
    platform: Platform = backend(workspace=settings.workspace(), tracker=tracking)
    return platform
