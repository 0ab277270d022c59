"""Memoization keys: a digest of everything a step's result depends on, valid as an Argo cache key.

Argo's ConfigMap cache refuses a key that does not match `^[a-zA-Z0-9][-a-zA-Z0-9]*$` (no dots, slashes,
`@` or underscores) and a ConfigMap key is at most 253 characters, while model keys, adapter ids, dataset
URIs and metric specs hold any character. So the inputs are hashed: `memo_key` is the sha256 (64 hex
characters) of a canonical JSON of the step's kind, `KEY_VERSION` and its inputs; a template's memoize key
is `<step>-<that digest>`.
"""

from __future__ import annotations

import hashlib
import json
import re

# Bump when what a memoized result holds or means changes: older entries are no longer found.
# 2: business results carry other_scores (the gate reads them).
KEY_VERSION = "2"
ARGO_CACHE_KEY = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")  # Argo's cacheKeyRegex (workflow/controller/cache)
MAX_KEY_LENGTH = 253  # a ConfigMap data key


def canonical_json(text: str) -> object:
    """A JSON setting as a value, so two texts of the same value (spacing, key order) give the same key."""
    return json.loads(text)


def memo_key(kind: str, inputs: dict[str, object]) -> str:
    """The digest of `kind` and `inputs` (JSON values): 64 lowercase hex characters."""
    canonical = json.dumps(
        {"kind": kind, "key_version": KEY_VERSION, "inputs": inputs}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_argo_cache_key(key: str) -> bool:
    return len(key) <= MAX_KEY_LENGTH and ARGO_CACHE_KEY.fullmatch(key) is not None
