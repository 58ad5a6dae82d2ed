"""The OpenAPI schema writes down every response: no success answers "some JSON object".

A response documented as a bare object (``OpenApiTypes.OBJECT``, a dict without a serializer)
tells a client nothing, and lets the schema-conformance checks pass whatever the endpoint sends.
Each operation's 2xx JSON response names its fields with a serializer instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

JSON = ("application/json", "application/jsonl")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def bare_parts(node: dict[str, Any], components: dict[str, Any], where: str) -> list[str]:
    """Return where a response schema is an object (or array of objects) with no fields.

    ``$ref`` is followed; ``allOf``/``oneOf``/``anyOf`` count as declared (their parts are
    components, checked on their own); strings, numbers and files are not objects.
    """
    while "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[-1]]
    if any(key in node for key in ("allOf", "oneOf", "anyOf")):
        return []
    kind = node.get("type")
    if kind == "array":
        return bare_parts(node.get("items", {}), components, where + "[]")
    if kind in (None, "object") and not node.get("properties"):
        return [where]
    return []


def bare_success_responses(schema: dict[str, Any]) -> list[str]:
    """Return ``METHOD path status media`` of every 2xx JSON response without fields."""
    components = schema["components"]["schemas"]
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                for media, body in response.get("content", {}).items():
                    if media.split(";")[0] in JSON:
                        where = f"{method.upper()} {path} {status} {media}"
                        found += bare_parts(body.get("schema", {}), components, where)
    return found


def test_the_check_finds_a_bare_object() -> None:
    components = {"Thing": {"type": "object", "properties": {"id": {"type": "integer"}}}}
    assert bare_parts({"type": "object", "additionalProperties": {}}, components, "x") == ["x"]
    assert bare_parts({"type": "array", "items": {}}, components, "y") == ["y[]"]
    assert bare_parts({"$ref": "#/components/schemas/Thing"}, components, "z") == []
    assert bare_parts({"type": "string", "format": "binary"}, components, "f") == []


def test_every_success_response_declares_its_fields(schema: dict[str, Any]) -> None:
    """Every operation's 2xx JSON body is a serializer with named fields (or a list of one)."""
    assert len(schema["paths"]) > 50, "the schema lost most of its paths"
    bare = bare_success_responses(schema)
    assert not bare, "declare these responses with a serializer:\n" + "\n".join(bare)
