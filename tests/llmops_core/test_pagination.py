"""Keyset pages: a cursor a client crafted or broke gets a 400 saying so, never a 500."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.pagination import CursorPagination
from rest_framework.test import APIClient

from llmops_core.api.pagination import KeysetPagination
from llmops_core.models import Project
from tests.factories import ModelOutputFactory

pytestmark = pytest.mark.django_db


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


def api_views(patterns: list[Any] | None = None) -> Iterator[tuple[str, Any]]:
    """Yield (route, view class) for every class-based view in the URL conf."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from api_views(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "cls", None) or getattr(
                entry.callback, "view_class", None
            )
            if view_class is not None:
                yield str(entry.pattern), view_class


def test_every_cursor_paginated_endpoint_uses_the_checked_keyset_pagination() -> None:
    keyset = {
        route: view.pagination_class
        for route, view in api_views()
        if isinstance(getattr(view, "pagination_class", None), type)
        and issubclass(view.pagination_class, CursorPagination)
    }
    assert len(keyset) >= 7, sorted(keyset)
    unchecked = sorted(r for r, cls in keyset.items() if not issubclass(cls, KeysetPagination))
    assert not unchecked, f"cursor pagination without the cursor checks: {unchecked}"


@pytest.fixture
def outputs_url(project: Project) -> str:
    for n in range(5):
        ModelOutputFactory(project=project, external_id=f"o{n}")
    return reverse("api-outputs", kwargs={"project_slug": project.slug})


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (cursor("p=abc"), "position"),
        (cursor("p=1.5&r=0"), "position"),
        (cursor("p=%00"), "position"),
        (cursor("o=-1"), "not a cursor"),
        (cursor("r=x"), "not a cursor"),
        ("not-base64!", "not a cursor"),
        (base64.b64encode(b"\xff\xfe").decode(), "not a cursor"),
    ],
)
def test_a_crafted_cursor_is_a_400_naming_the_cursor(
    api: APIClient, lead: Any, outputs_url: str, value: str, reason: str
) -> None:
    api.force_authenticate(lead)
    response = api.get(outputs_url, {"cursor": value})
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert 'query parameter "cursor"' in detail and reason in detail, detail


def test_the_cursors_the_api_gives_out_still_page_through_everything(
    api: APIClient, lead: Any, outputs_url: str
) -> None:
    api.force_authenticate(lead)
    seen: list[str] = []
    url: str | None = outputs_url + "?page_size=2"
    while url:
        page = api.get(url).json()
        seen += [row["external_id"] for row in page["results"]]
        url = page["next"]
    assert seen == [f"o{n}" for n in range(5)]
    far = api.get(outputs_url, {"cursor": cursor("p=999999999999999999999999")})
    assert far.status_code == 200 and far.json()["results"] == []


def test_the_schema_describes_the_cursor_parameter(api: APIClient) -> None:
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/projects/{project_slug}/outputs/"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "cursor")
    assert parameter["schema"] == {"type": "string", "format": "keyset-cursor"}
    assert "next" in parameter["description"]


@pytest.mark.parametrize("size", ["abc", "0", "-3", "2.5", "\uff11"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400(
    api: APIClient, lead: Any, outputs_url: str, size: str
) -> None:
    api.force_authenticate(lead)
    response = api.get(outputs_url, {"page_size": size})
    assert response.status_code == 400, response.content
    assert 'query parameter "page_size"' in response.json()["detail"]


def test_a_page_size_over_the_maximum_is_capped(
    api: APIClient, lead: Any, outputs_url: str
) -> None:
    api.force_authenticate(lead)
    assert len(api.get(outputs_url, {"page_size": 10**9}).json()["results"]) == 5
    assert len(api.get(outputs_url, {"page_size": 2}).json()["results"]) == 2
