"""OTLP/HTTP trace receiver: ``POST /v1/traces`` and ``/api/public/otel/v1/traces``.

A DRF view only so that the OpenAPI schema describes it (and the API fuzzing sends it
requests): it reads the raw body itself (protobuf or JSON), answers an
``ExportTraceServiceResponse`` (or a ``google.rpc.Status`` for an error) in the request's own
encoding, and takes a project's ingest key (``Authorization: Bearer <secret>`` or
``Basic base64(public:secret)``), never a session or an API token, so there is no CSRF.
Status codes follow the OTLP/HTTP specification: 400 bad data, 401 missing or wrong key, 411
no length, 413 too large, 415 not an OTLP encoding, 503 with ``Retry-After`` when workers are
behind (clients retry 429, 502, 503, 504).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from llmops_core.services.ingest_keys import ingest_key_authenticate

logger = logging.getLogger(__name__)
# google.rpc.Code values for the Status body of each HTTP status.
_RPC_CODES = {400: 3, 401: 16, 403: 7, 411: 3, 413: 8, 415: 3, 429: 8, 503: 14}


def _answer(
    encoding: str, status: int, body: bytes, headers: dict[str, str] | None = None
) -> HttpResponse:
    from llmops_core.io.otlp.decode import CONTENT_TYPES

    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[encoding])
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _error(encoding: str, status: int, message: str, **headers: str) -> HttpResponse:
    from llmops_core.io.otlp.decode import encode_status

    body = encode_status(encoding=encoding, code=_RPC_CODES.get(status, 2), message=message)
    return _answer(encoding, status, body, headers)


def otlp_traces(request: HttpRequest) -> HttpResponse:
    """Take an OTLP trace export for the project of the request's ingest key."""
    from llmops_core.io.otlp.decode import JSON, OtlpError, encode_response, encoding_of
    from llmops_core.services.traces import span_batch_receive
    from llmops_core.services.traces.receive import Overloaded

    content_type = request.META.get("CONTENT_TYPE", "")
    encoding = encoding_of(content_type) or JSON  # errors about the type itself: readable JSON
    key = ingest_key_authenticate(request.META.get("HTTP_AUTHORIZATION", ""))
    if key is None:
        return _error(
            encoding,
            401,
            "send a project's ingest key: Authorization: Bearer <secret key>, or Basic "
            "with the public and secret key",
            **{"WWW-Authenticate": 'Bearer realm="traces", Basic realm="traces"'},
        )
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or (
        declared == "0" and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        # Django reads exactly Content-Length bytes: a chunked body would arrive empty.
        return _error(encoding, 411, "send the body with a Content-Length")
    if int(declared) > settings.OTLP_MAX_BODY_BYTES:
        return _error(
            encoding,
            413,
            f"the request body is {int(declared):,} bytes; the limit is "
            f"{settings.OTLP_MAX_BODY_BYTES:,} bytes (OTLP_MAX_BODY_BYTES); export smaller batches",
        )
    try:
        receipt = span_batch_receive(
            key=key,
            body=request.read(),
            content_type=content_type,
            content_encoding=request.META.get("HTTP_CONTENT_ENCODING", ""),
        )
    except Overloaded as exc:
        return _error(encoding, 503, exc.message, **{"Retry-After": str(exc.retry_after)})
    except OtlpError as exc:
        return _error(encoding, exc.status, exc.message)
    except (OperationalError, InterfaceError) as exc:
        logger.warning("traces not stored, database unavailable: %s", exc)
        return _error(
            encoding,
            503,
            "the database is unavailable; nothing was stored, send the batch again",
            **{"Retry-After": str(settings.OTLP_RETRY_AFTER_SECONDS)},
        )
    body = encode_response(
        encoding=receipt.encoding, rejected=receipt.rejected, message=receipt.message
    )
    return _answer(receipt.encoding, 200, body)


class OtlpStatusSerializer(serializers.Serializer[Any]):
    """``google.rpc.Status`` in OTLP/JSON: the body of every error of the OTLP receiver."""

    code = serializers.IntegerField(required=False, help_text="A google.rpc.Code.")
    message = serializers.CharField(help_text="What went wrong, in words.")


class OtlpPartialSuccessSerializer(serializers.Serializer[Any]):
    # OTLP/JSON's own lowerCamelCase names.
    rejectedSpans = serializers.CharField(
        required=False, help_text="Spans refused (an int64, as a string)."
    )
    errorMessage = serializers.CharField(required=False)


class OtlpExportResponseSerializer(serializers.Serializer[Any]):
    """``ExportTraceServiceResponse`` in OTLP/JSON."""

    partialSuccess = OtlpPartialSuccessSerializer(required=False)


_OTLP_JSON_REQUEST = {
    "type": "object",
    "description": "ExportTraceServiceRequest in OTLP/JSON (hex ids, lowerCamelCase).",
    "properties": {"resourceSpans": {"type": "array", "items": {"type": "object"}}},
}


def _both(json_body: Any, description: str) -> dict[str, OpenApiResponse]:
    return {
        "application/json": OpenApiResponse(json_body, description=description),
        "application/x-protobuf": OpenApiResponse(OpenApiTypes.BINARY, description=description),
    }


_RESPONSES: dict[Any, Any] = {}
for _code, _words in [
    (200, "Taken; partialSuccess counts the spans refused and says why."),
    (400, "Not an OTLP export request, or every span refused."),
    (401, "No ingest key, or a wrong or revoked one."),
    (411, "A chunked body without a Content-Length."),
    (413, "The body, or what it inflates to, is over the limit."),
    (415, "Not an OTLP encoding (answered in JSON)."),
    (503, "Workers are behind or the database is down; retry after Retry-After."),
]:
    _body = OtlpExportResponseSerializer if _code == 200 else OtlpStatusSerializer
    for _media, _response in _both(_body, _words).items():
        _RESPONSES[(_code, _media)] = _response


class OtlpTracesApi(APIView):
    """Take an OTLP/HTTP trace export (protobuf or JSON, gzip allowed) with an ingest key."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The answer's encoding follows the request's Content-Type, whatever Accept says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        request={
            "application/x-protobuf": OpenApiTypes.BINARY,
            "application/json": _OTLP_JSON_REQUEST,
        },
        responses=_RESPONSES,
        auth=[],
    )
    def post(self, request: Request) -> HttpResponse:
        return otlp_traces(request._request)
