"""Store the feedback a batch of spans carried, and attach waiting feedback to new outputs.

Called by the span store inside its transaction, so feedback commits with the batch's outputs.
Feedback about a span that is stored (in this batch or before) is attached to its output;
feedback about a span not stored yet waits (``output`` empty, its trace and span ids kept)
and is attached when a later batch stores that span. A feedback event that cannot be read
(a thumbs value of "maybe") is logged and left out: the batch was acknowledged long ago.
Each row's client id is the application's ``feedback.id``, else where it came from
(``otlp:<trace>:<span>:<event>``), so a batch stored twice stores its feedback once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from llmops_core.io.otlp.feedback import SpanFeedback
from llmops_core.models import Feedback, FeedbackSource, ModelOutput
from llmops_core.services.feedback.submit import feedback_row
from llmops_core.services.feedback.values import FeedbackInvalid, feedback_values

logger = logging.getLogger(__name__)


def _targets(project_id: int, traces: set[str]) -> dict[str, list[tuple[str, int]]]:
    """Return each trace's stored outputs as (span id, output id), oldest first."""
    found: dict[str, list[tuple[str, int]]] = {}
    rows = (
        ModelOutput.objects.filter(project_id=project_id, trace_id__in=traces)
        .order_by("pk")
        .values_list("trace_id", "span_id", "pk")
    )
    for trace, span, pk in rows:
        found.setdefault(trace, []).append((span, pk))
    return found


def _output_of(item_trace: str, item_span: str, outputs: list[tuple[str, int]]) -> int | None:
    """Return the output a feedback item is about: its span's, else the trace's only one."""
    for span, pk in outputs:
        if span == item_span:
            return pk
    return outputs[0][1] if len(outputs) == 1 else None


def span_feedback_store(
    *, project_id: int, items: Sequence[SpanFeedback], created: Sequence[int]
) -> int:
    """Store the feedback of a batch's spans and attach waiting feedback; return rows stored."""
    stored = _store(project_id, items) if items else 0
    if created:
        feedback_pending_attach(project_id=project_id, output_ids=created)
    return stored


def _store(project_id: int, items: Sequence[SpanFeedback]) -> int:
    outputs = _targets(project_id, {item.trace_id for item in items})
    rows = []
    for item in items:
        raw = {**item.fields, "end_user_id": item.end_user_id, "timestamp": item.time}
        raw["id"] = raw.get("id") or f"otlp:{item.ref}"
        try:
            values = feedback_values(raw)
        except FeedbackInvalid as exc:
            logger.warning("feedback of span %s left out: %s: %s", item.ref, exc.field, exc)
            continue
        output_id = _output_of(item.trace_id, item.span_id, outputs.get(item.trace_id, []))
        rows.append(
            feedback_row(
                project_id=project_id,
                values=values,
                output_id=output_id,
                source=FeedbackSource.OTLP,
                trace_id=item.trace_id,
                span_id=item.span_id,
            )
        )
    # Client ids are unique per project: feedback stored by an earlier run is skipped.
    Feedback.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def feedback_pending_attach(*, project_id: int, output_ids: Sequence[int]) -> int:
    """Attach waiting feedback to the outputs just stored that it names; return how many."""
    waiting = Feedback.objects.filter(project_id=project_id, output__isnull=True)
    if not waiting.exists():  # the partial index answers this without reading a row
        return 0
    spans = ModelOutput.objects.filter(pk__in=list(output_ids)).values_list(
        "trace_id", "span_id", "pk"
    )
    by_span = {(trace, span): pk for trace, span, pk in spans if trace}
    traces = {trace for trace, _ in by_span}
    attached = 0
    rows = waiting.filter(trace_id__in=traces).values_list("pk", "trace_id", "span_id")
    for pk, trace, span in rows:
        output = by_span.get((trace, span))
        if output is None:
            # About the trace, or a span that is not an output: the trace's first LLM output
            # when no span was named, its only one when one was.
            ours = sorted(p for (t, _), p in by_span.items() if t == trace)
            output = ours[0] if ours and (not span or len(ours) == 1) else None
        if output is not None:
            attached += Feedback.objects.filter(pk=pk, output__isnull=True).update(output_id=output)
    return attached
