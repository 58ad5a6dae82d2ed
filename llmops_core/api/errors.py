"""One JSON shape for every API error: ``{"detail": "...", ...}``.

Three layers keep to it: the DRF exception handler (errors raised inside API views), the
request-size guard (bodies refused before anyone reads them) and the JSON-errors middleware
(whatever Django itself answers under ``/api/``: unknown URLs, 500 pages, bad requests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from llmops_core.errors import DomainError, NotAllowed

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# The OTLP trace receivers apply their own body limit and answer in OTLP's encodings.
OTLP_PATHS = frozenset({"/v1/traces", "/api/public/otel/v1/traces"})
# Field errors named in the summary "detail"; the per-field lists carry every one.
_MAX_SUMMARISED = 10
_METHODS_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}
# Room for the multipart boundaries and part headers around a file of the largest size.
_MULTIPART_FRAMING = 64 * 1024


DATABASE_UNAVAILABLE = (
    "the database was unavailable, so your request was not saved (nothing "
    "was half-written); send it again in a moment"
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors into 400/403 JSON responses; give every DRF error a "detail"."""
    if isinstance(exc, NotAllowed | DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": str(exc)}
        body.update(exc.extra)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    elif isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError):
        # A dropped connection or a database that is down: the request's transaction is gone
        # with it, so nothing was half-written and the same request can simply be sent again
        # (writes are idempotent by client token or content). Django replaces the connection.
        logger.warning("database unavailable during %s: %s", context.get("request"), exc)
        return Response(
            {"detail": DATABASE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "2"},
        )
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = with_detail(response.data)
    return response


def with_detail(data: Any) -> dict[str, Any]:
    """Return an error body that has a "detail" sentence, keeping any per-field errors.

    DRF answers a serializer's errors as ``{"field": ["reason"]}`` and a bare ValidationError
    as ``["reason"]``; clients should find the message in one place whatever the error.
    """
    if isinstance(data, dict):
        if isinstance(data.get("detail"), str):
            return data
        if "detail" in data:  # ValidationError({"detail": [...]}): a message, not a field
            return {**data, "detail": "; ".join(_messages(data["detail"]))}
        return {"detail": _summary(data), **data}
    return {"detail": "; ".join(_messages(data)) or "invalid request"}


def _summary(errors: dict[str, Any]) -> str:
    """Return 'field "a": reason; field "b.0.c": reason' for a serializer's error dict."""
    parts = []
    for path, message in _flatten(errors, ""):
        parts.append(f'field "{path}": {message}' if path else message)
    shown = parts[:_MAX_SUMMARISED]
    if len(parts) > len(shown):
        shown.append(f"and {len(parts) - len(shown)} more")
    return "; ".join(shown) or "invalid request"


def _flatten(errors: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "" if key in ("non_field_errors", "detail") and not path else str(key)
            yield from _flatten(value, f"{path}.{name}" if path and name else path or name)
    elif isinstance(errors, list):
        nested = any(isinstance(item, dict | list) for item in errors)
        for index, item in enumerate(errors):
            yield from _flatten(item, f"{path}.{index}" if nested and path else path)
    elif str(errors):
        yield path, str(errors)


def _messages(data: Any) -> list[str]:
    return [message for _, message in _flatten(data, "")]


def error_response(status_code: int, detail: str, **extra: Any) -> JsonResponse:
    """Return a JSON error response in the API's shape."""
    return JsonResponse({"detail": detail, **extra}, status=status_code)


class RequestSizeLimitMiddleware:
    """Refuse request bodies over the limit from their Content-Length, before reading a byte.

    Multipart uploads may be as large as an import file (``IMPORT_MAX_UPLOAD_BYTES``); any
    other body is read into memory by its parser and may be at most
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``. A chunked body without a Content-Length is refused
    too: Django's WSGI request reads exactly Content-Length bytes, so such a body would
    silently arrive empty.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = None if request.path in OTLP_PATHS else self.refusal(request)
        if refusal is not None:
            status_code, detail = refusal
            if request.path.startswith(API_PREFIX):
                return error_response(status_code, detail)
            return HttpResponse(detail, status=status_code, content_type="text/plain")
        return self.get_response(request)

    @staticmethod
    def refusal(request: HttpRequest) -> tuple[int, str] | None:
        """Return (status, message) when the body must be refused, else None."""
        meta = request.META
        declared = meta.get("CONTENT_LENGTH") or ""
        if not declared:
            chunked = "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
            if chunked and request.method in _METHODS_WITH_BODY:
                return 411, "chunked request bodies are not accepted; send a Content-Length"
            return None
        try:
            length = int(declared)
        except ValueError:
            return 400, f"Content-Length {declared[:40]!r} is not a number of bytes"
        if length < 0:
            return 400, f"Content-Length {length} is negative"
        if meta.get("CONTENT_TYPE", "").lower().startswith("multipart/"):
            limit, name = settings.IMPORT_MAX_UPLOAD_BYTES, "IMPORT_MAX_UPLOAD_BYTES"
            if length > limit + _MULTIPART_FRAMING:
                return 413, (
                    f"the upload is {length:,} bytes; the limit is {limit:,} bytes ({name})"
                )
            return None
        limit, name = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "DATA_UPLOAD_MAX_MEMORY_SIZE"
        if length > limit:
            return 413, (
                f"the request body is {length:,} bytes; the limit is {limit:,} bytes ({name}); "
                "send a large file as a multipart upload to the project's imports endpoint"
            )
        return None


_DEFAULT_DETAILS = {
    400: "bad request",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    413: "request body too large",
    500: "internal server error; it has been logged",
}


class ApiJsonErrorsMiddleware:
    """Answer JSON, never an HTML page, for error responses under ``/api/``.

    DRF views already do; this covers what Django answers around them: a URL that matches
    no endpoint, an uncaught exception's 500 page, a request Django itself refuses.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or request.path in OTLP_PATHS
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        code = response.status_code
        if code == 404 and not _resolves(request.path_info):
            detail = f"no API endpoint at {request.path}; the endpoints are listed at /api/schema/"
        else:
            detail = _DEFAULT_DETAILS.get(code, response.reason_phrase.lower())
        replacement = error_response(code, detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                replacement[header] = response[header]
        return replacement


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True
