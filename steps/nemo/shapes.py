"""Reading what the v1 services answer, whatever shape the SDK gave it.

The SDK (`nemo-microservices` 1.5.0) builds its response models without failing: a nested object that
does not validate (say a customization config `target` without `model_path`) is kept as a plain dict,
a missing field reads as None, unknown fields ride along. Every read of a response in `steps.nemo`
goes through `field` (attribute or key, None and absence both give the default), so a dict, a model,
extra fields and missing optional fields all read the same. A field the backend cannot do without
goes through `require`, which fails as a step error naming the endpoint and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from steps.errors import StepFailedError

SDK = "nemo-microservices 1.5.0"


def field(obj: Any, name: str, default: Any = None) -> Any:
    """`obj.name` or `obj[name]`; `default` when obj is None, lacks the field or holds None there."""
    if obj is None:
        return default
    value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
    return default if value is None else value


def mapping(obj: Any, name: str) -> Mapping[str, Any]:
    """A field that holds a name -> value map (custom_fields, tasks, scores); {} when absent or not a map."""
    value = field(obj, name)
    return value if isinstance(value, Mapping) else {}


def entries(obj: Any, name: str) -> list[Any]:
    """A field that holds a list (status logs, loss points, training options); [] when absent or not a list."""
    value = field(obj, name)
    return list(value) if isinstance(value, (list, tuple)) else []


def require(obj: Any, name: str, *, endpoint: str, what: str) -> Any:
    """A field the backend cannot do without; its absence is a step error naming the endpoint and field."""
    value = field(obj, name)
    if value is None or value == "":
        raise StepFailedError(
            f"{endpoint}: {what} has no {name!r}; the service answered a shape this backend cannot use "
            f"(it speaks the v1 API of {SDK}): check the service's version and the object on the server"
        )
    return value


def number(obj: Any, name: str, *, endpoint: str, what: str) -> float:
    """A numeric field the backend needs (a score's value), as a float; a clear step error otherwise."""
    value = require(obj, name, endpoint=endpoint, what=what)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise StepFailedError(f"{endpoint}: {what} has {name}={value!r}, not a number") from None


def plain(obj: Any) -> Any:
    """JSON-ready data of a response, whether the SDK made it a model or kept dicts (for saving it as is)."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json", exclude_none=True, warnings=False)
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj
