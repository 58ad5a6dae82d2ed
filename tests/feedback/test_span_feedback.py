"""Which spans carry feedback and which output it is about (pure: plain span views)."""

from __future__ import annotations

from typing import Any

import pytest

from llmops_core.io.otlp.feedback import carries_feedback, span_feedback
from llmops_core.io.otlp.spans import SpanView

TRACE, SPAN, PARENT = "a" * 32, "b" * 16, "c" * 16


def view(
    attributes: dict[str, Any] | None = None,
    events: list[tuple[str, int, dict[str, Any]]] | None = None,
    parent: str = PARENT,
) -> SpanView:
    return SpanView(
        TRACE,
        SPAN,
        parent,
        "span",
        1,
        2_000_000_000,
        attributes or {},
        events or [],
        0,
        "",
        {},
        "app",
    )


def test_spans_without_feedback_names_carry_none() -> None:
    plain = view({"gen_ai.operation.name": "chat"}, [("gen_ai.choice", 1, {})])
    assert not carries_feedback(plain) and span_feedback(plain, is_output=True) == []


def test_each_feedback_event_is_one_item_about_the_llm_span() -> None:
    events = [
        ("feedback", 5_000_000_000, {"feedback.value": "down", "enduser.id": "u-1"}),
        ("gen_ai.choice", 1, {}),
        ("feedback", 6_000_000_000, {"feedback.comment": "meh", "feedback.id": "x"}),
    ]
    first, second = span_feedback(view(events=events), is_output=True)
    assert (first.trace_id, first.span_id, first.ref) == (TRACE, SPAN, f"{TRACE}:{SPAN}:0")
    assert first.fields == {"value": "down"} and first.end_user_id == "u-1"
    assert first.time is not None and first.time.timestamp() == 5
    assert second.fields == {"comment": "meh", "id": "x"} and second.ref.endswith(":2")


@pytest.mark.parametrize(
    ("attributes", "parent", "is_output", "target"),
    [
        ({"feedback.value": "up"}, PARENT, True, (TRACE, SPAN)),  # on the LLM span
        ({"feedback.value": "up"}, PARENT, False, (TRACE, PARENT)),  # a child of it
        ({"feedback.value": "up"}, "", False, (TRACE, "")),  # a root span: the trace's output
        ({"feedback.value": "up", "feedback.span_id": "D" * 16}, PARENT, False, (TRACE, "d" * 16)),
        ({"feedback.value": "up", "feedback.trace_id": "e" * 32}, PARENT, False, ("e" * 32, "")),
        ({"feedback.value": "up", "feedback.span_id": "nope"}, PARENT, False, (TRACE, PARENT)),
    ],
)
def test_feedback_attributes_name_their_output(
    attributes: dict[str, Any], parent: str, is_output: bool, target: tuple[str, str]
) -> None:
    span = view({**attributes, "user.id": "u-9"}, parent=parent)
    assert carries_feedback(span)
    (item,) = span_feedback(span, is_output=is_output)
    assert (item.trace_id, item.span_id) == target
    assert item.end_user_id == "u-9" and item.ref == f"{TRACE}:{SPAN}:attributes"
