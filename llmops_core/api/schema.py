"""OpenAPI schema: the token and ingest key schemes (loaded from the app config's ``ready``),
error responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "llmops_core.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'API token: "Token <key>" (create one at /api/tokens/).',
        }


class IngestKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "llmops_core.api.authentication.IngestKeyAuthentication"
    name = "ingestKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": "A project's ingest key pair: the public key as user name, the "
            "secret key as password (what the Langfuse SDK sends).",
        }


class ApiErrorSerializer(serializers.Serializer[Any]):
    """The body of every API error (field errors add one key per field)."""

    detail = serializers.CharField(
        help_text='What went wrong, in words; errors in fields name them: field "name": reason.'
    )


_ERROR_DESCRIPTIONS = {
    "400": "The request is invalid; detail says what and where.",
    "401": "No credentials, or a wrong or revoked token.",
    "403": "Your role in the project does not allow this.",
    "404": "No such object (or not in a project of yours), or no such page of results.",
    "411": "A body sent chunked, without a Content-Length.",
    "413": "The body is over the size limit; detail gives the limit.",
    "415": "The body's Content-Type is not one this endpoint reads.",
    "429": "Too many attempts; retry after the time in Retry-After.",
    "503": "The database was unavailable; nothing was saved. Send the same request again.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error responses each operation can give.

    Every error body is ``{"detail": "..."}`` (see llmops_core.api.errors), so clients and
    schema-driven tests can rely on the documented status codes and shape; endpoints that
    answer errors in another shape name its serializer in ``error_serializer``.
    """

    error_serializer: type[serializers.Serializer[Any]] = ApiErrorSerializer
    error_descriptions: dict[str, str] = _ERROR_DESCRIPTIONS

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(self.error_serializer, code, None, direction)
                response["description"] = self.error_descriptions[code]
                responses[code] = response
        return responses

    def _error_codes(self) -> list[str]:
        codes = ["401", "403"]
        has_body = self.method in ("POST", "PUT", "PATCH")
        has_query = self.method == "GET" and bool(self._get_parameters())
        if has_body or has_query or self.method == "DELETE":
            codes.append("400")
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):
            codes.append("404")
        if has_body:
            codes += ["411", "413", "415", "503"]
        if getattr(self.view, "throttle_classes", None):
            codes.append("429")
        return sorted(codes)
