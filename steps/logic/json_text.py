"""JSON text from outside (dataset rows, fields that hold JSON, model answers), parsed so that every way it
fails is a ValueError: `json.JSONDecodeError` for bad syntax, a plain ValueError for the two limits of
Python's decoder that would otherwise escape as something else or with advice meant for programmers:
an integer of more than 4300 digits (`sys.get_int_max_str_digits()`) and nesting deeper than the
decoder's recursion (RecursionError).

JSON may also escape half of a UTF-16 surrogate pair alone (`"\\ud800"`): it decodes to a string that is
not Unicode text, which no UTF-8 file, hash or tokenizer takes; `lone_surrogate` finds such a string.
"""

from __future__ import annotations

import json
import re
from typing import Any

_DECODER = json.JSONDecoder()
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # in JSON text: an escape that may decode to a surrogate
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_PROBLEM = "a \\u escape of half a UTF-16 surrogate pair (\\ud800-\\udfff) alone, which is no character"


def _limit(error: ValueError | RecursionError) -> ValueError:
    if isinstance(error, RecursionError):
        return ValueError("nested too deeply to read (more levels than the JSON decoder's recursion allows)")
    return ValueError(str(error).split(";", 1)[0])  # "Exceeds the limit (4300 digits) ...", without the advice


def parse_json(text: str | bytes) -> Any:
    """`json.loads(text)`; ValueError (json.JSONDecodeError for bad syntax) when it is not JSON it can read."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:
        raise _limit(error) from None


def decode_prefix(text: str, at: int = 0) -> tuple[Any, int]:
    """The JSON value that starts at `text[at]` and where it ends (`json.JSONDecoder.raw_decode`); ValueError
    as `parse_json`."""
    try:
        return _DECODER.raw_decode(text, at)
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as error:
        raise _limit(error) from None


def lone_surrogate(text: str, value: Any) -> tuple[str | int, ...] | None:
    """Where the JSON value parsed from `text` holds a lone surrogate (the keys and indexes to the string, or
    to the key, that holds one); None when it holds none."""
    if not _SURROGATE_ESCAPE.search(text):
        return None  # without such an escape every string is valid (a raw surrogate is no UTF-8 text)
    return _surrogate_at(value, ())


def _surrogate_at(value: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    if isinstance(value, str):
        return loc if _SURROGATE.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and _SURROGATE.search(key):
            return (*loc, key)
        found = _surrogate_at(item, (*loc, key))
        if found is not None:
            return found
    return None
