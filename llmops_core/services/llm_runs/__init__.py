"""The shared machinery of LLM runs: chunks, leases, the call cache, resume, cancel and totals.

A run kind (``kinds``: judge runs and generation runs) plugs in with a ``RunPlan`` (``types``):
the run's subjects in a fixed order, the request for each, a parser, and how a successful reply
is written to the kind's own rows. ``llm_run_step`` then does one chunk of the run:

1. claim the run's lease (refused while another live step holds it);
2. take the next ``chunk_size`` subjects and skip those already recorded in ``LLMCall``
   (the unique subject per run is what makes a resumed run never repeat a finished call);
3. serve requests whose hash is in ``LLMCacheEntry`` without calling the endpoint (their rows
   written ``CACHE_WRITE_ROWS`` to a transaction);
4. ``run_calls`` the rest, recording results (``LLMCall``, cache entry, domain rows and the
   run's counters) on the calling thread as they arrive, those that arrive together in one
   transaction;
5. move the cursor and release the lease, or finish the run.

A step that dies loses at most its calls in flight. Its lease stays taken until the heartbeat
goes stale; ``llm_runs_resume_stale`` (``resume``, called by the stale-job sweep in
``services.jobs``) then frees it and enqueues a step. A run is a job like any other: its steps
are dispatched by job kind (``RunKind.job``) through ``services.jobs``; the lease stands in for
the claim because a run is many steps.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from llmops_core.errors import DomainError
from llmops_core.llm.datatypes import CallRequest
from llmops_core.llm.errors import LLMError
from llmops_core.models import JobStatus, LLMCacheEntry, LLMCall
from llmops_core.services.llm_runs.records import ChunkRecorder, Row
from llmops_core.services.llm_runs.resume import llm_runs_fail_exhausted, llm_runs_resume_stale
from llmops_core.services.llm_runs.totals import run_counters, run_finish, run_totals
from llmops_core.services.llm_runs.types import (
    PreparedCall,
    RunKind,
    RunPlan,
    StepOptions,
    StepOutcome,
)

__all__ = [
    "PreparedCall",
    "RunKind",
    "RunPlan",
    "StepOptions",
    "StepOutcome",
    "llm_run_request_cancel",
    "llm_run_step",
    "llm_runs_fail_exhausted",
    "llm_runs_resume_stale",
]

logger = logging.getLogger(__name__)
TOTALS_EVERY_SECONDS = 10.0
CACHE_WRITE_ROWS = 100


def _claim(kind: RunKind, run_id: int, stale_after: float) -> tuple[Any, str] | StepOutcome:
    """Take the run's lease and mark it running; or say why not (finished, busy)."""
    with transaction.atomic():
        run = kind.model.objects.select_for_update().filter(pk=run_id).first()  # type: ignore[attr-defined]
        if run is None or run.is_finished:
            return StepOutcome.DONE
        if run.cancel_requested:
            run_finish(kind.name, run, JobStatus.CANCELLED)
            return StepOutcome.DONE
        now = timezone.now()
        fresh = run.heartbeat_at and (now - run.heartbeat_at).total_seconds() < stale_after
        if run.lease_token and fresh:
            return StepOutcome.BUSY
        token = uuid.uuid4().hex
        run.lease_token, run.heartbeat_at, run.status = token, now, JobStatus.RUNNING
        run.started_at = run.started_at or now
        run.save(update_fields=["lease_token", "heartbeat_at", "status", "started_at"])
    return run, token


def llm_run_step(
    *,
    kind: RunKind,
    run_id: int,
    plan_for: Callable[[Any], RunPlan],
    options: StepOptions | None = None,
) -> StepOutcome:
    """Run the next chunk of run ``run_id``; safe to call twice, safe to kill at any line."""
    options = options or StepOptions()
    claimed = _claim(kind, run_id, options.stale_after)
    if isinstance(claimed, StepOutcome):
        return claimed
    run, token = claimed
    try:
        plan = plan_for(run)
        keys = list(plan.subject_keys())
        if run.total_calls != len(keys):
            kind.model.objects.filter(pk=run.pk).update(total_calls=len(keys))  # type: ignore[attr-defined]
            run.total_calls = len(keys)
        chunk = keys[run.cursor : run.cursor + max(1, options.chunk_size)]
        recorder = ChunkRecorder(
            kind.name,
            kind.model,
            run,
            token,
            plan,
            options.cancel_poll_seconds,
            run_counters(kind.name, run.pk),
            budget=getattr(plan, "budget", None),
        )
        if not recorder.over_budget():
            _run_chunk(recorder, plan, chunk, options)
        if not recorder.flush():
            return StepOutcome.BUSY
        if recorder.over_budget():
            return _advance(kind, run.pk, token, 0, stop_reason=recorder.budget_note())
    except (OperationalError, InterfaceError):
        _release(kind, run.pk, token)
        raise
    except (DomainError, LLMError) as exc:
        # A rule the run breaks (a refused host, an unbound key variable): say it plainly.
        logger.warning("%s run %s refused: %s", kind.name, run.pk, exc)
        _fail(kind, run.pk, token, str(exc))
        return StepOutcome.DONE
    except Exception as exc:
        logger.exception("%s run %s failed", kind.name, run.pk)
        _fail(kind, run.pk, token, f"{type(exc).__name__}: {exc}")
        return StepOutcome.DONE
    return _advance(kind, run.pk, token, len(chunk))


