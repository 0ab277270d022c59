"""Roll a release back: the registry's `previous` version becomes the `champion` again, and serving follows.

Serving is re-pointed first (the deployer's `release_adapter`: on the local platform the serving index's
release entry; on NeMo, NIM serves every adapter under its own name and the registry alias is the
release), then the aliases move and `previous` is removed, so a second rollback finds nothing to do and
says so. Who, when and why are recorded as tags on both versions.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from steps import platforms, registry
from steps.errors import InvalidInputError, NotFoundError

RESTORED_TAG = "rollback.restored"  # on the version made champion again: JSON of who/when/why/replaced
DEMOTED_TAG = "rollback.demoted"  # on the version rolled back


@dataclass(frozen=True)
class RollbackResult:
    registered_model: str
    champion: str  # the champion after the call
    replaced: str | None  # the champion before, None when nothing changed
    serving_changed: bool
    message: str


def user() -> str:
    """Who rolls back: LLMOPS_USER, else the login name (LOGNAME, USER, ... or the account)."""
    try:
        return os.environ.get("LLMOPS_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _repoint(platform, client, name: str, version: str) -> bool:
    tags = client.get_model_version(name, version).tags
    base_model, adapter_id = tags.get("base_model"), tags.get(registry.ADAPTER_TAG)
    if not base_model or not adapter_id:
        raise InvalidInputError(
            f"{name} v{version} has no base_model/adapter_id tags, so serving cannot be re-pointed to it; "
            "it was not registered by this pipeline"
        )
    return platform.deployer.release_adapter(base_model, adapter_id)


def rollback(name: str, reason: str, who: str | None = None) -> RollbackResult:
    """Make `previous` the champion of registered model `name` again; idempotent."""
    platform = platforms.build()
    client = platform.tracker.client()
    if not client.search_registered_models(f"name = '{name}'"):
        raise NotFoundError(f"registered model {name!r} does not exist; `llmops runs` lists the released models")
    champion = registry.alias_version(client, name, registry.CHAMPION)
    if champion is None:
        raise NotFoundError(f"{name} has no champion: nothing was released, so there is nothing to roll back")
    previous = registry.alias_version(client, name, registry.PREVIOUS)
    if previous is None:
        restored = client.get_model_version(name, champion).tags.get(RESTORED_TAG)
        if restored is None:
            raise NotFoundError(
                f"{name} v{champion} is the champion and no version has the alias `previous`: "
                "there is no earlier release to roll back to"
            )
        changed = _repoint(platform, client, name, champion)  # repairs serving after an interrupted call
        info = json.loads(restored)
        message = (
            f"{name}: already rolled back (v{info['replaced']} -> v{champion} by {info['by']} at {info['at']}); "
            f"nothing changed{'; serving re-pointed to v' + champion if changed else ''}"
        )
        return RollbackResult(name, champion, None, changed, message)
    changed = _repoint(platform, client, name, previous)
    record = {"by": who or user(), "at": datetime.now(UTC).isoformat(timespec="seconds"), "reason": reason}
    client.set_model_version_tag(name, previous, RESTORED_TAG, json.dumps({**record, "replaced": champion}))
    client.set_model_version_tag(name, champion, DEMOTED_TAG, json.dumps({**record, "restored": previous}))
    client.set_registered_model_alias(name, registry.CHAMPION, previous)
    client.delete_registered_model_alias(name, registry.PREVIOUS)
    serving = "serving re-pointed" if changed else "serving already pointed there"
    message = f"{name}: rolled back from v{champion} to v{previous} ({serving}); by {record['by']}: {reason}"
    return RollbackResult(name, previous, champion, changed, message)
