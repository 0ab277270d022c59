"""YAML spec files a person writes (run specs, flywheel specs): read with their line numbers, validated by a
pydantic model, every problem reported as `<file>:<line>: <dotted.field>: <what is wrong>`."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from steps.errors import InvalidInputError, NotFoundError
from steps.logic.field_paths import dotted, one_line
from workflows.runspec_fields import CONFLICT
from workflows.runspec_yaml import read_yaml
from workflows.yaml_lines import line_of

Model = TypeVar("Model", bound=BaseModel)


def where(path: Path, loc: tuple) -> str:
    """`file:line: dotted.field` of a field of a spec file, for problems found after validation."""
    return f"{path}:{line_of(read_yaml(Path(path))[1], loc)}: {dotted(loc)}"


def read(path: Path, what: str, fields: str) -> tuple[dict[str, Any], yaml.Node]:
    """The mapping of a spec file and its YAML tree; `what` names the kind of spec, `fields` its main fields."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: {what} not found")
    data, tree = read_yaml(path)
    if not isinstance(data, dict) or tree is None:
        line = tree.start_mark.line + 1 if tree is not None else 1
        got = "an empty document" if data is None else type(data).__name__
        raise InvalidInputError(f"{path}:{line}: a {what} is a YAML mapping ({fields}, ...), got {got}")
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
        field = dotted(loc)
        unknown = err["type"] == "extra_forbidden"
        message = "unknown field; remove it or fix its spelling" if unknown else one_line(err["msg"])
        out.append(f"{path}:{line_of(tree, loc)}: {field}: {message}")
    return out


def load(path: Path, model: type[Model], what: str, fields: str) -> Model:
    """A spec file validated by `model`; InvalidInputError listing every problem with its line."""
    data, tree = read(path, what, fields)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(f"invalid {what}\n  " + "\n  ".join(problems(path, tree, exc))) from None
