"""A worker maps a stored batch: LLM spans become model outputs, once, linked to their prompt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from llmops_core.models import JobStatus, ModelOutput, PromptTemplate, SpanBatch
from llmops_core.services import traces
from llmops_core.services.prompts import prompt_template_create, prompt_version_create
from llmops_core.services.traces import span_batch_process
from tests.traces.conftest import Sender
from tests.traces.spans import CHAT, body, llm_spans

pytestmark = pytest.mark.django_db

LANGFUSE = {
    "langfuse.observation.type": "generation",
    "langfuse.observation.model.name": "demo-model",
    "langfuse.observation.input": '[{"role": "user", "content": "Where is my parcel?"}]',
    "langfuse.observation.output": '{"role": "assistant", "content": "On its way."}',
    "langfuse.observation.usage_details": '{"input": 10, "output": 4}',
    "langfuse.observation.prompt.name": "support-reply",
    "langfuse.observation.prompt.version": 2,
    "session.id": "s-1",
    "user.id": "u-7",
    "langfuse.trace.tags": ["beta", "eu"],
    "langfuse.observation.metadata.customer_tier": "gold",
}


def process_all() -> None:
    for pk in SpanBatch.objects.order_by("pk").values_list("pk", flat=True):
        span_batch_process(batch_id=pk)


def test_llm_spans_become_outputs_and_other_spans_are_counted(sender: Sender) -> None:
    spans = llm_spans(3)
    sender.post(body(spans))
    process_all()
    batch = SpanBatch.objects.get()
    assert batch.status == JobStatus.SUCCEEDED and batch.body is None
    assert (batch.spans_stored, batch.spans_existing, batch.spans_dropped) == (3, 0, 1)
    agent = next(s for s in spans if s.name == "agent")
    out = ModelOutput.objects.filter(project=sender.key.project).first()
    assert out is not None and out.source == "otlp"
    assert out.model_name == "gpt-4o-mini" and (out.tokens_in, out.tokens_out) == (1000, 2000)
    # (1000 * 0.00015 + 2000 * 0.0006) / 1000: the price table, as the span has none.
    assert out.cost == Decimal("0.00135") and out.metadata["cost_source"] == "price table"
    assert out.input == [{"role": "user", "content": "Hi?"}] and out.output_text == "Hello!"
    assert out.parent_span_id == format(agent.context.span_id, "016x")
    assert out.trace_id == format(agent.context.trace_id, "032x") and len(out.span_id) == 16
    assert out.external_id == f"otlp:{out.trace_id}:{out.span_id}"
    assert out.latency_ms is not None and out.started_at and out.ended_at
    assert out.status == "ok" and out.metadata["provider"] == "openai"
    assert out.metadata["service"] == "shop"


def test_the_same_spans_twice_are_stored_once(sender: Sender) -> None:
    data = body(llm_spans(4))
    sender.post(data)
    sender.post(body(llm_spans(1)))
    sender.post(data)
    process_all()
    assert ModelOutput.objects.count() == 5
    last = SpanBatch.objects.order_by("pk").last()
    assert last is not None and (last.spans_stored, last.spans_existing) == (4, 4)


def test_processing_a_batch_twice_changes_nothing(sender: Sender) -> None:
    sender.post(body(llm_spans(2)))
    process_all()
    batch = SpanBatch.objects.get()
    assert span_batch_process(batch_id=batch.pk) is False  # finished: the claim refuses it
    assert ModelOutput.objects.count() == 2


def test_error_span_keeps_status_type_and_message(sender: Sender) -> None:
    sender.post(body(llm_spans(1, error=True)))
    process_all()
    out = ModelOutput.objects.get()
    assert (out.status, out.error_type, out.error_message) == (
        "error",
        "RateLimitError",
        "rate limited",
    )


def test_langfuse_generation_maps_usage_session_user_tags_metadata(sender: Sender) -> None:
    sender.post(body(llm_spans(1, LANGFUSE)))
    process_all()
    out = ModelOutput.objects.get()
    assert out.input == [{"role": "user", "content": "Where is my parcel?"}]
    assert out.output_text == "On its way." and out.model_name == "demo-model"
    assert (out.tokens_in, out.tokens_out) == (10, 4)
    assert (out.session_id, out.end_user_id, out.tags) == ("s-1", "u-7", ["beta", "eu"])
    assert out.metadata["metadata"] == {"customer_tier": "gold"}
    assert (out.prompt_ref_name, out.prompt_ref_version, out.prompt_version) == (
        "support-reply",
        2,
        None,
    )


def _template(sender: Sender) -> PromptTemplate:
    return prompt_template_create(project=sender.key.project, name="support-reply")


def _version(template: PromptTemplate, text: str) -> Any:
    return prompt_version_create(template=template, template_text=text, model_name="demo-model")[0]


def test_span_naming_a_known_version_is_linked(sender: Sender) -> None:
    template = _template(sender)
    _version(template, "v1 {{q}}")
    v2 = _version(template, "v2 {{q}}")
    sender.post(body(llm_spans(1, LANGFUSE)))
    process_all()
    assert ModelOutput.objects.get().prompt_version == v2


def test_unknown_version_is_linked_when_it_is_registered(
    sender: Sender, django_capture_on_commit_callbacks: Any
) -> None:
    template = _template(sender)
    _version(template, "v1 {{q}}")
    sender.post(body(llm_spans(3, LANGFUSE)))
    process_all()
    assert not ModelOutput.objects.filter(prompt_version__isnull=False).exists()
    with django_capture_on_commit_callbacks(execute=True):
        v2 = _version(template, "v2 {{q}}")
    assert ModelOutput.objects.filter(prompt_version=v2).count() == 3


def test_outputs_ingested_hears_the_ids_of_new_rows_only(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    heard: list[list[int]] = []
    real = traces.store.outputs_ingested

    def spy(*, project_id: int, output_ids: Any) -> None:
        heard.append(sorted(output_ids))
        real(project_id=project_id, output_ids=output_ids)

    monkeypatch.setattr(traces.store, "outputs_ingested", spy)
    data = body(llm_spans(2))
    sender.post(data)
    sender.post(data)
    process_all()
    assert heard == [sorted(ModelOutput.objects.values_list("pk", flat=True)), []]


def test_span_cost_wins_over_the_price_table(sender: Sender) -> None:
    sender.post(body(llm_spans(1, {**CHAT, "llm.cost.total": 0.25})))
    process_all()
    out = ModelOutput.objects.get()
    assert out.cost == Decimal("0.25") and out.metadata["cost_source"] == "span"
