"""Request hashing for the call cache: identical requests hash alike and are paid once."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

HASH_SCHEME = "llm-request-v1"


def _normalise(value: Any, path: str) -> Any:
    """Return ``value`` as plain JSON data; ``1.0`` becomes ``1`` so equal numbers hash alike."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} cannot be hashed")
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(key): _normalise(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_normalise(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{path}: a {type(value).__name__} cannot be hashed")


def canonical_json(value: Any) -> str:
    """Return the canonical JSON text of ``value``: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(
        _normalise(value, "value"),
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
