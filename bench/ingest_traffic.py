"""The traffic of ``bench.ingest``: one template export request, and clients that send it."""

from __future__ import annotations

import http.client
import json
import secrets
import threading
import time
from typing import Any

MARKER = b"\xa5BENCH-TRACE"  # 12 bytes at the start of every trace id of the template batch


def template_batch(size: int) -> bytes:
    """Return one export request of ``size`` LLM spans whose trace ids start with ``MARKER``.

    Each request the clients send is this one with the marker replaced by 12 fresh bytes, so
    every span has a new (trace id, span id) and building a request costs a byte replace.
    """
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    def attr(key: str, value: Any) -> KeyValue:
        if isinstance(value, int):
            return KeyValue(key=key, value=AnyValue(int_value=value))
        return KeyValue(key=key, value=AnyValue(string_value=value))

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(attr("service.name", "support-bot"))
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "bench.ingest"
    start = time.time_ns()
    for i in range(size):
        span = scope.spans.add()
        span.trace_id = MARKER + (i // 8).to_bytes(4, "big")  # 8 calls per trace
        span.span_id = (i + 1).to_bytes(8, "big")
        span.name = "chat gpt-4o-mini"
        span.kind = 3  # CLIENT
        span.start_time_unix_nano = start + i * 1_000_000
        span.end_time_unix_nano = span.start_time_unix_nano + 850_000_000
        question = f"Can I export my notes to CSV? I tried twice (case {i})."
        span.attributes.extend(
            [
                attr("gen_ai.operation.name", "chat"),
                attr("gen_ai.provider.name", "openai"),
                attr("gen_ai.request.model", "gpt-4o-mini"),
                attr("gen_ai.response.model", "gpt-4o-mini"),
                attr("gen_ai.usage.input_tokens", 120 + i % 50),
                attr("gen_ai.usage.output_tokens", 60 + i % 30),
                attr("session.id", f"session-{i // 8}"),
                attr("user.id", f"user-{i % 97}"),
                attr(
                    "gen_ai.input.messages",
                    json.dumps(
                        [
                            {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
                            {"role": "user", "parts": [{"type": "text", "content": question}]},
                        ]
                    ),
                ),
                attr(
                    "gen_ai.output.messages",
                    json.dumps(
                        [
                            {
                                "role": "assistant",
                                "parts": [
                                    {
                                        "type": "text",
                                        "content": "Yes: open Settings, Data, Export and "
                                        "choose CSV. Large exports arrive by email.",
                                    }
                                ],
                                "finish_reason": "stop",
                            }
                        ]
                    ),
                ),
            ]
        )
    data = request.SerializeToString()
    assert data.count(MARKER) == size, "the marker must appear once per span"
    return data


class Client(threading.Thread):
    """Sends its share of the batches over one keep-alive connection, paced to its rate."""

    def __init__(
        self, port: int, secret: str, template: bytes, batches: list[int], interval: float
    ) -> None:
        super().__init__(daemon=True)
        self.port, self.secret, self.template = port, secret, template
        self.batches, self.interval = batches, interval
        self.acks: list[float] = []
        self.retries = 0
        self.errors: list[str] = []
        self.done_at = 0.0
        self.progress = 0

    def _post(self, conn: http.client.HTTPConnection, body: bytes) -> tuple[int, str]:
        conn.request(
            "POST",
            "/v1/traces",
            body=body,
            headers={
                "Content-Type": "application/x-protobuf",
                "Authorization": f"Bearer {self.secret}",
            },
        )
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After") or "1"

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        next_at = time.monotonic()
        for number in self.batches:
            body = self.template.replace(MARKER, number.to_bytes(4, "big") + secrets.token_bytes(8))
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at = max(next_at + self.interval, time.monotonic() - self.interval)
            while True:
                began = time.monotonic()
                try:
                    status, retry_after = self._post(conn, body)
                except (OSError, http.client.HTTPException) as error:
                    self.errors.append(str(error))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    continue
                if status in (429, 503):
                    self.retries += 1
                    time.sleep(float(retry_after))
                    continue
                if status != 200:
                    self.errors.append(f"HTTP {status}")
                else:
                    self.acks.append((time.monotonic() - began) * 1000)
                break
            self.progress += 1
        self.done_at = time.monotonic()
        conn.close()
