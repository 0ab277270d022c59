"""Where the Argo Server is, how to authenticate and verify it, and one clear error for every failure.

Settings follow the `argo` CLI's environment: ARGO_SERVER (`host:port` or a URL; without a scheme https
unless ARGO_SECURE=false), ARGO_BASE_HREF, ARGO_TOKEN (with or without "Bearer "), ARGO_INSECURE_SKIP_VERIFY.
Without ARGO_TOKEN the token comes from the kubeconfig's current user (`kubeconfig`). TLS is verified
unless `--insecure`; `--ca-bundle` names the CA of a server with a private certificate. The token is
never printed: messages name where it came from instead.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import requests
from hera import exceptions as hera_errors
from pydantic import ValidationError

from steps.errors import LlmopsError, NotFoundError
from workflows.argo_server.kubeconfig import TokenSource, current_user_token

if TYPE_CHECKING:
    from hera.workflows.service import WorkflowsService

T = TypeVar("T")
TIMEOUT_S = 30.0
PORT_FORWARD = "kubectl -n argo port-forward svc/argo-workflows-server 2746:2746"


class ArgoServerError(LlmopsError):
    """The Argo Server could not be reached, refused the request, or answered something unexpected."""


@dataclass(frozen=True)
class Connection:
    """An Argo Server's base URL (ending in "/"), its TLS verification and the token to send."""

    host: str
    verify: bool | str = True
    source: TokenSource = field(default_factory=lambda: TokenSource("no token"))

    def ui_url(self, namespace: str, name: str) -> str:
        return f"{self.host}workflows/{namespace}/{name}"

    def service(self) -> WorkflowsService:
        """Hera's `WorkflowsService` for this server; requests time out after TIMEOUT_S seconds."""
        from hera.workflows.service import WorkflowsService

        # Hera types verify_ssl as a bool; requests also takes a CA bundle path there.
        return WorkflowsService(
            host=self.host,
            token=self.source.token,
            verify_ssl=self.verify,  # type: ignore[arg-type]
            session=_TimeoutSession(),
        )

    def call(self, what: str, request: Callable[[], T]) -> T:
        """Run one API request; every failure becomes an `ArgoServerError` (404: `NotFoundError`)."""
        try:
            return request()
        except requests.exceptions.SSLError as exc:
            raise ArgoServerError(
                f"{what}: TLS verification of {self.host} failed ({_reason(exc)}); pass --ca-bundle with the "
                "server's CA certificate, or --insecure for a local cluster"
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise ArgoServerError(
                f"{what}: cannot reach the Argo Server at {self.host} ({_reason(exc)}); check ARGO_SERVER or "
                f"--server, and that the server runs (on kind: `{PORT_FORWARD}`)"
            ) from None
        except hera_errors.Unauthorized as exc:
            raise ArgoServerError(
                f"{what}: the Argo Server at {self.host} refused the token (401: {_message(exc)}); token from "
                f"{self.source.description}. Set ARGO_TOKEN to a valid one (`argo auth token`, or "
                "`kubectl create token <service-account>` with RBAC on workflows)"
            ) from None
        except hera_errors.Forbidden as exc:
            raise ArgoServerError(
                f"{what}: forbidden (403: {_message(exc)}); the identity of the token from "
                f"{self.source.description} needs RBAC on workflows in that namespace"
            ) from None
        except hera_errors.NotFound as exc:
            raise NotFoundError(f"{what}: not found on {self.host} (404: {_message(exc)})") from None
        except hera_errors.HeraException as exc:
            raise ArgoServerError(f"{what}: the Argo Server at {self.host} answered an error: {exc}") from None
        except (ValidationError, ValueError, KeyError) as exc:
            # KeyError: Hera reads `message` from an error body; ValueError: a body that is not JSON.
            raise ArgoServerError(
                f"{what}: unexpected answer from {self.host} ({type(exc).__name__}); is it an Argo Server "
                "(ARGO_BASE_HREF when it is served under a path)?"
            ) from None


class _TimeoutSession(requests.Session):
    """Hera passes no timeout; a server that never answers must not hang the command."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT_S)
        return super().request(method, url, **kwargs)


REASONS = re.compile(
    r"\[Errno -?\d+\][^'\")]*|certificate verify failed[^'\")]*|\w+ timed out[^'\")]*|wrong version number"
)


def _reason(exc: Exception) -> str:
    """The cause in requests' nested exception text: "[Errno 111] Connection refused", "... timed out"."""
    text = str(exc)
    found = REASONS.search(text)
    if found:
        return found.group(0).strip(" .")
    return text if len(text) <= 160 else text[:160] + "..."


def _message(exc: Exception) -> str:
    """The server's message out of Hera's "Server returned status code N with message: `...`"."""
    text = str(exc)
    return text.split("with message: ", 1)[-1].strip("`") if "with message: " in text else text


def server_url(server: str, environ: Mapping[str, str]) -> str:
    """`host:port` or a URL, plus ARGO_BASE_HREF, as a base URL ending in "/"."""
    server = server.strip().rstrip("/")
    if "://" not in server:
        secure = environ.get("ARGO_SECURE", "true").strip().lower() not in ("false", "0", "no")
        server = ("https://" if secure else "http://") + server
    if not server.startswith(("http://", "https://")):
        raise ArgoServerError(f"Argo Server address {server!r}: use http(s)://host:port or host:port")
    base = environ.get("ARGO_BASE_HREF", "").strip("/")
    return f"{server}/{base + '/' if base else ''}"


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("true", "1", "yes")


def selected_server(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> str | None:
    """The server a command was pointed at (`--server`, else ARGO_SERVER), or None for local runs."""
    return getattr(args, "server", None) or environ.get("ARGO_SERVER") or None


def connect(
    server: str, ca_bundle: str | None = None, insecure: bool = False, environ: Mapping[str, str] = os.environ
) -> Connection:
    """The connection to `server`: token from ARGO_TOKEN, else the kubeconfig's current user."""
    if ca_bundle and insecure:
        raise ArgoServerError("--ca-bundle and --insecure exclude each other: verify with a CA, or not at all")
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise ArgoServerError(f"--ca-bundle {ca_bundle}: no such file")
    verify: bool | str = ca_bundle or not (insecure or _flag(environ, "ARGO_INSECURE_SKIP_VERIFY"))
    token = environ.get("ARGO_TOKEN", "").strip()
    source = TokenSource("ARGO_TOKEN", token) if token else current_user_token(environ)
    return Connection(server_url(server, environ), verify, source)


def add_arguments(parser: argparse.ArgumentParser, cluster_only: bool = True) -> None:
    """`--server`, `--namespace`, `--ca-bundle`, `--insecure` for commands that talk to an Argo Server."""
    prefix = "" if cluster_only else "cluster mode: "
    parser.add_argument("--server", help=f"{prefix}Argo Server URL or host:port (default: ARGO_SERVER)")
    parser.add_argument("--namespace", help=f"{prefix}namespace of the Workflow (default: the pipeline's)")
    parser.add_argument("--ca-bundle", help=f"{prefix}CA certificate file to verify the server's TLS certificate")
    parser.add_argument(
        "--insecure", action="store_true", help=f"{prefix}do not verify the server's TLS certificate (local only)"
    )


def from_args(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Connection:
    server = selected_server(args, environ)
    if not server:
        raise ArgoServerError("no Argo Server: pass --server https://host:port or set ARGO_SERVER")
    return connect(server, args.ca_bundle, args.insecure, environ)
