"""Spans made by the real OpenTelemetry SDK, encoded by its own OTLP encoders (protobuf, JSON)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.exporter.otlp.json.common.trace_encoder import encode_spans as encode_json
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as encode_proto
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Tracer, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

PROTOBUF = "application/x-protobuf"
JSON = "application/json"

CHAT: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 2000,
    "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "Hi?"}]}]',
    "gen_ai.output.messages": (
        '[{"role": "assistant", "parts": [{"type": "text", "content": "Hello!"}],'
        ' "finish_reason": "stop"}]'
    ),
}


def record(build: Callable[[Tracer], None], service: str = "shop") -> list[ReadableSpan]:
    """Run ``build`` with a tracer of a fresh SDK provider; return the finished spans."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    build(provider.get_tracer("tests.traces"))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def llm_spans(
    count: int, attributes: Mapping[str, Any] = CHAT, error: bool = False
) -> list[ReadableSpan]:
    """Return ``count`` LLM spans (children of one agent span, which is not an LLM call)."""

    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span(
            "agent", attributes={"gen_ai.operation.name": "invoke_agent"}
        ):
            for _ in range(count):
                with tracer.start_as_current_span(
                    "chat gpt-4o-mini", attributes=dict(attributes)
                ) as span:
                    if error:
                        span.set_status(Status(StatusCode.ERROR, "rate limited"))
                        span.set_attribute("error.type", "RateLimitError")

    return record(build)


def body(spans: list[ReadableSpan], content_type: str = PROTOBUF, gzipped: bool = False) -> bytes:
    """Encode spans as an export request the way the SDK's exporters do."""
    data = (
        encode_proto(spans).SerializeToString()
        if content_type == PROTOBUF
        else encode_json(spans).to_json().encode()
    )
    return gzip.compress(data) if gzipped else data
