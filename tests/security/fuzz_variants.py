"""Variants of a request that succeeded, each with one value pushed to where a database refuses.

SQLite stores what PostgreSQL refuses (NUL in text, 40,000 in a smallint) and random
generation rarely produces it in the few examples a suite can afford, so the API fuzzing takes
one request per operation that succeeded and sends it again once per field: a NUL in a text
field (or in a free-form object, a list of text, a query parameter), an integer just past the
smallint and the integer ranges, and keyset cursors around positions that are not ids. Fields
of nested objects and of the first object of a list are pushed too, one level down.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

NUL_TEXT = "a\x00b"
PAST_RANGES = (2**15, 2**31)  # one past smallint, one past integer


def cursor(query: str) -> str:
    """Return a keyset cursor as DRF encodes one: base64 of its query string."""
    return base64.b64encode(query.encode()).decode()


CRAFTED_CURSORS = (cursor("p=abc"), cursor("p=1.5&r=1"), cursor("p=%00&o=2"))


@dataclass(frozen=True)
class Variant:
    """A request part (``body`` or ``query``) replaced whole, and which field was pushed."""

    part: str
    value: Any
    field: str
    # The value is outside the field's documented bounds: anything but a 4xx accepted it.
    must_refuse: bool = False


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref`` (and a one-item ``allOf``) to the schema they name."""
    for _ in range(10):
        if "$ref" in schema:
            node: Any = root
            for key in schema["$ref"].lstrip("#/").split("/"):
                node = node[key]
            schema = node
        elif len(schema.get("allOf", [])) == 1:
            schema = schema["allOf"][0]
        else:
            break
    return schema


def body_variants(
    body: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], depth: int = 0
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Yield (field path, body, must refuse) with one field of ``body`` pushed."""
    properties = _resolve(schema, root).get("properties", {})
    for name, raw in sorted(properties.items()):
        prop = _resolve(raw, root)
        if prop.get("readOnly") or "enum" in prop or "format" in prop:
            continue
        kind = prop.get("type")
        current = body.get(name)
        if kind == "string":
            yield name, {**body, name: NUL_TEXT}, False
        elif kind == "integer":
            highest = prop.get("maximum")
            for value in PAST_RANGES:
                yield name, {**body, name: value}, highest is not None and value > highest
        elif kind == "object" and "properties" in prop:
            if depth == 0 and isinstance(current, dict):
                for path, inner, refuse in body_variants(current, prop, root, depth + 1):
                    yield f"{name}.{path}", {**body, name: inner}, refuse
        elif kind == "object":
            yield name, {**body, name: {"k": NUL_TEXT}}, False
        elif kind == "array":
            items = _resolve(prop.get("items", {}), root)
            if items.get("type") == "string" and "enum" not in items:
                yield name, {**body, name: [NUL_TEXT]}, False
            elif depth == 0 and isinstance(current, list) and current:
                first = current[0]
                if isinstance(first, dict):
                    for path, inner, refuse in body_variants(first, items, root, depth + 1):
                        yield f"{name}.0.{path}", {**body, name: [inner, *current[1:]]}, refuse


def variants(case: Any, operation: Any) -> Iterator[Variant]:
    """Yield the variants of a case that succeeded: its body's, then its query's."""
    if isinstance(case.body, dict):
        for body in operation.body:
            if body.media_type == "application/json":
                schema = body.definition["schema"]  # self-contained: its refs point inside it
                for path, value, refuse in body_variants(case.body, schema, schema):
                    yield Variant("body", value, path, refuse)
                break
    query = dict(case.query or {})
    for parameter in operation.query:
        schema = parameter.definition.get("schema", {})
        if schema.get("format") == "keyset-cursor":
            for value in CRAFTED_CURSORS:
                yield Variant("query", {**query, parameter.name: value}, parameter.name)
        elif schema.get("type") == "string" and "enum" not in schema:
            yield Variant("query", {**query, parameter.name: NUL_TEXT}, parameter.name)
