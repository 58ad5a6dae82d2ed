"""Failed logins from many processes at once, on PostgreSQL: every one is counted."""

from __future__ import annotations

import pytest

from llmops_core.models import AuditEvent, LoginFailureCounter
from llmops_core.services.login_limits import login_failure_record
from tests.concurrency.test_claims import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 24


def test_simultaneous_failures_are_each_counted_once(settings: object) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USER = 10  # type: ignore[attr-defined]
    run_threads(THREADS, lambda i: login_failure_record(username="mallory", ip=f"10.0.0.{i}"))
    assert LoginFailureCounter.objects.get(key="user:mallory").failures == THREADS
    # Exactly one failure reached the limit, so the lock-out was audited once.
    assert AuditEvent.objects.filter(action="login.locked").count() == 1
