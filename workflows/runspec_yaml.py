"""Reading a run spec file: its YAML document and node tree, or an InvalidInputError at `file:line`.

The node tree gives the line of each field (`workflows/yaml_lines.py`). The file is parsed once: the
document is constructed from the tree, as `yaml.safe_load` would construct it. Whatever makes a file
unreadable is reported with a line: bytes that are not UTF-8, YAML syntax, a tagged value the tag's
type cannot hold (`!!int x`, `!!timestamp 2024-13-01`), nesting deeper than the reader's recursion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from steps.errors import InvalidInputError


class _Loader(yaml.SafeLoader):
    """yaml.SafeLoader whose value errors become ConstructorErrors at the value's node.

    SafeLoader converts explicitly tagged scalars with int(), float(), base64 and datetime, and lets
    their ValueError (or IndexError, for an empty `!!int`) escape without a position.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise ConstructorError(
                None, None, f"{node.tag} cannot hold {node.value!r} ({exc})", node.start_mark
            ) from None


def _error_line(exc: yaml.YAMLError, text: str) -> int:
    """The line (1-based) a YAML error points at: its mark, or for a character error its position; else 1."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    position = getattr(exc, "position", None)  # yaml.reader.ReaderError: a character YAML does not allow
    return text[:position].count("\n") + 1 if isinstance(position, int) else 1


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The YAML document of a run spec file (None when empty) and its node tree (for line numbers)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInputError(f"{path}:{line}: not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    loader = None
    try:
        loader = _Loader(text)
        tree = loader.get_single_node()
        return (loader.construct_document(tree) if tree is not None else None), tree
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or exc
        raise InvalidInputError(f"{path}:{_error_line(exc, text)}: not valid YAML: {problem}") from None
    except RecursionError:  # the YAML reader is recursive: a document nested some hundreds of levels deep
        raise InvalidInputError(
            f"{path}:1: not valid YAML: nested too deeply to read; a run spec is a few levels deep"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
