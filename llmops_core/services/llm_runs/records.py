"""Record one chunk's results: ``LLMCall`` rows, the cache and the domain rows.

Results that arrive together (calls that finished while the last ones were being written, or
a run of cache hits) are written in one transaction, with one insert per table rather than one
per result: a result is in the database as soon as the thread gets to it, and never waits for
others. The run row's counters are a running copy of what its ``LLMCall`` rows add up to: the
step keeps them in memory and writes them with its heartbeat (every ``poll_seconds``) and at
the end of the chunk. A step starts from the recorded calls (``run_counters``), so counts lost
with a killed step are found again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from llmops_core.llm.datatypes import CallResult, ErrorKind
from llmops_core.llm.errors import ParseError
from llmops_core.models import CallStatus, LLMCacheEntry, LLMCall
from llmops_core.services.llm_runs.totals import Counters
from llmops_core.services.llm_runs.types import PreparedCall, RunPlan


def jsonable(value: Any) -> Any:
    """Return a parsed reply as JSON data (a dataclass becomes a dict) for the cache."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dict(vars(value))
    return value


@dataclasses.dataclass(frozen=True)
class Row:
    """One subject's ``LLMCall`` to write: its fields, the parsed reply and what it adds."""

    key: str
    digest: str
    model_name: str
    fields: dict[str, Any]
    parsed: Any = None
    cache: CallResult | None = None  # a paid, successful reply becomes a cache entry
    call: PreparedCall | None = None  # the plan records domain rows for it unless it failed


def _attempt_note(result: CallResult) -> str:
    """Return the failed attempts of a call that succeeded in the end, one per line."""
    if not result.attempt_errors:
        return ""
    return "recovered after: " + "; ".join(result.attempt_errors)


