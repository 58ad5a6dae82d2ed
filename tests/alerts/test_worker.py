"""Alerts on a real worker and broker: beat's task evaluates, the delivery retries and lands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from llmops_core.models import AlertDelivery, AlertEvent, AlertRule, ModelOutput, Project
from llmops_core.tasks.alerts import alert_rules_evaluate_due_task
from tests.alerts.conftest import Receiver
from tests.factories import ModelOutputFactory
from tests.support.db import database_url_for_subprocess
from tests.support.worker import WorkerProcess, wait_for


@pytest.fixture
def fast_retry_worker(transactional_db: None) -> Iterator[WorkerProcess]:
    """A real ``celery worker`` whose failed deliveries are retried after 1 s, then 2 s."""
    worker = WorkerProcess(
        database_url=database_url_for_subprocess(),
        env={"ALERT_DELIVERY_BACKOFF_SECONDS": "1"},
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_task_fires_and_a_failing_webhook_is_retried_on_the_worker(
    fast_retry_worker: WorkerProcess,
    project: Project,
    make_rule: Callable[..., AlertRule],
    receiver: Receiver,
) -> None:
    for _ in range(3):
        ModelOutputFactory(project=project)
    ModelOutput.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    rule = make_rule(
        metric="requests", alert_threshold=2, webhook_url=receiver.url, emails=["ops@example.com"]
    )
    receiver.statuses = [500, 500]
    alert_rules_evaluate_due_task.delay()
    log = fast_retry_worker.log
    assert wait_for(lambda: len(receiver.received) >= 3, timeout=60), log()
    assert wait_for(
        lambda: AlertDelivery.objects.filter(
            channel="webhook", delivered_at__isnull=False
        ).exists(),
        timeout=30,
    ), log()
    event = AlertEvent.objects.get(rule=rule)
    assert (event.from_state, event.to_state, event.value) == ("ok", "alert", 3.0)
    hook = AlertDelivery.objects.get(event=event, channel="webhook")
    assert hook.attempts == 3 and all(r.signature_ok() for r in receiver.received)
    assert wait_for(
        lambda: AlertDelivery.objects.filter(channel="email", delivered_at__isnull=False).exists(),
        timeout=30,
    ), log()
    alert_rules_evaluate_due_task.delay()  # a second beat tick in the same minute: no new event
    assert not wait_for(lambda: AlertEvent.objects.filter(rule=rule).count() > 1, timeout=3)
