"""Deliveries: signed webhooks to a local receiver, email, retries with backoff, isolation."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from llmops_core.models import AlertDelivery, AlertEvent, AlertRule
from llmops_core.services.alerts import (
    METRICS,
    alert_delivery_attempt,
    alert_rule_evaluate,
    metric_register,
)
from tests.alerts.conftest import SECRET, Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def firing() -> Iterator[None]:
    """A metric that is always 1.0, so every rule on it fires at its first evaluation."""
    metric_register("one", lambda p, e, w, f: 1.0, unit="x", description="Always one.")
    yield
    METRICS.pop("one")


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("llmops_core.services.alerts.delivery.timezone.now", clock)
    return clock


def fire(rule: AlertRule) -> AlertEvent:
    event = alert_rule_evaluate(rule_id=rule.pk, window_end=timezone.now() - timedelta(minutes=1))
    assert event is not None and event.notify
    return event


def delivery(event: AlertEvent, channel: str) -> AlertDelivery:
    return AlertDelivery.objects.get(event=event, channel=channel)


def test_the_webhook_is_signed_and_says_what_fired(
    make_rule: Callable[..., AlertRule], receiver: Receiver
) -> None:
    rule = make_rule(
        name="Errors <b>",
        metric="one",
        warning_threshold=0.5,
        alert_threshold=0.9,
        webhook_url=receiver.url,
    )
    event = fire(rule)
    hook = delivery(event, "webhook")
    assert alert_delivery_attempt(delivery_id=hook.pk) is None
    (got,) = receiver.received
    assert got.signature_ok()
    assert not got.signature_ok("another-secret-of-enough-length")
    body = got.json()
    assert body["rule"]["name"] == "Errors <b>" and body["rule"]["metric"] == "one"
    assert (body["rule"]["warning_threshold"], body["rule"]["alert_threshold"]) == (0.5, 0.9)
    assert body["event"]["state"] == "alert" and body["event"]["value"] == 1.0
    assert body["event"]["window"] == "1h" and body["project"]["slug"] == rule.project.slug
    assert body["link"].endswith(f"/p/{rule.project.slug}/alerts/{rule.pk}/")
    assert got.headers["X-Workbench-Delivery"] == str(hook.pk)
    hook.refresh_from_db()
    event.refresh_from_db()
    assert hook.delivered_at is not None and hook.attempts == 1 and hook.next_retry_at is None
    assert event.delivered


def test_a_replayed_body_with_a_new_timestamp_fails_the_signature(
    make_rule: Callable[..., AlertRule], receiver: Receiver
) -> None:
    rule = make_rule(metric="one", webhook_url=receiver.url)
    alert_delivery_attempt(delivery_id=delivery(fire(rule), "webhook").pk)
    (got,) = receiver.received
    got.headers["X-Workbench-Timestamp"] = str(int(got.headers["X-Workbench-Timestamp"]) + 3600)
    assert not got.signature_ok()


@override_settings(ALERT_DELIVERY_BACKOFF_SECONDS=10, ALERT_DELIVERY_MAX_BACKOFF_SECONDS=1000)
def test_a_failing_webhook_is_retried_with_exponential_backoff(
    make_rule: Callable[..., AlertRule], receiver: Receiver, clock: Clock
) -> None:
    receiver.statuses = [500, 500, 500]
    rule = make_rule(metric="one", webhook_url=receiver.url)
    hook = delivery(fire(rule), "webhook")
    waits = []
    for _ in range(3):
        wait = alert_delivery_attempt(delivery_id=hook.pk)
        hook.refresh_from_db()
        assert hook.next_retry_at == clock.now + timedelta(seconds=wait)
        assert "HTTP 500" in hook.last_error
        assert alert_delivery_attempt(delivery_id=hook.pk) is None  # not due yet: not sent
        waits.append(wait)
        clock.advance(wait)
    assert waits == [10, 20, 40]
    assert alert_delivery_attempt(delivery_id=hook.pk) is None
    hook.refresh_from_db()
    assert len(receiver.received) == 4 and hook.attempts == 4
    assert hook.delivered_at == clock.now and hook.last_error == ""


@override_settings(ALERT_DELIVERY_MAX_ATTEMPTS=2, ALERT_DELIVERY_BACKOFF_SECONDS=1)
def test_a_delivery_gives_up_after_the_last_attempt(
    make_rule: Callable[..., AlertRule], receiver: Receiver, clock: Clock
) -> None:
    receiver.statuses = [503] * 5
    hook = delivery(fire(make_rule(metric="one", webhook_url=receiver.url)), "webhook")
    clock.advance(alert_delivery_attempt(delivery_id=hook.pk) or 0)
    assert alert_delivery_attempt(delivery_id=hook.pk) is None
    hook.refresh_from_db()
    assert hook.gave_up and hook.next_retry_at is None and hook.attempts == 2
    assert not hook.event.delivered


def _dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"  # nothing listens there any more


def test_a_failing_webhook_blocks_neither_email_nor_other_rules(
    make_rule: Callable[..., AlertRule], receiver: Receiver
) -> None:
    broken = make_rule(metric="one", webhook_url=_dead_url(), emails=["ops@example.com"])
    healthy = make_rule(metric="one", webhook_url=receiver.url)
    events = [fire(broken), fire(healthy)]
    for d in AlertDelivery.objects.filter(event__in=events).order_by("id"):
        alert_delivery_attempt(delivery_id=d.pk)
    failed = delivery(events[0], "webhook")
    assert failed.delivered_at is None and failed.next_retry_at is not None
    assert "ConnectError" in failed.last_error
    assert delivery(events[0], "email").delivered_at is not None
    assert delivery(events[1], "webhook").delivered_at is not None
    assert len(mail.outbox) == 1 and len(receiver.received) == 1


def test_email_goes_through_the_mail_backend(make_rule: Callable[..., AlertRule]) -> None:
    rule = make_rule(
        name="Cost", metric="one", alert_threshold=0.5, emails=["a@example.com", "b@example.com"]
    )
    assert alert_delivery_attempt(delivery_id=delivery(fire(rule), "email").pk) is None
    (message,) = mail.outbox
    assert message.to == ["a@example.com", "b@example.com"]
    assert message.subject == f"[{rule.project.slug}] Cost: ALERT"
    assert "one over the last 1h: 1 x" in message.body
    assert f"/p/{rule.project.slug}/alerts/{rule.pk}/" in message.body


def test_a_webhook_refused_by_the_policy_at_send_time_is_never_contacted(
    make_rule: Callable[..., AlertRule], receiver: Receiver
) -> None:
    """The operator withdrew loopback after the rule was saved: the send is refused."""
    hook = delivery(fire(make_rule(metric="one", webhook_url=receiver.url)), "webhook")
    with override_settings(ALERT_WEBHOOK_ALLOWED_HOSTS=[]):
        alert_delivery_attempt(delivery_id=hook.pk)
    hook.refresh_from_db()
    assert "loopback" in hook.last_error and hook.delivered_at is None
    assert receiver.received == []


def test_a_claimed_delivery_is_not_sent_twice(
    make_rule: Callable[..., AlertRule], receiver: Receiver, clock: Clock
) -> None:
    hook = delivery(fire(make_rule(metric="one", webhook_url=receiver.url)), "webhook")
    AlertDelivery.objects.filter(pk=hook.pk).update(
        attempts=1, next_retry_at=clock.now + timedelta(seconds=40)
    )
    assert alert_delivery_attempt(delivery_id=hook.pk) is None  # in another worker's hands
    assert receiver.received == []


def test_the_readme_verification_snippet_accepts_a_delivery_and_refuses_a_replay(
    make_rule: Callable[..., AlertRule], receiver: Receiver
) -> None:
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\nimport hashlib, hmac, time") + len("```python\n")
    namespace: dict[str, Any] = {}
    exec(readme[start : readme.index("```", start)], namespace)  # noqa: S102 (our own README)
    rule = make_rule(metric="one", webhook_url=receiver.url)
    alert_delivery_attempt(delivery_id=delivery(fire(rule), "webhook").pk)
    (got,) = receiver.received
    assert namespace["verify"](SECRET.encode(), got.headers, got.body)
    old = {
        **got.headers,
        "X-Workbench-Timestamp": str(int(got.headers["X-Workbench-Timestamp"]) - 600),
    }
    assert not namespace["verify"](SECRET.encode(), old, got.body)
    assert not namespace["verify"](SECRET.encode(), got.headers, got.body + b" ")


@override_settings(ALERT_DELIVERY_MAX_ATTEMPTS=3)
def test_a_delivery_whose_workers_all_crashed_is_given_up(
    make_rule: Callable[..., AlertRule], receiver: Receiver, clock: Clock
) -> None:
    """Every attempt was claimed and none recorded an outcome: no fourth attempt is made."""
    hook = delivery(fire(make_rule(metric="one", webhook_url=receiver.url)), "webhook")
    AlertDelivery.objects.filter(pk=hook.pk).update(attempts=3, next_retry_at=clock.now)
    assert alert_delivery_attempt(delivery_id=hook.pk) is None
    hook.refresh_from_db()
    assert hook.gave_up and hook.next_retry_at is None and receiver.received == []
