"""OTLP/HTTP trace receiver: ``POST /v1/traces`` and ``/api/public/otel/v1/traces``.

Not a DRF view: the body is protobuf or JSON, the answer is an ``ExportTraceServiceResponse``
(or a ``google.rpc.Status`` for an error) in the request's own encoding, and credentials are a
project's ingest key (``Authorization: Bearer <secret>`` or ``Basic base64(public:secret)``),
never a session, so there is no CSRF to check. Status codes follow the OTLP/HTTP specification:
400 bad data, 401 missing or wrong key, 411 no length, 413 too large, 415 not an OTLP
encoding, 503 with ``Retry-After`` when workers are behind (clients retry 429, 502, 503, 504).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

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


@csrf_exempt
def otlp_traces(request: HttpRequest) -> HttpResponse:
    """Take an OTLP trace export for the project of the request's ingest key."""
    from llmops_core.io.otlp.decode import JSON, OtlpError, encode_response, encoding_of
    from llmops_core.services.traces import span_batch_receive
    from llmops_core.services.traces.receive import Overloaded

    content_type = request.META.get("CONTENT_TYPE", "")
    encoding = encoding_of(content_type) or JSON  # errors about the type itself: readable JSON
    if request.method != "POST":
        response = _error(encoding, 405, "send traces with POST")
        response["Allow"] = "POST"
        return response
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
