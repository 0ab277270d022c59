"""The bearer token of the kubeconfig's current user, read with PyYAML (no Kubernetes client needed).

Only static tokens work against an Argo Server (`user.token`, `user.tokenFile`); client certificates,
exec plugins and auth providers cannot be turned into a token here, so the description says which one the
user has and the caller suggests ARGO_TOKEN instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from steps.errors import InvalidInputError


@dataclass(frozen=True)
class TokenSource:
    """A token (never printed: `repr` leaves it out) and where it came from, for messages."""

    description: str
    token: str | None = field(default=None, repr=False)


def kubeconfig_paths(environ: Mapping[str, str]) -> list[Path]:
    """KUBECONFIG's files (a path list, as kubectl reads it), else ~/.kube/config."""
    listed = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p.strip()]
    if listed:
        return [Path(p).expanduser() for p in listed]
    return [Path(environ.get("HOME") or Path.home()).expanduser() / ".kube" / "config"]


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())
        raise InvalidInputError(f"cannot read the kubeconfig {path}: {reason}; fix it or set ARGO_TOKEN") from None
    return doc if isinstance(doc, dict) else {}


def _named(docs: list[dict[str, Any]], section: str, name: str) -> dict[str, Any] | None:
    """The first entry called `name` in `section` (kubectl merges files in order: the first wins)."""
    for doc in docs:
        for entry in doc.get(section) or []:
            if isinstance(entry, dict) and entry.get("name") == name:
                return entry
    return None


def _method(user: dict[str, Any]) -> str:
    if user.get("client-certificate-data") or user.get("client-certificate"):
        return "a client certificate"
    if user.get("exec"):
        return "an exec plugin"
    if user.get("auth-provider"):
        return "an auth provider"
    return "no token"


def current_user_token(environ: Mapping[str, str]) -> TokenSource:
    """The current context's user token; `token` is None (with the reason) when there is none."""
    paths = [p for p in kubeconfig_paths(environ) if p.is_file()]
    if not paths:
        return TokenSource("no kubeconfig found")
    docs = [_load(p) for p in paths]
    shown = ", ".join(str(p) for p in paths)
    context_name = next((d["current-context"] for d in docs if d.get("current-context")), None)
    if not context_name:
        return TokenSource(f"kubeconfig {shown} has no current-context")
    context = _named(docs, "contexts", context_name)
    user_name = ((context or {}).get("context") or {}).get("user")
    user_entry = _named(docs, "users", user_name) if user_name else None
    if user_entry is None:
        return TokenSource(f"kubeconfig {shown}: context {context_name!r} names no known user")
    user = user_entry.get("user") or {}
    where = f"kubeconfig {shown} (user {user_name!r})"
    if user.get("token"):
        return TokenSource(where, str(user["token"]).strip())
    if user.get("tokenFile"):
        try:
            return TokenSource(where, Path(user["tokenFile"]).expanduser().read_text().strip())
        except OSError as exc:
            raise InvalidInputError(f"{where}: cannot read tokenFile: {exc}") from None
    return TokenSource(f"{where} authenticates with {_method(user)}, which the Argo Server does not accept")
