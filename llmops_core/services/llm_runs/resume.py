"""Resume LLM runs whose step died or whose message was lost, and stop those that keep dying.

The stale-job sweep (``services.jobs.sweep``) calls both every minute.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from llmops_core.models import JobStatus
from llmops_core.services.jobs import job_enqueue
from llmops_core.services.llm_runs.kinds import RUN_KINDS
from llmops_core.services.llm_runs.totals import run_finish
from llmops_core.services.llm_runs.types import RunKind, StepOptions


def _stale(kind: RunKind, older_than: float | None) -> Any:
    """Return the unfinished runs of ``kind`` with no sign of life for ``older_than`` seconds."""
    seconds = older_than if older_than is not None else StepOptions().stale_after
    cutoff = timezone.now() - timedelta(seconds=seconds)
    return kind.model.objects.filter(  # type: ignore[attr-defined]
        status__in=[JobStatus.PENDING, JobStatus.RUNNING]
    ).filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff))


def llm_runs_resume_stale(*, older_than: float | None = None) -> list[tuple[str, int]]:
    """Free the lease of every unfinished run with no sign of life and enqueue a step for it.

    A run is stale when its heartbeat is older than ``older_than`` seconds (the
    ``LLM_RUN_STALE_SECONDS`` setting by default): its worker died, or the message for its
    next chunk was lost. Freeing the lease only if it is unchanged means two resumers never
    enqueue the same run twice, and a step that was merely slow notices it lost the run.

    A run whose lease was still taken died with its step: that counts an attempt (a finished
    chunk sets the count back to 0, see ``_advance``), which is what lets
    ``llm_runs_fail_exhausted`` stop a run that kills its worker every time. A run with a free
    lease only lost a message (or waits in a long queue): enqueueing it again costs nothing,
    since a step that finds the lease taken does no work.
    """
    resumed: list[tuple[str, int]] = []
    for kind in RUN_KINDS:
        manager = kind.model.objects  # type: ignore[attr-defined]
        for row in _stale(kind, older_than).values("pk", "lease_token", "heartbeat_at"):
            died = F("attempts") + 1 if row["lease_token"] else F("attempts")
            with transaction.atomic():
                freed = manager.filter(
                    pk=row["pk"], lease_token=row["lease_token"], heartbeat_at=row["heartbeat_at"]
                ).update(lease_token="", heartbeat_at=timezone.now(), attempts=died)
                if freed:
                    job_enqueue(kind.job, row["pk"])
                    resumed.append((kind.name, row["pk"]))
    return resumed


def llm_runs_fail_exhausted(
    *, max_attempts: int, older_than: float | None = None
) -> list[tuple[str, int]]:
    """Fail every stale run whose step died ``max_attempts`` times without finishing a chunk.

    Without this a run whose chunk kills its worker every time (out of memory on a reply, a
    crash in a parser) would be resumed forever. Its recorded calls stay; starting the run
    again pays for none of them.
    """
    failed: list[tuple[str, int]] = []
    for kind in RUN_KINDS:
        rows = (
            _stale(kind, older_than)
            .exclude(lease_token="")
            .filter(attempts__gte=max_attempts)
            .values_list("pk", flat=True)
        )
        for pk in rows:
            with transaction.atomic():
                run = kind.model.objects.select_for_update().filter(pk=pk).first()  # type: ignore[attr-defined]
                if run is None or run.is_finished or not run.lease_token:
                    continue
                run_finish(
                    kind.name,
                    run,
                    JobStatus.FAILED,
                    error=(
                        f"gave up after {run.attempts} attempts: the worker running it stopped "
                        "each time before it finished a chunk (killed, or out of memory). Start "
                        "the run again to go on: the calls it recorded are not paid for again."
                    ),
                )
                failed.append((kind.name, pk))
    return failed
