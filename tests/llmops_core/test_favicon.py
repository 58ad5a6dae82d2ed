"""The favicon: linked from every page and served at ``/favicon.ico``, so no console 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(settings: Any) -> Client:
    """Return a client whose WhiteNoise serves from the static folders, as ``runserver`` does
    (the test runner turns DEBUG off, and nothing is collected)."""
    settings.WHITENOISE_USE_FINDERS = True
    return Client()


def _body(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_page_links_an_icon_that_is_served(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    found = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert found, "base.html links no icon"
    assert _body(client, found.group(1)).startswith(b"<svg")


def test_favicon_ico_redirects_to_the_icon_without_login(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert _body(client, response["Location"]).startswith(b"<svg")
