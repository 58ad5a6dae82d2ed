"""Every API error is JSON with a "detail" sentence: Django's own answers as well as DRF's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from llmops_core.models import Project
from llmops_core.services.tokens import token_create

pytestmark = pytest.mark.django_db


def detail_of(response: Any, status: int) -> str:
    """Assert the status and a JSON error body; return its "detail"."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict), body
    detail = body.get("detail")
    assert isinstance(detail, str) and detail.strip(), body
    return detail


@pytest.fixture
def lead_client(api: APIClient, lead: Any) -> APIClient:
    _, key = token_create(user=lead, name="errors")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def outputs_url(project: Project) -> str:
    return f"/api/projects/{project.slug}/outputs/"


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/projects/x/y/z/", "/api/v2"])
def test_an_unknown_api_url_is_a_json_404(lead_client: APIClient, path: str) -> None:
    detail = detail_of(lead_client.get(path), 404)
    assert "no API endpoint" in detail


def test_an_unknown_api_url_is_json_without_debug_too(
    lead_client: APIClient, settings: Any
) -> None:
    settings.DEBUG = False
    assert "no API endpoint" in detail_of(lead_client.get("/api/no-such-thing/"), 404)


def test_a_missing_object_is_a_json_404(lead_client: APIClient, project: Project) -> None:
    detail_of(lead_client.get(f"{outputs_url(project)}999999/"), 404)


def test_pages_outside_the_api_keep_their_html_404(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_json_405_with_allow(lead_client: APIClient) -> None:
    response = lead_client.delete("/api/projects/")
    assert "DELETE" in detail_of(response, 405)
    assert "GET" in response["Allow"]


def test_no_credentials_is_a_json_401(api: APIClient, project: Project) -> None:
    assert "credentials" in detail_of(api.get(outputs_url(project)), 401)


def test_a_wrong_token_is_a_json_401(api: APIClient, project: Project) -> None:
    api.credentials(HTTP_AUTHORIZATION="Token fw_not-a-real-key")
    assert "token" in detail_of(api.get(outputs_url(project)), 401).lower()


def test_a_role_too_low_is_a_json_403(
    api_as: Callable[[object], APIClient], project: Project, reviewer: Any
) -> None:
    detail_of(api_as(reviewer).get(outputs_url(project)), 403)


def test_field_errors_keep_their_fields_and_gain_a_detail_naming_them(
    lead_client: APIClient, project: Project
) -> None:
    response = lead_client.post(f"/api/projects/{project.slug}/prompts/", {}, format="json")
    detail = detail_of(response, 400)
    assert 'field "name"' in detail
    assert response.json()["name"] == ["This field is required."]


def test_nested_field_errors_name_the_path(lead_client: APIClient, project: Project) -> None:
    body = {"name": "r", "criteria": [{"name": "ok", "scale_min": 1, "scale_max": 5}, {}]}
    response = lead_client.post(f"/api/projects/{project.slug}/rubrics/", body, format="json")
    assert 'field "criteria.1.name"' in detail_of(response, 400)


def test_malformed_json_is_a_json_400(lead_client: APIClient, project: Project) -> None:
    response = lead_client.generic(
        "POST", f"/api/projects/{project.slug}/prompts/", b'{"name": ', "application/json"
    )
    assert "JSON parse error" in detail_of(response, 400)


def test_json_nested_deeper_than_python_recurses_is_a_400_not_a_500(
    lead_client: APIClient, project: Project
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = lead_client.generic(
        "POST", f"/api/projects/{project.slug}/prompts/", body, "application/json"
    )
    assert "nested too deeply" in detail_of(response, 400)


def test_an_empty_import_body_is_a_json_400(lead_client: APIClient, project: Project) -> None:
    for media in ("application/x-ndjson", "application/json", "text/csv"):
        response = lead_client.generic("POST", outputs_url(project), b"", media)
        assert "body is empty" in detail_of(response, 400)


def test_an_unsupported_content_type_is_a_json_415(
    lead_client: APIClient, project: Project
) -> None:
    response = lead_client.generic("POST", outputs_url(project), b"<rows/>", "application/xml")
    assert "application/xml" in detail_of(response, 415)


def test_a_body_over_the_limit_is_a_json_413_naming_the_limit(
    lead_client: APIClient, project: Project, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = lead_client.generic(
        "POST", outputs_url(project), b'{"x": "' + b"a" * 2000 + b'"}', "application/json"
    )
    detail = detail_of(response, 413)
    assert "1,000 bytes" in detail and "DATA_UPLOAD_MAX_MEMORY_SIZE" in detail


def test_a_chunked_body_is_a_json_411(lead_client: APIClient, project: Project) -> None:
    response = lead_client.generic(
        "POST",
        outputs_url(project),
        b"",
        "application/x-ndjson",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert "Content-Length" in detail_of(response, 411)


@pytest.mark.parametrize("debug", [True, False])
def test_an_uncaught_exception_is_a_json_500(
    lead: Any, project: Project, settings: Any, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("llmops_core.api.views.outputs_filter", explode)
    settings.DEBUG = debug
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user=lead)
    detail = detail_of(client.get(outputs_url(project)), 500)
    assert "boom" not in detail  # the traceback goes to the log, not to the client
