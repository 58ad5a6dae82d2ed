"""Read the spans of an export request: check each one, and give the worker a plain view of it.

``spans_check`` runs in the web request and must be cheap: it looks only at ids and at the
encoded size of attribute values. ``span_views`` turns each accepted span into plain Python
(attributes as a dict, events, status, resource attributes) for the mapping.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from llmops_core.io.otlp.decode import hex_id

STATUS_ERROR = 2  # opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR
MAX_KEPT_REASONS = 5


@dataclass(slots=True)
class SpanView:
    """One span in plain Python: hex ids, Unix nanosecond times, attributes as a dict."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    events: list[tuple[str, int, dict[str, Any]]]
    status_code: int
    status_message: str
    resource: dict[str, Any]
    scope: str


@dataclass
class CheckResult:
    """How many spans a request holds, how many are refused, and the first reasons why."""

    received: int = 0
    rejected: int = 0
    reasons: list[str] = field(default_factory=list)

    def refuse(self, reason: str) -> None:
        self.rejected += 1
        if len(self.reasons) < MAX_KEPT_REASONS:
            self.reasons.append(reason)

    @property
    def message(self) -> str:
        if not self.rejected:
            return ""
        more = self.rejected - len(self.reasons)
        tail = f"; and {more} more" if more > 0 else ""
        return f"{self.rejected} span(s) rejected: " + "; ".join(self.reasons) + tail


def any_value(value: AnyValue) -> Any:
    """Return an OTLP ``AnyValue`` as a Python value (bytes as base64 text)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        return value.double_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return None


def attributes_dict(attributes: Any) -> dict[str, Any]:
    """Return repeated ``KeyValue`` attributes as a dict (a repeated key keeps its last value)."""
    result: dict[str, Any] = {}
    for kv in attributes:
        value = kv.value
        # Strings and integers are most attributes: read them without a call (the hot loop).
        kind = value.WhichOneof("value")
        if kind == "string_value":
            result[kv.key] = value.string_value
        elif kind == "int_value":
            result[kv.key] = value.int_value
        else:
            result[kv.key] = any_value(value)
    return result


def span_refusal(span: Span, *, max_attribute_bytes: int | None) -> str | None:
    """Return why a span is refused (bad ids, an oversized attribute), or None if it is fine.

    ``max_attribute_bytes`` None skips the size check (the whole request is smaller).
    """
    if len(span.trace_id) != 16 or not any(span.trace_id):
        return f'span "{span.name[:80]}": trace_id must be 16 bytes, not all zero'
    if len(span.span_id) != 8 or not any(span.span_id):
        return f'span "{span.name[:80]}": span_id must be 8 bytes, not all zero'
    if span.parent_span_id and len(span.parent_span_id) != 8:
        return f"span {hex_id(span.span_id)}: parent_span_id must be 8 bytes or empty"
    if max_attribute_bytes is None:
        return None
    oversized = _oversized(span.attributes, max_attribute_bytes)
    if oversized is None:
        for event in span.events:
            oversized = _oversized(event.attributes, max_attribute_bytes)
            if oversized is not None:
                break
    if oversized is not None:
        key, size = oversized
        return (
            f'span {hex_id(span.span_id)}: attribute "{key[:80]}" is {size:,} bytes; the '
            f"limit is {max_attribute_bytes:,} (OTLP_MAX_ATTRIBUTE_BYTES)"
        )
    return None


def _oversized(attributes: Any, limit: int) -> tuple[str, int] | None:
    kv: KeyValue
    for kv in attributes:
        size = kv.value.ByteSize()
        if size > limit:
            return kv.key, size
    return None


def _size_limit(request: ExportTraceServiceRequest, limit: int) -> int | None:
    """Return the attribute limit to check, None when the whole request is within it."""
    return None if request.ByteSize() <= limit else limit


def spans_check(request: ExportTraceServiceRequest, *, max_attribute_bytes: int) -> CheckResult:
    """Count the request's spans and the ones refused, with the first reasons."""
    result = CheckResult()
    limit = _size_limit(request, max_attribute_bytes)
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                result.received += 1
                reason = span_refusal(span, max_attribute_bytes=limit)
                if reason is not None:
                    result.refuse(reason)
    return result


def span_views(
    request: ExportTraceServiceRequest, *, max_attribute_bytes: int, checked: bool = False
) -> Iterator[SpanView | None]:
    """Yield a view of every span the request holds, None for each one ``span_refusal`` refuses.

    ``checked``: the request was checked and no span refused, so the checks are skipped.
    """
    limit = _size_limit(request, max_attribute_bytes)
    for resource_spans in request.resource_spans:
        resource = attributes_dict(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            for span in scope_spans.spans:
                if not checked and span_refusal(span, max_attribute_bytes=limit) is not None:
                    yield None
                    continue
                yield SpanView(
                    trace_id=hex_id(span.trace_id),
                    span_id=hex_id(span.span_id),
                    parent_span_id=hex_id(span.parent_span_id) if span.parent_span_id else "",
                    name=span.name,
                    start_ns=span.start_time_unix_nano,
                    end_ns=span.end_time_unix_nano,
                    attributes=attributes_dict(span.attributes),
                    events=[
                        (event.name, event.time_unix_nano, attributes_dict(event.attributes))
                        for event in span.events
                    ],
                    status_code=span.status.code,
                    status_message=span.status.message,
                    resource=resource,
                    scope=scope,
                )
