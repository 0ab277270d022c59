"""What the fuzz tests share: their hypothesis settings, JSON-like values, and mutations of valid documents.

A mutation starts from a document the project accepts (a committed run spec, an example dataset row) and
changes one to three places in it: a value replaced by one of another type or out of range, a field
deleted, an unknown field added, a field renamed. Inputs near the valid ones reach the checks behind
the first one, which random documents rarely pass.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Reproducible in CI (the same examples on every run of the same code) and no example database written
# into the worktree; no deadline: a shared 2-core machine makes per-example timings meaningless.
FUZZ = settings(
    max_examples=1000,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Values at the edges: of numeric ranges (0, -1, 2**63, inf, nan), of Python's int parser (over 4300 digits),
# of text (empty, blank, a lone surrogate, control characters).
EDGE_VALUES: list[Any] = [
    0,
    -1,
    1,
    2**63,
    -(2**63),
    10**400,
    0.5,
    -0.0,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    " ",
    "\n",
    "\t\x00",
    "\ud800",
    "null",
    "0",
    "-1",
    "yes",
    "~",
    "{{",
    "{{ item.reference }}",
    "{% for %}",
    [],
    {},
    [None],
    {"": None},
    True,
    False,
    None,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(EDGE_VALUES),
)
keys = st.one_of(st.text(max_size=12), st.sampled_from(["id", "name", "type", "messages", "content", "role"]))
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
Location = tuple[Any, ...]
RUN_SPEC_FILES = sorted((Path(__file__).resolve().parents[2] / "workflows" / "runs").glob("*.yaml"))
RUN_SPECS = [yaml.safe_load(path.read_text()) for path in RUN_SPEC_FILES]  # the committed run specs


def node_paths(node: Any, prefix: Location = ()) -> list[Location]:
    """Every path into a JSON-like document (the root included), depth first."""
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += node_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += node_paths(child, (*prefix, index))
    return found


def _parent(document: Any, path: Location) -> Any:
    node = document
    for part in path[:-1]:
        node = node[part]
    return node


def _typo(key: Any) -> Any:
    text = str(key)
    return text[:-1] if len(text) > 1 else text + "_"


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any]) -> Any:
    """One of `documents`, changed in one to three places (see the module's docstring)."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(node_paths(document)))
        kind = draw(st.sampled_from(["replace", "replace", "edge", "delete", "add", "rename"]))
        if not path:  # the root: replace it, or add a field when it is a mapping
            if kind == "add" and isinstance(document, dict):
                document[draw(keys)] = draw(values)
            elif kind in ("replace", "edge"):
                document = draw(values)
            continue
        parent, last = _parent(document, path), path[-1]
        if kind == "replace":
            parent[last] = draw(values)
        elif kind == "edge":
            parent[last] = copy.deepcopy(draw(st.sampled_from(EDGE_VALUES)))
        elif kind == "delete":
            del parent[last]
        elif kind == "add" and isinstance(parent[last], dict):
            parent[last][draw(keys | st.sampled_from([_typo(k) for k in parent[last]] or ["x"]))] = draw(values)
        elif kind == "add" and isinstance(parent[last], list):
            parent[last].append(draw(values))
        elif kind == "rename" and isinstance(parent, dict):
            parent[_typo(last)] = parent.pop(last)
    return document


def located_lines(message: str, where: str) -> list[re.Match[str]]:
    """The lines of an error message that point into `where` (`where:LINE: ...`), as matches."""
    pattern = re.compile(rf"^\s*{re.escape(where)}:(?P<line>\d+): (?P<rest>.*)$")
    return [match for line in message.splitlines() if (match := pattern.match(line))]
