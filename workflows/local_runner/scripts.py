"""Reading a script template: the Hera runner entrypoint, outputs, env, retry plan, deadline and memoize settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from steps.logic.memo_key import is_argo_cache_key
from workflows.local_runner.durations import parse_duration
from workflows.local_runner.errors import RunnerError, UnsupportedFieldError
from workflows.local_runner.manifests import Template
from workflows.local_runner.substitution import Scope, substitute_value, text_of

DEFAULT_OUTPUTS_DIR = "/tmp/hera-outputs"
RUNNER_ARGS = ["-m", "hera.workflows.runner", "-e"]
PYTHONS = (["python"], ["python3"])
RETRY_POLICIES = ("Always", "OnFailure", "OnError", "OnTransientError")


def script_entrypoint(template: Template) -> str:
    """`module:function` of a Hera runner script; anything else is unsupported."""
    script = template.body["script"]
    path = f"{template.path}.script"
    if script.get("command") not in PYTHONS:
        raise UnsupportedFieldError(
            f"{path}.command",
            f"{script.get('command')!r}: the local runner only runs Hera runner scripts "
            "(command [python]; Script(constructor='runner'))",
        )
    args = script.get("args")
    if not (isinstance(args, list) and len(args) == 4 and args[:3] == RUNNER_ARGS and ":" in str(args[3])):
        raise UnsupportedFieldError(
            f"{path}.args",
            f"{args!r}: expected [-m, hera.workflows.runner, -e, module:function] (Script(constructor='runner'))",
        )
    if str(script.get("source", "")).replace(" ", "") != "{{inputs.parameters}}":
        raise UnsupportedFieldError(
            f"{path}.source",
            "only '{{inputs.parameters}}' (Hera's runner constructor) is supported by the local runner",
        )
    return str(args[3])


def outputs_prefix(template: Template) -> str:
    for entry in template.body["script"].get("env") or []:
        if entry.get("name") == "hera__outputs_directory" and "value" in entry:
            return str(entry["value"]).rstrip("/")
    return DEFAULT_OUTPUTS_DIR


@dataclass(frozen=True)
class OutputSpec:
    name: str
    relative: str  # path under the outputs directory
    default: str | None


def output_specs(template: Template, scope: Scope) -> list[OutputSpec]:
    prefix = outputs_prefix(template) + "/"
    specs: list[OutputSpec] = []
    for index, param in enumerate(((template.body.get("outputs") or {}).get("parameters")) or []):
        path = f"{template.path}.outputs.parameters[{index}].valueFrom"
        value_from = param.get("valueFrom") or {}
        file = str(value_from.get("path", ""))
        if not file.startswith(prefix):
            raise UnsupportedFieldError(
                f"{path}.path",
                f"{file!r}: the local runner reads output parameters only from under {prefix} "
                "(hera__outputs_directory)",
            )
        default = (
            substitute_value(text_of(value_from["default"]), scope, f"{path}.default")
            if "default" in value_from
            else None
        )
        specs.append(OutputSpec(str(param["name"]), file[len(prefix) :], default))
    return specs


def resolve_env(template: Template, scope: Scope, available: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The template's env and the secret values in it.

    `value` is substituted; a value that is a path under one of the script's volumeMounts names the pod's scratch
    space and is skipped (the runner's own variable, if any, stays). `secretKeyRef`/`configMapKeyRef` take the
    runner's own variable of the same env name from `available` (skipped when absent and `optional`, else an error
    naming the Secret/ConfigMap and key).
    """
    env: dict[str, str] = {}
    secrets: list[str] = []
    mounts = [str(m.get("mountPath", "")).rstrip("/") for m in template.body["script"].get("volumeMounts") or []]
    for index, entry in enumerate(template.body["script"].get("env") or []):
        name = str(entry.get("name"))
        path = f"{template.path}.script.env[{index}]"
        if "value" in entry:
            value = str(substitute_value(text_of(entry["value"]), scope, f"{path}.value"))
            if not any(mount and (value == mount or value.startswith(mount + "/")) for mount in mounts):
                env[name] = value
            continue
        value_from = entry.get("valueFrom") or {}
        kind, ref = (
            ("Secret", value_from.get("secretKeyRef"))
            if "secretKeyRef" in value_from
            else ("ConfigMap", value_from.get("configMapKeyRef"))
        )
        if not ref:
            raise RunnerError(f"{path}: env {name!r} needs value or valueFrom.secretKeyRef/configMapKeyRef")
        if name in available:
            env[name] = available[name]
            if kind == "Secret":
                secrets.append(available[name])
        elif not ref.get("optional"):
            raise RunnerError(
                f"env {name}: {kind} {ref.get('name')!r} key {ref.get('key')!r} is not available locally; "
                f"set the environment variable {name} for the runner"
            )
    return env, secrets


