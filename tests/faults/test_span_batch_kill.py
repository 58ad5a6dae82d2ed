"""A worker SIGKILLed while it maps span batches loses no acknowledged span and stores none twice.

Forty batches of 128 LLM spans are acknowledged, a worker is killed while it is inside one of
them, and the stale-job sweep hands what was left (the batch it was in, and the ones whose
messages it had taken) to a new worker: every span ends up stored exactly once.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Count
from django.test import Client

from llmops_core.models import JobStatus, ModelOutput, Project, SpanBatch
from llmops_core.services.ingest_keys import ingest_key_create
from llmops_core.services.jobs.sweep import jobs_resume_stale
from tests.support.db import database_url_for_subprocess
from tests.support.worker import WorkerProcess, wait_for
from tests.traces.conftest import Sender
from tests.traces.spans import body, llm_spans

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BATCHES, PER_BATCH = 40, 128


def _caught_mid_batch() -> bool:
    statuses = dict(
        SpanBatch.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return statuses.get(JobStatus.SUCCEEDED, 0) >= 2 and statuses.get(JobStatus.RUNNING, 0) == 1


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    project: Project, settings: Any
) -> None:
    key, secret = ingest_key_create(project=project)
    sender = Sender(Client(), key, secret)
    for _ in range(BATCHES):
        assert sender.post(body(llm_spans(PER_BATCH))).status_code == 200
    worker = WorkerProcess(database_url=database_url_for_subprocess(), concurrency=1)
    worker.start()
    try:
        assert wait_for(_caught_mid_batch, timeout=120, interval=0.01), worker.log()[-3000:]
    finally:
        worker.kill()
    killed = SpanBatch.objects.get(status=JobStatus.RUNNING)
    assert killed.body is not None and killed.attempts == 1
    stored_before = ModelOutput.objects.count()
    assert stored_before < BATCHES * PER_BATCH and stored_before % PER_BATCH == 0

    replacement = WorkerProcess(database_url=database_url_for_subprocess(), concurrency=1)
    replacement.start()
    try:
        # What the beat task does once the dead worker's batch and lost messages look stale.
        settings.JOB_STALE_SECONDS = 1
        settings.JOB_PENDING_GRACE_SECONDS = 1

        def all_done() -> bool:
            jobs_resume_stale()
            return not SpanBatch.objects.exclude(status=JobStatus.SUCCEEDED).exists()

        assert wait_for(all_done, timeout=180, interval=2), replacement.log()[-3000:]
    finally:
        replacement.kill()

    assert ModelOutput.objects.count() == BATCHES * PER_BATCH
    assert (
        ModelOutput.objects.values("trace_id", "span_id").distinct().count() == BATCHES * PER_BATCH
    )
    killed.refresh_from_db()
    assert killed.attempts == 2 and killed.spans_stored == PER_BATCH and killed.body is None
