"""`when` (govaluate subset) and `depends` (task-result logic) expressions: parse to a tree, then evaluate.

`when` is evaluated after `{{...}}` substitution. Supported: `==`, `!=`, `<`, `>`, `<=`, `>=`, `&&`, `||`, `!`,
parentheses, single- or double-quoted strings, `true`/`false`, numbers; any other bare word is a string.
`depends` is over task names: `task`, `task.Succeeded|Failed|Errored|Skipped|Omitted|Daemoned|AnySucceeded|
AllFailed`, with `&&`, `||`, `!` and parentheses; a bare `task` means `task.Succeeded || task.Skipped ||
task.Daemoned`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from workflows.local_runner.errors import ExpressionError

Scalar = bool | float | str
Node = tuple  # ("or"|"and", l, r) | ("not", x) | ("cmp", op, l, r) | ("lit", v) | ("ref", task, prop | None)

_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")")
_WORD_STOP = set(" \t\r\n()!=<>&|'\"")
RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned", "AnySucceeded", "AllFailed")
FAILURE_RESULTS = frozenset({"Failed", "Errored", "AllFailed"})


@dataclass(frozen=True)
class Token:
    kind: str  # "op" | "str" (quoted) | "word"
    text: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, pos)), None)
        if op is not None:
            tokens.append(Token("op", op))
            pos += len(op)
            continue
        if char in "'\"":
            end = text.find(char, pos + 1)
            if end < 0:
                raise ExpressionError(f"unterminated string starting at column {pos + 1}")
            tokens.append(Token("str", text[pos + 1 : end]))
            pos = end + 1
            continue
        if char in "&|=":
            raise ExpressionError(f"unexpected {char!r} at column {pos + 1} (use '&&', '||', '==')")
        end = pos
        while end < len(text) and text[end] not in _WORD_STOP:
            end += 1
        tokens.append(Token("word", text[pos:end]))
        pos = end
    return tokens


class _Parser:
    def __init__(self, tokens: Sequence[Token], atom: Callable[[_Parser], Node]) -> None:
        self.tokens = list(tokens)
        self.pos = 0
        self.atom = atom

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ExpressionError("unexpected end of expression")
        self.pos += 1
        return token

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text in ops

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("empty expression")
        node = self.parse_or()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.at_op("||"):
            self.take()
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at_op("&&"):
            self.take()
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.at_op("!"):
            self.take()
            return ("not", self.parse_not())
        return self.atom(self)

    def parse_group(self) -> Node | None:
        if not self.at_op("("):
            return None
        self.take()
        node = self.parse_or()
        if not self.at_op(")"):
            raise ExpressionError("missing ')'")
        self.take()
        return node


# ---------------------------------------------------------------------------------------------- when


def _literal(token: Token) -> Scalar:
    if token.kind == "str":
        return token.text
    if token.kind != "word":
        raise ExpressionError(f"unexpected {token.text!r}")
    if token.text in ("true", "false"):
        return token.text == "true"
    try:
        return float(token.text)
    except ValueError:
        return token.text


def _when_atom(parser: _Parser) -> Node:
    group = parser.parse_group()
    left: Node = group if group is not None else ("lit", _literal(parser.take()))
    if parser.at_op("==", "!=", "<", ">", "<=", ">="):
        op = parser.take().text
        if parser.at_op("!"):
            parser.take()
            right: Node = ("not", _when_atom(parser))
        else:
            group = parser.parse_group()
            right = group if group is not None else ("lit", _literal(parser.take()))
        return ("cmp", op, left, right)
    return left


def parse_when(text: str) -> Node:
    try:
        return _Parser(tokenize(text), _when_atom).parse()
    except ExpressionError as err:
        raise ExpressionError(f"cannot parse when expression {text!r}: {err}") from None


def _eval_when(node: Node) -> Scalar:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "not":
        return not _as_bool(_eval_when(node[1]))
    if kind in ("and", "or"):
        left = _as_bool(_eval_when(node[1]))
        if kind == "and":
            return left and _as_bool(_eval_when(node[2]))
        return left or _as_bool(_eval_when(node[2]))
    op, left, right = node[1], _eval_when(node[2]), _eval_when(node[3])
    if op in ("==", "!="):
        same = type(left) is type(right) and left == right
        return same if op == "==" else not same
    if isinstance(left, bool) or isinstance(right, bool) or type(left) is not type(right):
        raise ExpressionError(f"cannot order {left!r} {op} {right!r}: both sides must be numbers or both strings")
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]  # type: ignore[operator]


def _as_bool(value: Scalar) -> bool:
    if not isinstance(value, bool):
        raise ExpressionError(f"{value!r} is not a boolean (compare it, e.g. '{value} == YES')")
    return value


def evaluate_when(text: str) -> bool:
    """Evaluate a substituted `when`; raises ExpressionError naming the expression if it is invalid."""
    tree = parse_when(text)
    try:
        return _as_bool(_eval_when(tree))
    except ExpressionError as err:
        raise ExpressionError(f"cannot evaluate when expression {text!r}: {err}") from None


# ------------------------------------------------------------------------------------------- depends

_DEPENDS_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def _depends_atom(parser: _Parser) -> Node:
    group = parser.parse_group()
    if group is not None:
        return group
    token = parser.take()
    if token.kind != "word":
        raise ExpressionError(f"unexpected {token.text!r}")
    task, _, prop = token.text.partition(".")
    if not _DEPENDS_NAME.match(task):
        raise ExpressionError(f"{token.text!r} is not a task name")
    if prop and prop not in RESULTS:
        raise ExpressionError(f"unknown task result {prop!r} in {token.text!r}; use one of {', '.join(RESULTS)}")
    return ("ref", task, prop or None)


@dataclass(frozen=True)
class Depends:
    text: str
    tree: Node

    def tasks(self) -> set[str]:
        return {ref[1] for ref in _refs(self.tree)}

    def failure_handled(self) -> set[str]:
        """Tasks whose failure this expression explicitly handles (`.Failed`, `.Errored`, `.AllFailed`)."""
        return {ref[1] for ref in _refs(self.tree) if ref[2] in FAILURE_RESULTS}

    def evaluate(self, outcome: Callable[[str], tuple[str, list[str]]]) -> bool:
        """`outcome(task)` gives (phase, child phases) of a completed task."""
        return _eval_depends(self.tree, outcome)


def _refs(node: Node) -> list[Node]:
    if node[0] == "ref":
        return [node]
    return [ref for child in node[1:] if isinstance(child, tuple) for ref in _refs(child)]


def _eval_depends(node: Node, outcome: Callable[[str], tuple[str, list[str]]]) -> bool:
    kind = node[0]
    if kind == "lit":
        return bool(node[1])
    if kind == "not":
        return not _eval_depends(node[1], outcome)
    if kind == "and":
        return _eval_depends(node[1], outcome) and _eval_depends(node[2], outcome)
    if kind == "or":
        return _eval_depends(node[1], outcome) or _eval_depends(node[2], outcome)
    phase, children = outcome(node[1])
    prop = node[2]
    if prop is None:
        return phase in ("Succeeded", "Skipped")
    if prop == "Daemoned":
        return False
    if prop == "AnySucceeded":
        return any(p == "Succeeded" for p in (children or [phase]))
    if prop == "AllFailed":
        kids = children or [phase]
        return all(p == "Failed" for p in kids)
    return phase == {"Errored": "Error"}.get(prop, prop)


def parse_depends(text: str) -> Depends:
    try:
        return Depends(text, _Parser(tokenize(text), _depends_atom).parse())
    except ExpressionError as err:
        raise ExpressionError(f"cannot parse depends expression {text!r}: {err}") from None


def depends_from_dependencies(names: Sequence[str]) -> Depends:
    """`dependencies: [a, b]` means every listed task Succeeded (or was Skipped)."""
    text = " && ".join(names)
    return parse_depends(text) if names else Depends("", ("lit", True))