@dataclass(frozen=True)
class RetryPlan:
    limit: int
    policy: str
    duration_s: float = 0.0
    factor: float = 1.0
    max_duration_s: float | None = None
    cap_s: float | None = None

    def should_retry(self, phase: str) -> bool:
        if self.policy == "Always":
            return phase in ("Failed", "Error")
        if self.policy == "OnFailure":
            return phase == "Failed"
        return phase == "Error"  # OnError / OnTransientError: runner-level errors only

    def delay(self, failures: int) -> float:
        delay = self.duration_s * self.factor ** (failures - 1)
        return min(delay, self.cap_s) if self.cap_s is not None else delay


def retry_plan(template: Template, scope: Scope) -> RetryPlan | None:
    strategy = template.body.get("retryStrategy")
    if strategy is None:
        return None
    path = f"{template.path}.retryStrategy"
    if "limit" not in strategy:
        raise UnsupportedFieldError(
            f"{path}.limit", "an unlimited retryStrategy is not supported by the local runner; set limit"
        )
    limit_text = substitute_value(text_of(strategy["limit"]), scope, f"{path}.limit")
    try:
        limit = int(limit_text)
    except ValueError:
        raise RunnerError(f"{path}.limit: {limit_text!r} is not an integer") from None
    policy = str(strategy.get("retryPolicy", "OnFailure"))
    if policy not in RETRY_POLICIES:
        raise RunnerError(f"{path}.retryPolicy: {policy!r} is not one of {RETRY_POLICIES}")
    backoff = strategy.get("backoff") or {}

    def seconds(key: str) -> float | None:
        if key not in backoff:
            return None
        return parse_duration(substitute_value(backoff[key], scope, f"{path}.backoff.{key}"), f"{path}.backoff.{key}")

    factor = substitute_value(backoff.get("factor", 1), scope, f"{path}.backoff.factor")
    try:
        factor_value = float(factor)
    except (TypeError, ValueError):
        raise RunnerError(f"{path}.backoff.factor: {factor!r} is not a number") from None
    return RetryPlan(limit, policy, seconds("duration") or 0.0, factor_value, seconds("maxDuration"), seconds("cap"))


def deadline_seconds(template: Template, scope: Scope) -> float | None:
    value = template.body.get("activeDeadlineSeconds")
    if value is None:
        return None
    path = f"{template.path}.activeDeadlineSeconds"
    return parse_duration(substitute_value(value, scope, path), path)


def memo_settings(template: Template, scope: Scope) -> tuple[str, str, float | None] | None:
    """(configMap name, substituted key, maxAge seconds) or None."""
    memo = template.body.get("memoize")
    if memo is None:
        return None
    path = f"{template.path}.memoize"
    name = ((memo.get("cache") or {}).get("configMap") or {}).get("name")
    if not name or "key" not in memo:
        raise RunnerError(f"{path}: memoize needs key and cache.configMap.name")
    key = str(substitute_value(text_of(memo["key"]), scope, f"{path}.key"))
    if not is_argo_cache_key(key):  # Argo fails the node: the local runner does not let it pass
        raise RunnerError(f"{path}.key: {key!r} is not a valid Argo cache key ([a-zA-Z0-9-], at most 253 characters)")
    max_age = memo.get("maxAge")
    age = parse_duration(substitute_value(max_age, scope, f"{path}.maxAge"), f"{path}.maxAge") if max_age else None
    return str(name), key, age
