"""Decode an OTLP/HTTP trace export request and encode the answers, in either OTLP encoding.

Protobuf bodies are parsed by the generated classes of ``opentelemetry-proto``. JSON bodies
follow the OTLP/JSON mapping (opentelemetry-proto's ``docs/specification.md``, "JSON Protobuf
Encoding"): lowerCamelCase keys (protobuf's JSON mapping also accepts the original names),
enums as integers, 64-bit integers as strings, and, unlike protobuf's own JSON mapping, trace
and span ids as hex strings, which are turned into base64 before ``json_format`` reads them.
Unknown fields are ignored, as the specification asks of receivers. A gzip body is inflated
up to a limit, so a small bomb cannot take the memory of the process.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "protobuf"
JSON = "json"
CONTENT_TYPES = {PROTOBUF: "application/x-protobuf", JSON: "application/json"}
# Hex ids and their length in characters: traceId 16 bytes, spanId 8 bytes.
_ID_FIELDS = {"traceId": 32, "spanId": 16, "parentSpanId": 16, "trace_id": 32, "span_id": 16}
_ID_FIELDS["parent_span_id"] = 16


@dataclass
class OtlpError(Exception):
    """A request the receiver refuses: the HTTP status and a message saying what and where."""

    status: int
    message: str

    def __str__(self) -> str:
        return self.message


def encoding_of(content_type: str) -> str | None:
    """Return ``"protobuf"`` or ``"json"`` for a Content-Type header, None for anything else."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media in {"application/x-protobuf", "application/protobuf"}:
        return PROTOBUF
    if media == "application/json":
        return JSON
    return None


def inflate(body: bytes, *, content_encoding: str, limit: int) -> bytes:
    """Return the body decompressed per ``Content-Encoding`` (identity or gzip), at most ``limit``.

    Raises ``OtlpError`` 413 when it inflates past the limit, 400 when it is not valid gzip,
    415 for an encoding other than gzip.
    """
    coding = content_encoding.strip().lower()
    if coding in {"", "identity"}:
        if len(body) > limit:
            raise OtlpError(413, f"the request body is {len(body):,} bytes; the limit is {limit:,}")
        return body
    if coding not in {"gzip", "x-gzip"}:
        raise OtlpError(415, f'Content-Encoding "{coding[:40]}" is not supported; send gzip')
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise OtlpError(400, f"the gzip body is corrupt: {exc}") from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise OtlpError(
            413, f"the gzip body inflates to more than {limit:,} bytes (the inflated-size limit)"
        )
    if not inflater.eof:
        raise OtlpError(400, "the gzip body is truncated")
    return data


def decode_request(data: bytes, *, encoding: str) -> ExportTraceServiceRequest:
    """Parse an (inflated) export request body; raise ``OtlpError`` 400 naming what is wrong."""
    request = ExportTraceServiceRequest()
    if encoding == PROTOBUF:
        try:
            request.ParseFromString(data)
        except (DecodeError, RecursionError) as exc:
            raise OtlpError(
                400, f"the body is not an OTLP ExportTraceServiceRequest: {exc}"
            ) from None
        return request
    try:
        parsed = _loads(data)
    except ValueError as exc:
        raise OtlpError(400, f"the body is not JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise OtlpError(400, "the body must be a JSON object with a resourceSpans list")
    try:
        json_format.ParseDict(_hex_ids_to_base64(parsed), request, ignore_unknown_fields=True)
    except (json_format.ParseError, RecursionError, TypeError, ValueError) as exc:
        raise OtlpError(400, f"the JSON body is not an OTLP export request: {exc}") from None
    return request


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _hex_ids_to_base64(node: Any, depth: int = 0) -> Any:
    """Rewrite hex trace and span ids (OTLP/JSON) to base64 (protobuf's JSON mapping), in place.

    Ids that are not hex of the right length are left for ``json_format`` to read as base64
    (some early exporters sent that); a wrong length is then caught by the span checks.
    """
    if depth > 64:
        raise OtlpError(400, "the JSON body is nested more than 64 levels deep")
    if isinstance(node, dict):
        for key, value in node.items():
            size = _ID_FIELDS.get(key)
            if size is not None and isinstance(value, str) and len(value) == size:
                with contextlib.suppress(ValueError):
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
            elif isinstance(value, dict | list):
                _hex_ids_to_base64(value, depth + 1)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                _hex_ids_to_base64(item, depth + 1)
    return node


def encode_response(*, encoding: str, rejected: int = 0, message: str = "") -> bytes:
    """Return an ``ExportTraceServiceResponse``, with ``partial_success`` if spans were refused."""
    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if encoding == PROTOBUF:
        return response.SerializeToString()
    return json_format.MessageToJson(response, indent=None).encode()


def encode_status(*, encoding: str, code: int, message: str) -> bytes:
    """Return the ``google.rpc.Status`` body OTLP/HTTP sends with every 4xx and 5xx."""
    status = status_pb2.Status(code=code, message=message)
    if encoding == PROTOBUF:
        return status.SerializeToString()
    return json_format.MessageToJson(status, indent=None).encode()


def hex_id(raw: bytes) -> str:
    """Return an id as the lowercase hex OTLP/JSON and the W3C trace context use."""
    return binascii.hexlify(raw).decode()
