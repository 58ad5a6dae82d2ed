"""The span mapping by convention (GenAI attributes and events, OpenInference, OpenLLMetry) and
the OTLP decoding rules (hex ids in JSON, gzip limits), on plain spans without Django."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from typing import Any

import pytest

from llmops_core.io.otlp.decode import OtlpError, decode_request, inflate
from llmops_core.io.otlp.mapping import is_llm_span, map_span
from llmops_core.io.otlp.spans import SpanView, span_views

PRICES = {"demo-model": {"input": 1, "output": 2}}


def view(attributes: dict[str, Any], events: list[Any] | None = None, **fields: Any) -> SpanView:
    values: dict[str, Any] = {
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "span_id": "b7ad6b7169203331",
        "parent_span_id": "",
        "name": "llm",
        "start_ns": 1_700_000_000_000_000_000,
        "end_ns": 1_700_000_000_250_000_000,
        "attributes": attributes,
        "events": events or [],
        "status_code": 0,
        "status_message": "",
        "resource": {},
        "scope": "",
    }
    values.update(fields)
    return SpanView(**values)


def test_openinference_llm_span_with_indexed_messages_and_template() -> None:
    out = map_span(
        view(
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": "demo-model",
                "llm.input_messages.0.message.role": "system",
                "llm.input_messages.0.message.content": "Be brief.",
                "llm.input_messages.1.message.role": "user",
                "llm.input_messages.1.message.contents.0.message_content.type": "text",
                "llm.input_messages.1.message.contents.0.message_content.text": "Hi?",
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "lookup",
                "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": (
                    '{"q": "parcel"}'
                ),
                "llm.token_count.prompt": 1000,
                "llm.token_count.completion": 500,
                "llm.prompt_template.variables": '{"question": "Hi?"}',
                "llm.prompt_template.template": "{question}",
                "llm.prompt_template.version": "v3",
                "llm.invocation_parameters": '{"temperature": 0.2}',
                "session.id": "s",
                "user.id": "u",
                "tag.tags": ["a", "b"],
                "metadata": '{"tier": "gold"}',
            }
        ),
        prices=PRICES,
    )
    assert out is not None
    assert out.input == {"question": "Hi?"}  # the variables: outputs pair up by them
    assert out.metadata["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi?"},
    ]
    assert out.output_text == '[tool call lookup({"q":"parcel"})]'
    assert (out.tokens_in, out.tokens_out, out.cost) == (1000, 500, Decimal("2.00000000"))
    assert (out.prompt_version, out.session_id, out.end_user_id) == (3, "s", "u")
    assert out.tags == ["a", "b"] and out.metadata["metadata"] == {"tier": "gold"}
    assert out.metadata["parameters"] == {"temperature": 0.2} and out.latency_ms == 250


def test_openllmetry_indexed_prompt_and_completion_with_old_usage_names() -> None:
    out = map_span(
        view(
            {
                "gen_ai.system": "openai",
                "gen_ai.request.model": "demo-model",
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": "Question",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.content": "Answer",
                "gen_ai.usage.prompt_tokens": 3,
                "gen_ai.usage.completion_tokens": 4,
            }
        ),
        prices=PRICES,
    )
    assert out is not None and out.input == [{"role": "user", "content": "Question"}]
    assert (out.output_text, out.tokens_in, out.tokens_out) == ("Answer", 3, 4)
    assert out.metadata["provider"] == "openai"


@pytest.mark.parametrize(
    "events",
    [
        [
            ("gen_ai.system.message", 1, {"content": "Be brief."}),
            ("gen_ai.user.message", 2, {"content": "Hi?"}),
            ("gen_ai.choice", 3, {"message": '{"content": "Hello!"}', "index": 0}),
        ],
        [
            (
                "gen_ai.client.inference.operation.details",
                1,
                {
                    "gen_ai.system_instructions": [{"type": "text", "content": "Be brief."}],
                    "gen_ai.input.messages": [
                        {"role": "user", "parts": [{"type": "text", "content": "Hi?"}]}
                    ],
                    "gen_ai.output.messages": [
                        {"role": "assistant", "parts": [{"type": "text", "content": "Hello!"}]}
                    ],
                },
            )
        ],
    ],
    ids=["per-message events", "operation details event"],
)
def test_messages_carried_by_events(events: list[Any]) -> None:
    out = map_span(
        view({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}, events),
        prices=PRICES,
    )
    assert out is not None and out.output_text == "Hello!"
    assert out.input == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi?"},
    ]


@pytest.mark.parametrize(
    ("attributes", "llm"),
    [
        ({"openinference.span.kind": "CHAIN", "llm.model_name": "m"}, False),
        ({"openinference.span.kind": "llm"}, True),
        ({"langfuse.observation.type": "span", "gen_ai.request.model": "m"}, False),
        ({"langfuse.observation.type": "generation"}, True),
        ({"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "m"}, False),
        ({"gen_ai.operation.name": "execute_tool"}, False),
        ({"gen_ai.operation.name": "text_completion"}, True),
        ({"http.method": "GET"}, False),
        ({"gen_ai.request.model": "m"}, False),
        ({"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1}, True),
    ],
)
def test_which_spans_are_llm_calls(attributes: dict[str, Any], llm: bool) -> None:
    assert is_llm_span(attributes) is llm


def test_exception_event_gives_the_error_and_odd_values_are_dropped_not_raised() -> None:
    out = map_span(
        view(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.usage.input_tokens": -5,
                "gen_ai.usage.output_tokens": "many",
                "llm.cost.total": "NaN",
                "session.id": "x" * 400,
                "langfuse.observation.prompt.version": True,
            },
            [("exception", 5, {"exception.type": "Timeout", "exception.message": "slow"})],
            status_code=2,
            end_ns=0,
        ),
        prices=PRICES,
    )
    assert out is not None and (out.status, out.error_type, out.error_message) == (
        "error",
        "Timeout",
        "slow",
    )
    assert (out.tokens_in, out.tokens_out, out.cost, out.latency_ms) == (None, None, None, None)
    assert len(out.session_id) == 255 and out.prompt_version is None


def test_json_body_takes_hex_ids_as_otlp_json_says() -> None:
    body = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "parentSpanId": "eee19b7ec3c1b173",
                                "name": "chat",
                                "kind": 3,
                                "startTimeUnixNano": "1544712660000000000",
                                "endTimeUnixNano": "1544712661000000000",
                                "attributes": [
                                    {
                                        "key": "gen_ai.operation.name",
                                        "value": {"stringValue": "chat"},
                                    },
                                    {
                                        "key": "gen_ai.usage.input_tokens",
                                        "value": {"intValue": "7"},
                                    },
                                ],
                                "status": {"code": 2, "message": "boom"},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    request = decode_request(json.dumps(body).encode(), encoding="json")
    [span] = list(span_views(request, max_attribute_bytes=1000))
    assert span is not None
    assert (span.trace_id, span.span_id, span.parent_span_id) == (
        "5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174",
        "eee19b7ec3c1b173",
    )
    assert span.attributes["gen_ai.usage.input_tokens"] == 7 and span.status_code == 2
    assert span.end_ns - span.start_ns == 1_000_000_000


def test_inflate_stops_at_the_limit_and_refuses_truncated_gzip() -> None:
    data = gzip.compress(b"a" * 10_000)
    assert inflate(data, content_encoding="gzip", limit=10_000) == b"a" * 10_000
    with pytest.raises(OtlpError) as too_big:
        inflate(data, content_encoding="gzip", limit=9_999)
    assert too_big.value.status == 413
    with pytest.raises(OtlpError) as truncated:
        inflate(data[:-10], content_encoding="gzip", limit=10_000)
    assert truncated.value.status == 400
    with pytest.raises(OtlpError) as unknown:
        inflate(data, content_encoding="br", limit=10_000)
    assert unknown.value.status == 415
