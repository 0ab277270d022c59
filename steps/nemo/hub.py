"""The NeMo Data Store's Hugging Face-compatible API as huggingface_hub sees it: the client session
settings for an in-cluster hub, and the file ids that the hub lists."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator


def git_blob_id(content: bytes) -> str:
    """The git object id of a file (what the Hub API lists as a file's `oid`)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@contextlib.contextmanager
def hub_online() -> Iterator[None]:
    """Let huggingface_hub talk to the Data Store even when HF_HUB_OFFLINE is set, with telemetry off.

    Offline mode exists to keep jobs away from huggingface.co; the Data Store is an in-cluster service.
    Telemetry stays off so that nothing (e.g. the user-agent's registry fetch) goes to huggingface.co.
    """
    from huggingface_hub import constants

    saved = constants.HF_HUB_OFFLINE, constants.HF_HUB_DISABLE_TELEMETRY
    constants.HF_HUB_OFFLINE, constants.HF_HUB_DISABLE_TELEMETRY = False, True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE, constants.HF_HUB_DISABLE_TELEMETRY = saved
