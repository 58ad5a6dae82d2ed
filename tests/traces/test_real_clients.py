"""Real clients against a live server and a real worker: the OpenTelemetry SDK's OTLP exporters
(protobuf and JSON) and the OpenInference instrumentation of the real ``openai`` client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from llmops_core.models import IngestKey, ModelOutput, Project, SpanBatch
from llmops_core.services.ingest_keys import ingest_key_create
from tests.support.openai_server import LocalOpenAIServer
from tests.support.worker import wait_for
from tests.traces.spans import CHAT

pytestmark = [pytest.mark.worker, pytest.mark.slow]


@pytest.fixture
def pair(transactional_db: None, project: Project) -> tuple[IngestKey, str]:
    return ingest_key_create(project=project, name="app")


def _provider(exporter: SpanExporter) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _stored(count: int) -> bool:
    return ModelOutput.objects.filter(source="otlp").count() >= count


def test_sdk_protobuf_exporter_spans_become_outputs(
    live_server: Any, celery_worker_process: Any, pair: tuple[IngestKey, str]
) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    key, secret = pair
    exporter = OTLPSpanExporter(
        endpoint=f"{live_server.url}/v1/traces", headers={"Authorization": f"Bearer {secret}"}
    )
    provider = _provider(exporter)
    tracer = provider.get_tracer("app")
    with tracer.start_as_current_span("handle request"):
        for _ in range(5):
            with tracer.start_as_current_span("chat gpt-4o-mini", attributes=CHAT):
                pass
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert wait_for(lambda: _stored(5), timeout=60), celery_worker_process.log()[-3000:]
    out = ModelOutput.objects.filter(project=key.project).first()
    assert out is not None and out.output_text == "Hello!" and out.tokens_out == 2000
    batch = SpanBatch.objects.get()
    assert (batch.spans_received, batch.spans_stored, batch.spans_dropped) == (6, 5, 1)


def test_sdk_json_exporter_with_basic_auth_at_the_langfuse_path(
    live_server: Any, celery_worker_process: Any, pair: tuple[IngestKey, str]
) -> None:
    from opentelemetry.exporter.otlp.json.http.trace_exporter import OTLPSpanExporter

    key, secret = pair
    basic = base64.b64encode(f"{key.public_key}:{secret}".encode()).decode()
    exporter = OTLPSpanExporter(
        endpoint=f"{live_server.url}/api/public/otel/v1/traces",
        headers={"Authorization": f"Basic {basic}"},
    )
    provider = _provider(exporter)
    with provider.get_tracer("app").start_as_current_span("chat", attributes=CHAT):
        pass
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert wait_for(lambda: _stored(1), timeout=60), celery_worker_process.log()[-3000:]
    assert SpanBatch.objects.get().encoding == "json"


@pytest.fixture
def llm_server() -> Iterator[LocalOpenAIServer]:
    with LocalOpenAIServer(latency=0.05) as running:
        yield running


def test_openinference_openai_instrumentation_spans_become_outputs(
    live_server: Any,
    celery_worker_process: Any,
    pair: tuple[IngestKey, str],
    llm_server: LocalOpenAIServer,
) -> None:
    import openai
    from openinference.instrumentation.openai import OpenAIInstrumentor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    _, secret = pair
    exporter = OTLPSpanExporter(
        endpoint=f"{live_server.url}/v1/traces", headers={"Authorization": f"Bearer {secret}"}
    )
    provider = _provider(exporter)
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        client = openai.OpenAI(base_url=llm_server.base_url, api_key="sk-test")
        reply = client.chat.completions.create(
            model="demo-model",
            messages=[
                {"role": "system", "content": "You answer in one sentence."},
                {"role": "user", "content": "Can I export my notes to CSV?"},
            ],
        )
    finally:
        instrumentor.uninstrument()
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert wait_for(lambda: _stored(1), timeout=60), celery_worker_process.log()[-3000:]
    out = ModelOutput.objects.get(source="otlp")
    assert out.model_name.startswith("demo-model")
    assert out.input == [
        {"role": "system", "content": "You answer in one sentence."},
        {"role": "user", "content": "Can I export my notes to CSV?"},
    ]
    assert out.output_text == reply.choices[0].message.content
    assert reply.usage is not None
    assert (out.tokens_in, out.tokens_out) == (
        reply.usage.prompt_tokens,
        reply.usage.completion_tokens,
    )
    assert out.latency_ms is not None and out.latency_ms >= 50
    assert out.cost is not None and out.metadata["cost_source"] == "price table"
