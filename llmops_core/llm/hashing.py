"""Request hashing for the call cache: identical requests hash alike and are paid once."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

HASH_SCHEME = "llm-request-v1"


# Where a value sits, as (parent, key, is an index) links from the root: the path text is
# built only for an error, since hashing every request would otherwise format one per node.
Where = tuple[Any, ...]


def _path(where: Where) -> str:
    """Return ``where`` as text: ``value.messages[0].content``."""
    parts: list[str] = []
    while len(where) == 3:
        where, key, index = where
        parts.append(f"[{key}]" if index else f".{key}")
    return "".join([str(where[0]), *reversed(parts)])


def _normalise(value: Any, where: Where) -> Any:
    """Return ``value`` as plain JSON data; ``1.0`` becomes ``1`` so equal numbers hash alike."""
    kind = type(value)  # exact types first: a request is plain dicts, lists and strings
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        return {str(key): _normalise(item, (where, key, False)) for key, item in value.items()}
    if kind is list or (
        isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)
    ):
        return [_normalise(item, (where, index, True)) for index, item in enumerate(value)]
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{_path(where)}: {value} cannot be hashed")
        return int(value) if value.is_integer() else value
    raise TypeError(f"{_path(where)}: a {type(value).__name__} cannot be hashed")


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of ``value``: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(
        _normalise(value, ("value",)),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def request_hash(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Return the sha256 hex digest identifying a chat completion request.

    ``extra`` carries whatever else makes two requests different for the caller even when
    the wire request is the same, e.g. the judge version, the endpoint or a parser version.
    Key order, tuples versus lists and ``0`` versus ``0.0`` do not change the hash.
    """
    payload = {
        "scheme": HASH_SCHEME,
        "model": model,
        "messages": messages,
        "params": params,
        "extra": extra or {},
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
