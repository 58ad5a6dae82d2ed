"""Strict JSON parsing and checks on untrusted JSON values, shared by the import readers."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any, Final

# PostgreSQL rejects NUL in text and jsonb, and lone surrogates cannot be encoded as UTF-8,
# so both are refused at the door rather than failing later inside a transaction.
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
_SHOW_CHARS: Final = 40
_FLAT: Final = frozenset({str, int, bool, type(None)})


class JsonError(ValueError):
    """A JSON text that cannot be accepted; the message is ready for a row error."""


def _reject_constant(name: str) -> Any:
    raise JsonError(f"{name} is not allowed")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonError(f"duplicate key {show(key)}")
            seen.add(key)
    return result


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_reject_constant)


def loads(text: str, *, max_depth: int) -> Any:
    """Parse JSON text, refusing NaN/Infinity, duplicate keys and runaway nesting.

    Raise JsonError with a short reason. Nesting up to the interpreter's recursion limit is
    parsed and left to check_value; deeper nesting is caught here without a crash.
    """
    try:
        return _DECODER.decode(text)
    except JsonError:
        raise
    except json.JSONDecodeError as exc:
        raise JsonError(f"{exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise JsonError(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer with more digits than int() accepts
        raise JsonError(str(exc).split(":")[0]) from None


def raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """Decode one JSON value starting at pos with the strict decoder; return it and its end."""
    return _DECODER.raw_decode(text, pos)


def show(value: object) -> str:
    """Render a value briefly for an error message: strings quoted and cut, containers named."""
    if isinstance(value, str):
        if len(value) > _SHOW_CHARS:
            value = value[:_SHOW_CHARS] + "…"
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        text = str(value)
        return text if len(text) <= _SHOW_CHARS else text[:_SHOW_CHARS] + "…"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def text_problem(text: str) -> str | None:
    """Return why a string cannot be stored (NUL or lone surrogate), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains an unpaired surrogate (not valid Unicode)"


def unstorable_text(value: object) -> tuple[str, str] | None:
    """Return (field path, reason) of a string or key in a JSON value that cannot be stored.

    The path joins keys and list indexes with dots (``inputs.1.question``), as API errors name
    fields; a bad key is reported at the object holding it. Return None if every string is
    storable. Walks iteratively, so untrusted depth cannot exhaust the stack.
    """
    stack: list[tuple[object, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return path, problem
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    return path, f"has a key {show(key)} that {problem}"
                stack.append((child, f"{path}.{key}" if path else str(key)))
        elif isinstance(item, list | tuple):
            stack.extend(
                (child, f"{path}.{index}" if path else str(index))
                for index, child in enumerate(item)
            )
    return None


def value_problem(value: object, *, max_depth: int, from_text: bool = False) -> str | None:
    """Return why a parsed JSON value cannot be stored, or None if it can.

    Walk iteratively (never recursing on untrusted depth): containers may nest at most
    max_depth levels, strings must be storable, numbers finite, keys strings. from_text
    says the value was parsed from JSON text without \\u escapes, so keys are strings and no
    string can hold NUL or a surrogate: a flat object of such scalars needs no walk.
    """
    if from_text and type(value) is dict and all(type(v) in _FLAT for v in value.values()):
        return None
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return problem
        elif isinstance(item, dict | list):
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        return f"has a key that is not a string ({show(key)})"
                    stack.append((key, depth))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "contains a number that is not finite"
        elif not isinstance(item, int | None):
            return f"contains a {type(item).__name__}, which is not a JSON value"
    return None
