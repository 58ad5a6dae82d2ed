"""Text PostgreSQL cannot store (NUL) in a span does not keep its batch from being stored."""

from __future__ import annotations

import pytest

from llmops_core.models import JobStatus, ModelOutput, SpanBatch
from llmops_core.services.traces import span_batch_process
from tests.traces.conftest import Sender
from tests.traces.spans import CHAT, body, llm_spans

pytestmark = pytest.mark.django_db


def test_a_nul_in_span_text_is_stored_as_a_replacement_character(sender: Sender) -> None:
    attributes = {
        **CHAT,
        "gen_ai.input.messages": '[{"role": "user", "content": "Hi\\u0000?"}]',
        "gen_ai.output.messages": '[{"role": "assistant", "content": "a\\u0000b"}]',
        "gen_ai.request.model": "gpt\x00-4o",
        "gen_ai.response.model": "gpt\x00-4o",
        "session.id": "s\x001",
        "langfuse.observation.metadata.note": "x\x00y",
    }
    assert sender.post(body(llm_spans(1, attributes))).status_code == 200
    batch = SpanBatch.objects.get()
    span_batch_process(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == JobStatus.SUCCEEDED, batch.error
    out = ModelOutput.objects.get()
    assert out.output_text == "a\ufffdb" and out.model_name == "gpt\ufffd-4o"
    assert out.session_id == "s\ufffd1" and out.metadata["metadata"]["note"] == "x\ufffdy"
    assert out.input == [{"role": "user", "content": "Hi\ufffd?"}]