def _run_chunk(
    recorder: ChunkRecorder, plan: RunPlan, keys: Sequence[str], options: StepOptions
) -> None:
    """Record every subject of ``keys`` not recorded yet: from the cache or by calling."""
    done = set(
        LLMCall.objects.filter(
            run_kind=recorder.kind, run_id=recorder.run.pk, subject_key__in=keys
        ).values_list("subject_key", flat=True)
    )
    calls, failures = plan.prepare([key for key in keys if key not in done])
    for key, message in failures.items():
        recorder.record_unaskable(key, message)
    groups: dict[str, list[PreparedCall]] = {}
    for call in calls:
        groups.setdefault(call.request.key, []).append(call)
    recorder.groups = groups
    entries = LLMCacheEntry.objects.in_bulk(list(groups), field_name="request_hash")
    misses: list[CallRequest] = []
    served: list[Row] = []  # cache hits, written CACHE_WRITE_ROWS to a transaction
    for digest, group in groups.items():
        stop = recorder.should_stop()
        if stop or len(served) >= CACHE_WRITE_ROWS:
            recorder.write(served)
            served = []
        if stop:
            return
        entry = entries.get(digest)
        rows = recorder.cached_rows(group, entry) if entry is not None else None
        if rows is None:
            misses.append(group[0].request)
        else:
            served += rows
    recorder.write(served)
    if misses and not recorder.should_stop():
        # The executor builds the openai client: imported by the worker when it calls,
        # never by the web processes that import this package to create or cancel a run.
        from llmops_core.llm.executor import run_calls

        run_calls(
            misses,
            plan.endpoint,
            on_results=recorder.on_results,
            should_cancel=recorder.should_stop,
            concurrency=plan.concurrency,
            policy=options.policy,
            parser=plan.parser,
            prices=options.prices,
            sleep=options.sleep,
            cancel_poll_seconds=options.cancel_poll_seconds,
            cancel_grace=options.cancel_grace,
        )


def _advance(
    kind: RunKind, run_id: int, token: str, chunk_length: int, *, stop_reason: str = ""
) -> StepOutcome:
    """After a chunk: finish the run, or move the cursor and free the lease for the next step.

    ``stop_reason`` (the budget is spent) finishes the run as cancelled, saying why.
    """
    with transaction.atomic():
        run = kind.model.objects.select_for_update().filter(pk=run_id).first()  # type: ignore[attr-defined]
        if run is None or run.is_finished or run.lease_token != token:
            return StepOutcome.BUSY if run is not None and not run.is_finished else StepOutcome.DONE
        if run.cancel_requested or stop_reason:
            run_finish(kind.name, run, JobStatus.CANCELLED, error=stop_reason)
            return StepOutcome.DONE
        run.cursor = min(run.cursor + chunk_length, run.total_calls)
        if run.cursor >= run.total_calls:
            all_failed = run.total_calls > 0 and run.error_calls >= run.total_calls
            status = JobStatus.FAILED if all_failed else JobStatus.SUCCEEDED
            run_finish(kind.name, run, status)
            return StepOutcome.DONE
        if _totals_due(run.totals):
            run.totals = run_totals(kind.name, run.pk)
        # A finished chunk is progress: the step deaths counted so far no longer add up.
        run.lease_token, run.heartbeat_at, run.attempts = "", timezone.now(), 0
        run.save(update_fields=["cursor", "totals", "lease_token", "heartbeat_at", "attempts"])
    return StepOutcome.MORE


def _totals_due(totals: dict[str, Any]) -> bool:
    """Return whether a running run's totals are old enough to recompute (every 10 s at most)."""
    stamp = parse_datetime(str(totals.get("computed_at") or ""))
    return stamp is None or (timezone.now() - stamp).total_seconds() >= TOTALS_EVERY_SECONDS


def _release(kind: RunKind, run_id: int, token: str) -> None:
    """Free the lease after a transient error, so a retried step can take the run at once."""
    try:
        kind.model.objects.filter(pk=run_id, lease_token=token).update(lease_token="")  # type: ignore[attr-defined]
    except (OperationalError, InterfaceError):
        logger.warning("could not release the lease of %s run %s", kind.name, run_id)


def _fail(kind: RunKind, run_id: int, token: str, message: str) -> None:
    """Finish the run as failed with ``message``, if this step still holds it."""
    with transaction.atomic():
        run = kind.model.objects.select_for_update().filter(pk=run_id, lease_token=token).first()  # type: ignore[attr-defined]
        if run is not None and not run.is_finished:
            run_finish(kind.name, run, JobStatus.FAILED, error=message)


def llm_run_request_cancel(*, kind: RunKind, run: Any) -> Any:
    """Ask a run to stop: a pending run is cancelled at once, a running one at its next poll."""
    with transaction.atomic():
        locked = kind.model.objects.select_for_update().get(pk=run.pk)  # type: ignore[attr-defined]
        if locked.is_finished:
            return locked
        locked.cancel_requested = True
        locked.save(update_fields=["cancel_requested"])
        if locked.status == JobStatus.PENDING:
            run_finish(kind.name, locked, JobStatus.CANCELLED)
    return locked
