"""The expression grammar of `when` (govaluate subset) and `depends` (see `depends.py`): tokens, a parser, `when`.

Both parse to a tree of tuples, then evaluate. `when` is evaluated after `{{...}}` substitution. Supported:
`==`, `!=`, `<`, `>`, `<=`, `>=`, `&&`, `||`, `!`, parentheses, single- or double-quoted strings, `true`/`false`,
numbers; any other bare word is a string. The parser takes the grammar's atom as a function, so `depends`
reuses the same `&&`/`||`/`!`/parentheses logic over task references.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from workflows.argo.errors import ExpressionError

Scalar = bool | float | str
# Ordering operators; `_eval_when` checks first that both sides are numbers or both are strings.
_ORDERINGS: dict[str, Callable[[float | str, float | str], object]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}
Node = tuple  # ("or"|"and", l, r) | ("not", x) | ("cmp", op, l, r) | ("lit", v) | ("ref", task, prop | None)

_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")")
_WORD_STOP = set(" \t\r\n()!=<>&|'\"")


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


class Parser:
    """Precedence climbing over `||`, `&&`, `!`; `atom(parser)` parses the grammar's operand (may call parse_group)."""

    def __init__(self, tokens: Sequence[Token], atom: Callable[[Parser], Node]) -> None:
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
        extra = self.peek()
        if extra is not None:
            raise ExpressionError(f"unexpected {extra.text!r}")
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


def _when_atom(parser: Parser) -> Node:
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
        return Parser(tokenize(text), _when_atom).parse()
    except ExpressionError as err:
        raise ExpressionError(f"cannot parse when expression {text!r}: {err}") from None


def _eval_when(node: Node) -> Scalar:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "not":
        return not _as_bool(_eval_when(node[1]))
    if kind in ("and", "or"):
        first = _as_bool(_eval_when(node[1]))
        if kind == "and":
            return first and _as_bool(_eval_when(node[2]))
        return first or _as_bool(_eval_when(node[2]))
    op, left, right = node[1], _eval_when(node[2]), _eval_when(node[3])
    if op in ("==", "!="):
        same = type(left) is type(right) and left == right
        return same if op == "==" else not same
    if isinstance(left, bool) or isinstance(right, bool) or type(left) is not type(right):
        raise ExpressionError(f"cannot order {left!r} {op} {right!r}: both sides must be numbers or both strings")
    return bool(_ORDERINGS[op](left, right))


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
