"""YAML spec files a person writes (run specs, flywheel specs): read with their line numbers, validated by a
pydantic model, every problem reported as `<file>:<line>: <dotted.field>: <what is wrong>`."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from steps.errors import InvalidInputError, NotFoundError
from workflows.runspec_fields import CONFLICT
from workflows.yaml_lines import line_of

Model = TypeVar("Model", bound=BaseModel)


def where(path: Path, loc: tuple) -> str:
    """`file:line: dotted.field` of a field of a spec file, for problems found after validation."""
    return f"{path}:{line_of(yaml.compose(Path(path).read_text()), loc)}: {'.'.join(str(p) for p in loc)}"


def read(path: Path, what: str, fields: str) -> tuple[dict[str, Any], yaml.Node]:
    """The mapping of a spec file and its YAML tree; `what` names the kind of spec, `fields` its main fields."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: {what} not found")
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
        tree = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InvalidInputError(f"{at}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or tree is None:
        raise InvalidInputError(f"{path}: a {what} is a YAML mapping ({fields}, ...)")
    return data, tree


def problems(path: Path, tree: yaml.Node, exc: ValidationError, tags: Collection[str] = ()) -> list[str]:
    """One line per validation error. `tags`: tags of union members (a metric type), not fields of the file."""
    out = []
    for err in exc.errors():
        loc = tuple(
            part for i, part in enumerate(err["loc"]) if not (i and isinstance(err["loc"][i - 1], int) and part in tags)
        )
        if err["type"] == CONFLICT:
            loc += tuple(int(p) if p.isdigit() else p for p in err["ctx"]["field"].split("."))
        field = ".".join(str(p) for p in loc) or "(root)"
        message = "unknown field; remove it or fix its spelling" if err["type"] == "extra_forbidden" else err["msg"]
        out.append(f"{path}:{line_of(tree, loc)}: {field}: {message}")
    return out


def load(path: Path, model: type[Model], what: str, fields: str) -> Model:
    """A spec file validated by `model`; InvalidInputError listing every problem with its line."""
    data, tree = read(path, what, fields)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(f"invalid {what}\n  " + "\n  ".join(problems(path, tree, exc))) from None
