"""End-user feedback carried by spans: ``feedback`` events and ``feedback.*`` attributes.

An application records feedback on the LLM span itself, as an event named ``feedback``
(one event per piece of feedback; the event's time is when the user gave it), or, when the
user answers after the span ended, on a span of its own (a child of the LLM span, or any span
with ``feedback.span_id``) carrying the same names as span attributes. The names:

- ``feedback.type``: ``thumbs``, ``score``, ``comment`` or ``correction`` (optional when the
  value says it: a ``feedback.correction`` alone is a correction, a comment alone a comment)
- ``feedback.value``: thumbs ``up``/``down`` (or true/false, 1/0); a score's number
- ``feedback.scale_min``, ``feedback.scale_max``: the score's scale
- ``feedback.comment``, ``feedback.correction``: text
- ``feedback.name``: the application's name for it; ``feedback.id``: its own id (sending it
  again stores nothing); ``enduser.id`` or ``user.id``: who gave it (else the span's user)
- ``feedback.trace_id``, ``feedback.span_id``: the output it is about, when the span carrying
  it is not that output (by default the span's parent, or the span itself if it is an LLM call)

Looking costs a dict lookup per span and a name comparison per event; only spans that carry
feedback build anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from llmops_core.io.otlp import conventions as c
from llmops_core.io.otlp.spans import SpanView

EVENT = "feedback"
PREFIX = "feedback."
TYPE = "feedback.type"
VALUE = "feedback.value"
COMMENT = "feedback.comment"
CORRECTION = "feedback.correction"
# The attributes read into a feedback item, by the item's own key.
FIELDS = {
    "type": TYPE,
    "value": VALUE,
    "scale_min": "feedback.scale_min",
    "scale_max": "feedback.scale_max",
    "comment": COMMENT,
    "correction": CORRECTION,
    "name": "feedback.name",
    "id": "feedback.id",
}
# Any of these on a span marks it as carrying feedback in its attributes.
MARKS = (TYPE, VALUE, COMMENT, CORRECTION)
TARGET_TRACE = "feedback.trace_id"
TARGET_SPAN = "feedback.span_id"
USER_KEYS = ("enduser.id", "user.id")


@dataclass(frozen=True, slots=True)
class SpanFeedback:
    """One piece of feedback a span carried, with the span it is about.

    ``span_id`` empty means "the trace's LLM output". ``ref`` names where it came from
    (``<trace>:<span>:<event index>`` or ``…:attributes``), which makes a stable client id
    when the application gave none.
    """

    trace_id: str
    span_id: str
    fields: dict[str, Any]
    end_user_id: str
    time: datetime | None
    ref: str


def _fields(attributes: dict[str, Any]) -> dict[str, Any]:
    return {key: attributes[name] for key, name in FIELDS.items() if name in attributes}


def _user(attributes: dict[str, Any], span: SpanView) -> str:
    for key in (*USER_KEYS, *c.USER_KEYS):
        value = attributes.get(key) or span.attributes.get(key)
        if isinstance(value, str) and value:
            return value[:255]
    return ""


def _hex(value: Any, length: int) -> str:
    if not isinstance(value, str):
        return ""
    value = value.strip().lower()
    return value if len(value) == length and all(ch in "0123456789abcdef" for ch in value) else ""


def _target(attributes: dict[str, Any], span: SpanView, *, is_output: bool) -> tuple[str, str]:
    """Return the (trace id, span id) the feedback is about."""
    trace = _hex(attributes.get(TARGET_TRACE), 32) or span.trace_id
    named = _hex(attributes.get(TARGET_SPAN), 16)
    if named:
        return trace, named
    if trace != span.trace_id:  # another trace, no span: that trace's output
        return trace, ""
    if is_output:
        return trace, span.span_id
    return trace, span.parent_span_id


def _time(nanos: int) -> datetime | None:
    return datetime.fromtimestamp(nanos / 1e9, tz=UTC) if nanos > 0 else None


def span_feedback(span: SpanView, *, is_output: bool) -> list[SpanFeedback]:
    """Return the feedback ``span`` carries (none for almost every span).

    ``is_output``: the span is an LLM call stored as an output, so feedback on it is about it.
    """
    found: list[SpanFeedback] = []
    base = f"{span.trace_id}:{span.span_id}"
    for index, (name, nanos, attributes) in enumerate(span.events):
        if name != EVENT:
            continue
        trace, target = _target(attributes, span, is_output=is_output)
        found.append(
            SpanFeedback(
                trace,
                target,
                _fields(attributes),
                _user(attributes, span),
                _time(nanos),
                f"{base}:{index}",
            )
        )
    attributes = span.attributes
    if any(mark in attributes for mark in MARKS):
        trace, target = _target(attributes, span, is_output=is_output)
        found.append(
            SpanFeedback(
                trace,
                target,
                _fields(attributes),
                _user({}, span),
                _time(span.end_ns),
                f"{base}:attributes",
            )
        )
    return found


def carries_feedback(span: SpanView) -> bool:
    """Return whether a span may carry feedback: the cheap test of the per-span loop."""
    attributes = span.attributes
    # Spelled out rather than any(...): this runs for every span of every batch.
    if TYPE in attributes or VALUE in attributes or COMMENT in attributes:
        return True
    if CORRECTION in attributes:
        return True
    for event in span.events:  # noqa: SIM110 (a loop: no generator per span)
        if event[0] == EVENT:
            return True
    return False
