"""Feedback carried by spans, made by the real OpenTelemetry SDK and encoded by its exporters."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import Tracer

from llmops_core.models import Feedback, IngestKey, ModelOutput, Project, SpanBatch
from llmops_core.services.ingest_keys import ingest_key_create
from tests.traces.conftest import Sender
from tests.traces.spans import CHAT, JSON, body, record
from tests.traces.test_store import process_all

pytestmark = pytest.mark.django_db


def _chat_with_events(tracer: Tracer) -> None:
    with tracer.start_as_current_span("chat", attributes=CHAT) as span:
        span.add_event("feedback", {"feedback.type": "thumbs", "feedback.value": "down"})
        span.add_event(
            "feedback",
            {
                "feedback.type": "score",
                "feedback.value": 2.0,
                "feedback.scale_min": 1,
                "feedback.scale_max": 5,
                "feedback.comment": "<script>alert(1)</script>",
                "feedback.id": "app-fb-9",
                "enduser.id": "u-42",
            },
        )
        span.add_event("gen_ai.choice", {"index": 0})  # not feedback


def test_feedback_events_on_an_llm_span_are_stored_with_its_output(sender: Sender) -> None:
    sender.post(body(record(_chat_with_events)))
    process_all()
    output = ModelOutput.objects.get()
    down, score = Feedback.objects.order_by("pk")
    assert down.output == output and score.output == output
    assert (down.kind, down.thumb, down.source) == ("thumbs", False, "otlp")
    assert down.client_id == f"otlp:{output.trace_id}:{output.span_id}:0"
    assert down.client_created_at is not None
    assert (score.score, score.scale_min, score.scale_max) == (2.0, 1, 5)
    assert (score.comment, score.client_id, score.end_user_id) == (
        "<script>alert(1)</script>",
        "app-fb-9",
        "u-42",
    )


def test_a_batch_stored_twice_stores_its_feedback_once(sender: Sender) -> None:
    data = body(record(_chat_with_events), content_type=JSON)
    sender.post(data, content_type=JSON)
    sender.post(data, content_type=JSON)  # the exporter retried
    process_all()
    assert SpanBatch.objects.count() == 2 and ModelOutput.objects.count() == 1
    assert Feedback.objects.count() == 2


def _feedback_span_later(tracer: Tracer, context: Any, attributes: dict[str, Any]) -> None:
    with tracer.start_as_current_span("user feedback", context=context, attributes=attributes):
        pass


def test_feedback_on_a_later_child_span_reaches_the_llm_output(sender: Sender) -> None:
    spans = record(lambda t: t.start_as_current_span("chat", attributes=CHAT).__enter__().end())
    llm = spans[0]
    sender.post(body(spans))
    process_all()
    parent = trace.set_span_in_context(trace.NonRecordingSpan(llm.context))
    later = record(
        lambda t: _feedback_span_later(
            t, parent, {"feedback.correction": "Use the export menu.", "user.id": "u-1"}
        )
    )
    sender.post(body(later))
    process_all()
    fix = Feedback.objects.get()
    assert fix.output == ModelOutput.objects.get()
    assert (fix.kind, fix.correction, fix.end_user_id) == (
        "correction",
        "Use the export menu.",
        "u-1",
    )


def test_feedback_about_a_span_not_stored_yet_waits_for_it(sender: Sender) -> None:
    spans = record(lambda t: t.start_as_current_span("chat", attributes=CHAT).__enter__().end())
    llm = spans[0]
    target = {
        "feedback.trace_id": format(llm.context.trace_id, "032x"),
        "feedback.span_id": format(llm.context.span_id, "016x"),
        "feedback.value": "up",
    }
    first = record(lambda t: _feedback_span_later(t, None, target))
    sender.post(body(first))
    process_all()
    waiting = Feedback.objects.get()
    assert waiting.output is None and waiting.thumb is True
    sender.post(body(spans))  # the LLM span arrives
    process_all()
    waiting.refresh_from_db()
    assert waiting.output == ModelOutput.objects.get()


def test_unreadable_feedback_is_left_out_and_the_span_is_stored(sender: Sender) -> None:
    def build(tracer: Tracer) -> None:
        with tracer.start_as_current_span("chat", attributes=CHAT) as span:
            span.add_event("feedback", {"feedback.type": "thumbs", "feedback.value": "maybe"})
            span.add_event("feedback", {"feedback.value": "up"})

    sender.post(body(record(build)))
    process_all()
    assert ModelOutput.objects.count() == 1
    assert list(Feedback.objects.values_list("thumb", flat=True)) == [True]


def test_spans_without_feedback_store_no_feedback(sender: Sender) -> None:
    def build(tracer: Tracer) -> None:
        agent = {"gen_ai.operation.name": "invoke_agent"}
        with (
            tracer.start_as_current_span("agent", attributes=agent),
            tracer.start_as_current_span("chat", attributes=CHAT) as span,
        ):
            span.add_event("gen_ai.choice", {"index": 0})

    sender.post(body(record(build)))
    process_all()
    assert ModelOutput.objects.count() == 1 and not Feedback.objects.exists()


@pytest.mark.worker
@pytest.mark.slow
def test_sdk_exporter_feedback_events_reach_the_output(
    live_server: Any, celery_worker_process: Any, transactional_db: None, project: Project
) -> None:
    """The SDK's own OTLP/HTTP exporter, a live server and a real worker."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from tests.support.worker import wait_for

    key: IngestKey
    key, secret = ingest_key_create(project=project, name="app")
    exporter = OTLPSpanExporter(
        endpoint=f"{live_server.url}/v1/traces", headers={"Authorization": f"Bearer {secret}"}
    )
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _chat_with_events(provider.get_tracer("app"))
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert wait_for(lambda: Feedback.objects.count() >= 2, timeout=60), celery_worker_process.log()[
        -3000:
    ]
    output = ModelOutput.objects.get(project=key.project)
    assert set(Feedback.objects.values_list("output_id", flat=True)) == {output.pk}