class ChunkRecorder:
    """Write results of one chunk as they arrive, on the calling thread, holding the lease.

    The heartbeat checks the lease: a step that lost the run (it was presumed dead and another
    step took over) stops within ``poll_seconds``; a call it records meanwhile is still a
    correct, unique result, and the new step counts it from the rows.
    """

    def __init__(
        self,
        kind: str,
        model: type[Model],
        run: Any,
        token: str,
        plan: RunPlan,
        poll_seconds: float,
        counters: Counters,
        *,
        budget: Decimal | None = None,
    ) -> None:
        self.kind, self.model, self.run, self.token, self.plan = kind, model, run, token, plan
        self.poll_seconds = poll_seconds
        self.counters = counters
        self.budget = budget
        self.groups: dict[str, list[PreparedCall]] = {}
        self.stopped = False
        self.lost = False
        self.next_poll = 0.0

    def flush(self) -> bool:
        """Write the counters and the heartbeat; return False if another step holds the run."""
        held = self.model.objects.filter(  # type: ignore[attr-defined]
            pk=self.run.pk, lease_token=self.token
        ).update(heartbeat_at=timezone.now(), **self.counters.as_fields(self.run.total_calls))
        self.lost = self.lost or not held
        return bool(held)

    def should_stop(self) -> bool:
        """Beat the heartbeat and return whether the run was cancelled or taken over."""
        if self.stopped:
            return True
        now = time.monotonic()
        if now < self.next_poll:
            return False
        self.next_poll = now + self.poll_seconds
        held = self.flush()
        cancelled = self.model.objects.filter(  # type: ignore[attr-defined]
            pk=self.run.pk, cancel_requested=True
        ).exists()
        self.stopped = not held or cancelled or self.over_budget()
        return self.stopped

    def over_budget(self) -> bool:
        """Return whether the run has paid its budget (if it has one)."""
        return self.budget is not None and self.counters.cost >= self.budget

    def budget_note(self) -> str:
        """Return why a run stopped at its budget, for the run's error field."""
        return (
            f"stopped at its budget: {self.counters.cost:.6f} spent of {self.budget} "
            "(calls in flight when it was reached were still recorded)"
        )

    def on_result(self, result: CallResult) -> None:
        """Record a finished call for every subject that asked the same request."""
        self.on_results([result])

    def on_results(self, results: Sequence[CallResult]) -> None:
        """Record calls that finished together, in one transaction."""
        self.write([row for result in results for row in self._result_rows(result)])

    def _result_rows(self, result: CallResult) -> list[Row]:
        """Return the rows of a finished call: the paid one, then its group's copies."""
        if result.error_kind == ErrorKind.CANCELLED:
            return []  # not finished: a resumed run asks it again
        first, *rest = self.groups[result.key]
        if result.ok:
            rows = [self._row(first, self._fields(result, CallStatus.OK), result.parsed, result)]
            entry = self._cache_fields(result)
            rows += [self._row(call, self._cached_fields(entry), result.parsed) for call in rest]
            return rows
        rows = [self._row(first, self._fields(result, CallStatus.ERROR))]
        for call in rest:
            fields = {
                "status": CallStatus.ERROR,
                "error_kind": result.error_kind or ErrorKind.INTERNAL,
                "error": f'same request as "{first.subject_key}", which failed: {result.error}',
            }
            rows.append(self._row(call, fields))
        return rows

    def cached_rows(self, group: Sequence[PreparedCall], entry: LLMCacheEntry) -> list[Row] | None:
        """Return the group's rows served from a cache entry; None when it no longer parses."""
        parsed: Any = entry.content
        if self.plan.parser is not None:
            try:
                parsed = self.plan.parser(group[0].request, entry.content)
            except ParseError:
                return None
        fields = self._cached_fields(
            {"content": entry.content, "tokens_in": entry.tokens_in, "tokens_out": entry.tokens_out}
        )
        return [self._row(call, fields, parsed) for call in group]

    def record_unaskable(self, key: str, message: str) -> None:
        """Record a subject whose request cannot be built (its output is gone, bad input)."""
        fields = {"status": CallStatus.ERROR, "error_kind": "bad_subject", "error": message}
        self.write([Row(key, "", "", fields)])

    def _fields(self, result: CallResult, status: str) -> dict[str, Any]:
        """Return the ``LLMCall`` fields of a call the endpoint answered (or failed)."""
        parse_problem = result.error if result.error_kind == ErrorKind.PARSE_ERROR else ""
        error = _attempt_note(result) if result.ok else ("" if parse_problem else result.error)
        return {
            "status": status,
            "error_kind": result.error_kind or "",
            "error": error,
            "parse_error": parse_problem,
            "attempts": result.attempts,
            "retries": result.retries,
            "repaired": result.repaired,
            "latency_ms": round(result.latency_ms) if result.latency_ms is not None else None,
            "tokens_in": result.tokens_in or 0,
            "tokens_out": result.tokens_out or 0,
            "cost": result.cost,
            "content": result.content or "",
            "raw_response": result.raw,
        }

    @staticmethod
    def _cache_fields(result: CallResult) -> dict[str, Any]:
        return {
            "content": result.content or "",
            "tokens_in": result.tokens_in or 0,
            "tokens_out": result.tokens_out or 0,
        }

    @staticmethod
    def _cached_fields(entry: dict[str, Any]) -> dict[str, Any]:
        """Return the fields of a call served from the cache: nothing paid, nothing waited."""
        return {"status": CallStatus.CACHED, "content": entry["content"], "cost": Decimal(0)}

    @staticmethod
    def _row(
        call: PreparedCall,
        fields: dict[str, Any],
        parsed: Any = None,
        paid: CallResult | None = None,
    ) -> Row:
        cache = paid if paid is not None and paid.ok else None
        return Row(
            call.subject_key, call.request.key, call.request.model, fields, parsed, cache, call
        )

    def write(self, rows: Sequence[Row]) -> None:
        """Write rows, their cache entries and domain rows in one transaction, then count them.

        If another step recorded one of the subjects first (the unique subject per run), the
        rows are written one by one instead and that subject's is dropped: the run's counters
        come from the rows.
        """
        if not rows:
            return
        try:
            with transaction.atomic():
                self._insert(rows)
        except IntegrityError:
            if len(rows) > 1:
                for row in rows:
                    self.write([row])
            return
        for row in rows:
            self.counters.add(row.fields)

    def _insert(self, rows: Sequence[Row]) -> None:
        run = self.run
        LLMCall.objects.bulk_create(
            LLMCall(
                project_id=run.project_id,
                run_kind=self.kind,
                run_id=run.pk,
                subject_key=row.key,
                request_hash=row.digest,
                model_name=row.model_name,
                **row.fields,
            )
            for row in rows
        )
        entries = [
            LLMCacheEntry(
                request_hash=row.digest,
                model_name=row.model_name,
                content=row.cache.content or "",
                parsed=jsonable(row.cache.parsed),
                tokens_in=row.cache.tokens_in or 0,
                tokens_out=row.cache.tokens_out or 0,
                cost=row.cache.cost,  # the raw reply stays on the paid LLMCall
            )
            for row in rows
            if row.cache is not None
        ]
        if entries:
            LLMCacheEntry.objects.bulk_create(entries, ignore_conflicts=True)
        replies = [
            (row.call, row.parsed)
            for row in rows
            if row.call is not None and row.fields["status"] != CallStatus.ERROR
        ]
        record_many = getattr(self.plan, "record_many", None)
        if record_many is not None:
            record_many(replies)
        else:
            for call, parsed in replies:
                self.plan.record(call, parsed)
