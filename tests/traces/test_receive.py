"""POST /v1/traces: OTLP encodings, gzip, keys, limits and answers, through the Django stack."""

from __future__ import annotations

import base64
import gzip
from typing import Any

import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from llmops_core.models import JobStatus, SpanBatch
from llmops_core.services.ingest_keys import ingest_key_revoke
from tests.traces.conftest import Sender
from tests.traces.spans import CHAT, JSON, PROTOBUF, body, llm_spans, record

pytestmark = pytest.mark.django_db


def answer(response: Any) -> ExportTraceServiceResponse:
    assert response["Content-Type"] == PROTOBUF, response.content[:200]
    return ExportTraceServiceResponse.FromString(response.content)


def status_message(response: Any) -> str:
    return status_pb2.Status.FromString(response.content).message


@pytest.mark.parametrize("path", ["/v1/traces", "/api/public/otel/v1/traces"])
def test_protobuf_batch_is_stored_as_sent_and_acknowledged(sender: Sender, path: str) -> None:
    data = body(llm_spans(3))
    response = sender.post(data, path=path)
    assert response.status_code == 200
    assert not answer(response).HasField("partial_success")
    batch = SpanBatch.objects.get()
    assert batch.status == JobStatus.PENDING and bytes(batch.body) == data
    assert (batch.spans_received, batch.spans_rejected, batch.encoding) == (4, 0, "protobuf")
    assert batch.project == sender.key.project and batch.ingest_key == sender.key


def test_json_encoding_with_gzip_is_answered_in_json(sender: Sender) -> None:
    data = body(llm_spans(2), JSON, gzipped=True)
    response = sender.post(data, JSON, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == JSON and response.json() == {}
    batch = SpanBatch.objects.get()
    assert batch.gzipped and batch.encoding == "json" and bytes(batch.body) == data


def test_basic_auth_with_the_key_pair_is_accepted(sender: Sender) -> None:
    pair = base64.b64encode(f"{sender.key.public_key}:{sender.secret}".encode()).decode()
    response = sender.post(body(llm_spans(1)), auth=f"Basic {pair}")
    assert response.status_code == 200


@pytest.mark.parametrize("auth", ["", "Bearer sk-lf-not-a-key", "Token abc"])
def test_missing_or_wrong_key_gets_401_in_the_request_encoding(sender: Sender, auth: str) -> None:
    response = sender.client.post(
        "/api/public/otel/v1/traces",
        data=body(llm_spans(1)),
        content_type=PROTOBUF,
        headers={"Authorization": auth} if auth else {},
    )
    assert response.status_code == 401
    assert response["Content-Type"] == PROTOBUF and "ingest key" in status_message(response)
    assert "Bearer" in response["WWW-Authenticate"]
    assert not SpanBatch.objects.exists()


def test_revoked_key_is_refused(sender: Sender) -> None:
    ingest_key_revoke(key=sender.key, actor=None)
    assert sender.post(body(llm_spans(1))).status_code == 401


def test_unknown_content_type_gets_415(sender: Sender) -> None:
    response = sender.post(b"hello", "text/plain")
    assert response.status_code == 415 and "application/x-protobuf" in response.json()["message"]


@pytest.mark.parametrize(
    ("data", "content_type", "words"),
    [
        (b"\xff\xff\xff\xff", PROTOBUF, "not an OTLP"),
        (b"[1, 2]", JSON, "JSON object"),
        (b'{"resourceSpans": "nope"}', JSON, "not an OTLP export request"),
        (b"{not json", JSON, "not JSON"),
    ],
)
def test_bad_data_gets_400_saying_why(
    sender: Sender, data: bytes, content_type: str, words: str
) -> None:
    response = sender.post(data, content_type)
    assert response.status_code == 400
    message = status_message(response) if content_type == PROTOBUF else response.json()["message"]
    assert words in message
    assert not SpanBatch.objects.exists()


def test_body_over_the_limit_gets_413_before_it_is_read(sender: Sender, settings: Any) -> None:
    settings.OTLP_MAX_BODY_BYTES = 1000
    response = sender.post(body(llm_spans(20)))
    assert response.status_code == 413 and "OTLP_MAX_BODY_BYTES" in status_message(response)


def test_gzip_bomb_gets_413(sender: Sender, settings: Any) -> None:
    settings.OTLP_MAX_INFLATED_BYTES = 100_000
    bomb = gzip.compress(b"\0" * 10_000_000)
    assert len(bomb) < 20_000
    response = sender.post(bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413 and "inflates" in status_message(response)


def test_oversized_attribute_rejects_that_span_only(sender: Sender, settings: Any) -> None:
    settings.OTLP_MAX_ATTRIBUTE_BYTES = 2000
    spans = llm_spans(2) + llm_spans(1, {**CHAT, "input.value": "x" * 5000})
    response = sender.post(body(spans))
    assert response.status_code == 200
    partial = answer(response).partial_success
    assert partial.rejected_spans == 1
    assert 'attribute "input.value" is 5,00' in partial.error_message
    assert "OTLP_MAX_ATTRIBUTE_BYTES" in partial.error_message
    assert SpanBatch.objects.get().spans_rejected == 1


def test_request_whose_every_span_is_refused_gets_400(sender: Sender, settings: Any) -> None:
    settings.OTLP_MAX_ATTRIBUTE_BYTES = 1000
    spans = record(lambda t: t.start_span("chat", attributes={"input.value": "y" * 5000}).end())
    response = sender.post(body(spans))
    assert response.status_code == 400
    assert status_message(response).startswith("1 span(s) rejected: span ")
    assert not SpanBatch.objects.exists()


def test_backlog_over_the_limit_gets_503_with_retry_after(sender: Sender, settings: Any) -> None:
    settings.OTLP_MAX_PENDING_BATCHES = 1
    assert sender.post(body(llm_spans(1))).status_code == 200
    response = sender.post(body(llm_spans(1)))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "OTLP_MAX_PENDING_BATCHES" in status_message(response)
    assert SpanBatch.objects.count() == 1


def test_get_is_refused_with_405(sender: Sender) -> None:
    response = sender.client.get("/v1/traces")
    assert response.status_code == 405 and "POST" in response["Allow"]


def test_empty_request_is_acknowledged_and_stores_nothing(sender: Sender) -> None:
    response = sender.post(b'{"resourceSpans": []}', JSON)
    assert response.status_code == 200 and not SpanBatch.objects.exists()
