"""How an error message names a field: its dotted path from the document's root, `bills.0.bill_id`.

A key that is not a plain word (letters, digits, `_`, `-`) is written as a Python string literal,
`tools.0.parameters.'max size'`, so that a key holding a line break, a colon or a dot can neither
break the message's `file:line: field: problem` lines nor pass for a path. A problem's own text, which may
quote a value (`Input tag '...'`), is kept on its line by `one_line`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_PLAIN = re.compile(r"[\w-]+")


def dotted(loc: Iterable[object], whole: str = "(root)") -> str:
    """The dotted path of a location (keys and list indexes); `whole` for the empty location."""
    return ".".join(str(part) if _PLAIN.fullmatch(str(part)) else repr(part) for part in loc) or whole


def one_line(message: str) -> str:
    """`message` with its line breaks written as `\\n` (and `\\r`): a quoted value cannot split a problem's line."""
    return message.replace("\r", "\\r").replace("\n", "\\n")
