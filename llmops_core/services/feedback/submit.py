"""Store feedback applications send about outputs: check every row, find every output, write once.

A row names its output by ``output_id``, by ``external_id``, by ``trace_id`` and ``span_id``,
or by ``trace_id`` alone (the trace's one LLM output). Rows count from 1. A bad row refuses
the whole request (400, row and field named); an output that is not stored refuses it too
(404, saying which key was not found): nothing is half-written. Feedback with an ``id`` the
project already has is not stored again; the answer names the stored row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from llmops_core.errors import DomainError
from llmops_core.models import Feedback, ModelOutput, Project
from llmops_core.services.feedback.values import FeedbackInvalid, FeedbackValues, feedback_values

MAX_ROWS = 1000
ID_MAX = 2**63 - 1  # a BigAutoField
_TRACE = re.compile(r"^[0-9a-f]{32}$")
_SPAN = re.compile(r"^[0-9a-f]{16}$")
ADDRESS_KEYS = ("output_id", "external_id", "trace_id", "span_id")


class FeedbackRowError(DomainError):
    """A row of a feedback request is wrong (400)."""


class FeedbackTargetMissing(DomainError):
    """A row names an output the project does not have (404)."""


@dataclass(frozen=True)
class Address:
    """How a row names its output: exactly one of the three ways."""

    output_id: int | None = None
    external_id: str = ""
    trace_id: str = ""
    span_id: str = ""

    def describe(self) -> str:
        if self.output_id is not None:
            return f"output_id {self.output_id}"
        if self.external_id:
            return f"external_id {self.external_id!r}"
        if self.span_id:
            return f"trace_id {self.trace_id} and span_id {self.span_id}"
        return f"trace_id {self.trace_id}"


@dataclass(frozen=True)
class FeedbackResult:
    """What happened to one row: the stored feedback's id, its output, whether it is new."""

    row: int
    id: int
    output_id: int | None  # None: waiting for its span (``pending``)
    client_id: str
    created: bool


def _row_error(row: int, field: str, message: str) -> FeedbackRowError:
    return FeedbackRowError(f'row {row}, field "{field}": {message}', row=row, field=field)


def _hex(raw: dict[str, Any], key: str, pattern: re.Pattern[str], digits: int, row: int) -> str:
    value = raw.get(key)
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not pattern.match(value.strip().lower()):
        raise _row_error(row, key, f"give {digits} hexadecimal digits")
    return value.strip().lower()


