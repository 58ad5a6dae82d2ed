"""A span-batch task goes on with the batches still waiting, one claim at a time, up to a cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from llmops_core.models import JobStatus, ModelOutput, SpanBatch
from llmops_core.services.traces import span_batch_process, store
from tests.traces.conftest import Sender
from tests.traces.spans import body, llm_spans

pytestmark = pytest.mark.django_db


def _post(sender: Sender, batches: int) -> list[int]:
    for _ in range(batches):
        assert sender.post(body(llm_spans(2))).status_code == 200
    return list(SpanBatch.objects.order_by("pk").values_list("pk", flat=True))


def _statuses() -> list[str]:
    return list(SpanBatch.objects.order_by("pk").values_list("status", flat=True))


def test_a_task_stores_the_batches_waiting_after_its_own(sender: Sender) -> None:
    first, second, third = _post(sender, 3)
    assert span_batch_process(batch_id=second) is True
    assert _statuses() == [JobStatus.SUCCEEDED] * 3
    assert ModelOutput.objects.count() == 6
    # The messages of the batches it took find them done and change nothing.
    assert span_batch_process(batch_id=first) is False
    assert span_batch_process(batch_id=third) is False
    assert ModelOutput.objects.count() == 6
    assert list(SpanBatch.objects.values_list("attempts", flat=True)) == [1, 1, 1]


def test_a_task_takes_at_most_batches_per_task(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BATCHES_PER_TASK", 2)
    first, _, _ = _post(sender, 3)
    span_batch_process(batch_id=first)
    assert _statuses() == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED, JobStatus.PENDING]


def test_a_task_whose_batch_another_worker_took_still_takes_the_waiting_ones(
    sender: Sender,
) -> None:
    first, _, _ = _post(sender, 3)
    SpanBatch.objects.filter(pk=first).update(status=JobStatus.RUNNING, heartbeat_at=timezone.now())
    assert span_batch_process(batch_id=first) is False
    assert _statuses() == [JobStatus.RUNNING, JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]


def test_claim_next_takes_the_oldest_pending_batch_and_never_a_running_one(
    sender: Sender,
) -> None:
    first, second, third = _post(sender, 3)
    # A running batch is another worker's, even one quiet for long (the sweep's to resume).
    SpanBatch.objects.filter(pk=first).update(
        status=JobStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(days=1)
    )
    assert store.span_batch_claim_next() == second
    assert store.span_batch_claim_next() == third
    assert store.span_batch_claim_next() is None
    assert _statuses() == [JobStatus.RUNNING] * 3


def test_claim_next_passes_over_a_batch_another_worker_claims_first(
    sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _post(sender, 2)
    real_claim = store.job_claim

    def claimed_by_another_first(*, model: type[SpanBatch], job_id: int) -> bool:
        if job_id == first:  # between this worker's read and its claim
            SpanBatch.objects.filter(pk=first).update(status=JobStatus.RUNNING)
        return real_claim(model=model, job_id=job_id)

    monkeypatch.setattr(store, "job_claim", claimed_by_another_first)
    assert store.span_batch_claim_next() == second
