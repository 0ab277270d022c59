"""Fault injection for the fake NeMo platform.

A `FaultPlan` is an ordered list of `Fault`s. Every request is offered to the plan:

* request-level kinds (`http_5xx`, `rate_limit`, `timeout`, `reset`, `conflict`) replace the
  response; the first matching fault with budget left wins, and the request does not touch state
  (except `timeout` with `commit_before_timeout=True`: the request is applied, then the answer is
  delayed past the client's timeout, i.e. "request applied but response lost");
* lifecycle kinds (`job_fails`, `job_stalls`, `slow_model_sync`, `deployment_fails`) are attached
  to the object a successful create request makes (a job, a model entity, a deployment).

`after=N` lets the first N matching requests (or creations) through untouched; `times` is how many
it then affects. A fault with no `match_*` matches every request its kind applies to.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

REQUEST_KINDS = frozenset({"http_5xx", "rate_limit", "timeout", "reset", "conflict"})
LIFECYCLE_KINDS = frozenset({"job_fails", "job_stalls", "slow_model_sync", "deployment_fails"})
KINDS = REQUEST_KINDS | LIFECYCLE_KINDS

# Create endpoints (POST): the default scope of `conflict`.
# Lifecycle faults of one group are alternative outcomes: a creation gets at most one of them.
_GROUPS = {"job_fails": "outcome", "job_stalls": "outcome", "deployment_fails": "outcome"}

CREATE_PATHS = re.compile(
    r"^/v1/(namespaces|projects|datasets|models|customization/(jobs|configs|targets)"
    r"|evaluation/(jobs|configs|targets)|deployment/(model-deployments|configs)|guardrail/configs"
    r"|datastore/namespaces|hf/api/repos/create)$"
)


@dataclass
class Fault:
    """One injected fault. Extra keyword arguments are the kind's parameters:

    - http_5xx: `status` (500, 502, 503 or 504; default 503)
    - rate_limit: `retry_after` (seconds for the Retry-After header; default 1)
    - timeout: `seconds` (the client's timeout, real seconds; the fake waits `seconds + margin`),
      `margin` (default 0.25), `commit_before_timeout` (default False)
    - reset: none (the connection is closed with a TCP RST, no response)
    - conflict: `detail` (message of the 409)
    - job_fails: `detail` (error text), `at_fraction` (of the run when it fails; default 0.5)
    - job_stalls: `phase` ("running" default, or "pending": NotEnoughResources), `at_fraction` (0.3)
    - slow_model_sync: `seconds` (nominal, scaled by time_scale) or `real_seconds`
    - deployment_fails: `detail`
    """

    kind: str
    match_method: str | None = None
    match_path_regex: str | None = None
    times: int = 1
    after: int = 0
    params: dict = field(default_factory=dict)
    fired: int = 0

    def __init__(
        self,
        kind: str,
        match_method: str | None = None,
        match_path_regex: str | None = None,
        times: int = 1,
        after: int = 0,
        **params,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        if times < 0 or after < 0:
            raise ValueError("times and after must be >= 0")
        if kind == "http_5xx" and params.get("status", 503) not in (500, 502, 503, 504):
            raise ValueError("http_5xx status must be 500, 502, 503 or 504")
        self.kind = kind
        self.match_method = match_method.upper() if match_method else None
        self.match_path_regex = match_path_regex
        self.times = times
        self.after = after
        self.params = params
        self.fired = 0
        self._regex = re.compile(match_path_regex) if match_path_regex else None

    def matches(self, method: str, path: str) -> bool:
        if self.match_method and self.match_method != method.upper():
            return False
        if self._regex is not None:
            return bool(self._regex.search(path))
        if self.kind == "conflict":  # default scope: creates only
            return method.upper() == "POST" and bool(CREATE_PATHS.match(path))
        return True


class FaultPlan:
    def __init__(self, faults=()) -> None:
        self.faults: list[Fault] = list(faults)
        self.log: list[tuple[str, str, str]] = []  # (kind, method, path) of every fault that fired
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def _take(self, kinds, method: str, path: str, first_only: bool) -> list[Fault]:
        taken: list[Fault] = []
        seen_groups: set[str] = set()
        with self._lock:
            for fault in self.faults:
                group = _GROUPS.get(fault.kind, fault.kind)
                if fault.kind not in kinds or group in seen_groups or fault.times <= 0:
                    continue
                if not fault.matches(method, path):
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                fault.fired += 1
                self.log.append((fault.kind, method, path))
                taken.append(fault)
                seen_groups.add(group)
                if first_only:
                    break
        return taken

    def take_request_fault(self, method: str, path: str) -> Fault | None:
        taken = self._take(REQUEST_KINDS, method, path, first_only=True)
        return taken[0] if taken else None

    def take_lifecycle(self, kinds, method: str, path: str) -> dict[str, Fault]:
        """Lifecycle faults for one successful creation: at most one outcome (job_fails | job_stalls |
        deployment_fails) plus at most one slow_model_sync, the first matching ones in plan order."""
        kinds = set(kinds) & LIFECYCLE_KINDS
        return {f.kind: f for f in self._take(kinds, method, path, first_only=False)}

    def pending(self) -> list[Fault]:
        with self._lock:
            return [f for f in self.faults if f.times > 0]