def _address(raw: dict[str, Any], row: int) -> Address:
    given = [
        key for key in ("output_id", "external_id", "trace_id") if raw.get(key) not in (None, "")
    ]
    if len(given) != 1:
        what = "none" if not given else " and ".join(given)
        raise _row_error(
            row,
            "output_id",
            f"name the output by one of output_id, external_id or trace_id "
            f"(with span_id); got {what}",
        )
    key = given[0]
    if raw.get("span_id") not in (None, "") and key != "trace_id":
        raise _row_error(row, "span_id", "span_id goes with trace_id")
    if key == "output_id":
        value = raw["output_id"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
            raise _row_error(row, "output_id", f"{str(value)[:40]!r} is not an output id")
        return Address(output_id=value)
    if key == "external_id":
        value = raw["external_id"]
        if not isinstance(value, str) or len(value) > 255:
            raise _row_error(row, "external_id", "give text of at most 255 characters")
        return Address(external_id=value)
    return Address(
        trace_id=_hex(raw, "trace_id", _TRACE, 32, row),
        span_id=_hex(raw, "span_id", _SPAN, 16, row),
    )


def _parse(rows: Sequence[Any]) -> list[tuple[Address, FeedbackValues]]:
    if not rows:
        raise FeedbackRowError("send one piece of feedback (an object) or a list of them")
    if len(rows) > MAX_ROWS:
        raise FeedbackRowError(f"at most {MAX_ROWS} rows per request (got {len(rows)})")
    parsed = []
    for number, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            raise FeedbackRowError(f"row {number}: give an object, not {type(raw).__name__}")
        address = _address(raw, number)
        try:
            parsed.append((address, feedback_values(raw)))
        except FeedbackInvalid as exc:
            raise _row_error(number, exc.field, str(exc)) from None
    return parsed


def _resolve(project: Project, addresses: list[Address], *, pending: bool) -> list[int | None]:
    """Return the output id of each address (one query per way of naming), or raise.

    With ``pending``, a span (or trace) not stored yet gives None: the feedback waits for it.
    """
    outputs = ModelOutput.objects.filter(project=project)
    by_id = set(
        outputs.filter(pk__in={a.output_id for a in addresses if a.output_id}).values_list(
            "pk", flat=True
        )
    )
    by_external = dict(
        outputs.filter(
            external_id__in={a.external_id for a in addresses if a.external_id}
        ).values_list("external_id", "pk")
    )
    traces = {a.trace_id for a in addresses if a.trace_id}
    by_trace: dict[str, list[tuple[str, int]]] = {}
    for trace, span, output_id in (
        outputs.filter(trace_id__in=traces).values_list("trace_id", "span_id", "pk").order_by("pk")
    ):
        by_trace.setdefault(trace, []).append((span, output_id))
    found: list[int | None] = []
    for number, address in enumerate(addresses, start=1):
        pk: int | None = None
        if address.output_id is not None:
            pk = address.output_id if address.output_id in by_id else None
        elif address.external_id:
            pk = by_external.get(address.external_id)
        elif address.span_id:
            spans = dict(by_trace.get(address.trace_id, []))
            pk = spans.get(address.span_id)
            if pk is None and pending and len(spans) == 1:
                # A score of another observation of the trace (an agent step, say): as with
                # spans, it is about the trace's one LLM output.
                pk = next(iter(spans.values()))
        else:
            candidates = by_trace.get(address.trace_id, [])
            if len(candidates) > 1:
                raise _row_error(
                    number,
                    "span_id",
                    f"trace {address.trace_id} has {len(candidates)} LLM "
                    "outputs; give span_id to say which one the feedback is about",
                )
            pk = candidates[0][1] if candidates else None
        if pk is None and not (pending and address.trace_id):
            raise FeedbackTargetMissing(
                f"row {number}: no output with {address.describe()} in project "
                f"{project.slug} (is the span or import stored yet?)",
                row=number,
            )
        found.append(pk)
    return found


def feedback_row(
    *, project_id: int, values: FeedbackValues, output_id: int | None, source: str, **extra: Any
) -> Feedback:
    """Return an unsaved feedback row of ``values``."""
    return Feedback(
        project_id=project_id,
        output_id=output_id,
        kind=values.kind,
        name=values.name,
        thumb=values.thumb,
        score=values.score,
        scale_min=values.scale_min,
        scale_max=values.scale_max,
        comment=values.comment,
        correction=values.correction,
        source=source,
        end_user_id=values.end_user_id,
        client_id=values.client_id,
        client_created_at=values.client_created_at,
        **extra,
    )


def feedback_submit(
    *, project: Project, rows: Sequence[Any], source: str, pending: bool = False
) -> list[FeedbackResult]:
    """Check, resolve and store feedback rows; return what happened to each, in row order.

    ``pending``: feedback about a span not stored yet waits for it (``spans``) instead of
    refusing the request; Langfuse's score API does so, as scores often outrun their traces.
    """
    parsed = _parse(rows)
    addresses = [address for address, _ in parsed]
    output_ids = _resolve(project, addresses, pending=pending)
    try:
        return _write(project, parsed, output_ids, source)
    except IntegrityError:
        # Another request stored one of these client ids in between: now they are existing.
        return _write(project, parsed, output_ids, source)


@transaction.atomic
def _write(
    project: Project,
    parsed: list[tuple[Address, FeedbackValues]],
    output_ids: list[int | None],
    source: str,
) -> list[FeedbackResult]:
    ids = {values.client_id for _, values in parsed if values.client_id}
    existing = dict(
        Feedback.objects.filter(project=project, client_id__in=ids).values_list("client_id", "pk")
    )
    outputs_of = dict(
        Feedback.objects.filter(pk__in=existing.values()).values_list("pk", "output_id")
    )
    new: list[tuple[int, Feedback]] = []
    claimed: dict[str, int] = {}
    for index, ((address, values), output_id) in enumerate(zip(parsed, output_ids, strict=True)):
        if values.client_id and (values.client_id in existing or values.client_id in claimed):
            continue
        if values.client_id:
            claimed[values.client_id] = index
        row = feedback_row(
            project_id=project.pk,
            values=values,
            output_id=output_id,
            source=source,
            trace_id=address.trace_id,
            span_id=address.span_id,
        )
        new.append((index, row))
    with transaction.atomic():
        created = Feedback.objects.bulk_create([row for _, row in new])
    made = {index: row for (index, _), row in zip(new, created, strict=True)}
    results = []
    for index, ((_, values), output_id) in enumerate(zip(parsed, output_ids, strict=True)):
        if index in made:
            row = made[index]
            results.append(FeedbackResult(index + 1, row.pk, output_id, values.client_id, True))
            continue
        client = values.client_id
        pk = existing.get(client) or made[claimed[client]].pk
        stored_output = outputs_of.get(pk, output_id) or output_id
        results.append(FeedbackResult(index + 1, pk, stored_output, client, False))
    return results
