"""The state machine: thresholds, no data, cool-down, reminders, and idempotent evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from llmops_core.models import AlertDelivery, AlertEvent, AlertRule, AuditEvent
from llmops_core.services.alerts import METRICS, alert_rule_evaluate, metric_register

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


class Dial:
    """A metric whose value the test sets (the state machine is what is under test)."""

    value: float | None = None


@pytest.fixture
def dial() -> Iterator[Dial]:
    dial = Dial()
    metric_register("dial", lambda p, e, w, f: dial.value, unit="x", description="Test dial.")
    yield dial
    METRICS.pop("dial")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def run(rule: AlertRule, dial: Dial, value: float | None, minute: int) -> AlertEvent | None:
    dial.value = value
    return alert_rule_evaluate(rule_id=rule.pk, window_end=at(minute))


def states(rule: AlertRule) -> list[tuple[str, str, str, bool]]:
    return [
        (e.kind, e.from_state, e.to_state, e.notify)
        for e in AlertEvent.objects.filter(rule=rule).order_by("window_end")
    ]


@pytest.mark.parametrize(
    ("direction", "value", "expected"),
    [
        ("above", 0.05, "ok"),
        ("above", 0.1, "warning"),  # thresholds are inclusive
        ("above", 0.15, "warning"),
        ("above", 0.2, "alert"),
        ("above", 3.0, "alert"),
        ("below", 0.5, "ok"),
        ("below", 0.2, "warning"),
        ("below", 0.1, "alert"),
        ("below", -1.0, "alert"),
    ],
)
def test_thresholds_set_the_state(
    make_rule: Callable[..., AlertRule], dial: Dial, direction: str, value: float, expected: str
) -> None:
    warning, alert = (0.1, 0.2) if direction == "above" else (0.2, 0.1)
    rule = make_rule(
        metric="dial", direction=direction, warning_threshold=warning, alert_threshold=alert
    )
    run(rule, dial, value, 1)
    rule.refresh_from_db()
    assert rule.state == expected and rule.last_value == value


@pytest.mark.parametrize(
    ("no_data", "before", "expected"),
    [
        ("ok", "alert", "ok"),
        ("warning", "ok", "warning"),
        ("alert", "ok", "alert"),
        ("keep", "alert", "alert"),
        ("keep", "ok", "ok"),
    ],
)
def test_no_data_follows_the_rule(
    make_rule: Callable[..., AlertRule], dial: Dial, no_data: str, before: str, expected: str
) -> None:
    rule = make_rule(metric="dial", no_data=no_data, warning_threshold=0.1, alert_threshold=0.2)
    run(rule, dial, 1.0 if before == "alert" else 0.0, 1)
    run(rule, dial, None, 2)
    rule.refresh_from_db()
    assert rule.state == expected
    assert rule.last_value is None


def test_evaluating_the_same_window_end_twice_makes_one_event(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(metric="dial", emails=["ops@example.com"])
    assert run(rule, dial, 1.0, 5) is not None
    assert run(rule, dial, 1.0, 5) is None
    assert run(rule, dial, 0.0, 4) is None  # an older end changes nothing either
    assert AlertEvent.objects.filter(rule=rule).count() == 1
    assert AlertDelivery.objects.filter(event__rule=rule).count() == 1
    rule.refresh_from_db()
    assert rule.state == "alert" and rule.last_window_end == at(5)


def test_only_changes_notify_and_staying_ok_records_nothing(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(metric="dial", warning_threshold=0.1, alert_threshold=0.2)
    for minute, value in enumerate([0.0, 0.0, 0.15, 0.15, 0.3, 0.3, 0.0, 0.0], start=1):
        run(rule, dial, value, minute)
    assert states(rule) == [
        ("transition", "ok", "warning", True),
        ("transition", "warning", "alert", True),
        ("transition", "alert", "ok", True),
    ]
    assert AuditEvent.objects.filter(action="alert.fire").count() == 3


def test_cool_down_holds_back_a_recovery_then_catches_up(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(metric="dial", alert_threshold=0.2, cooldown_seconds=600)
    run(rule, dial, 0.5, 0)  # alert: told
    run(rule, dial, 0.0, 2)  # ok inside the cool-down: recorded, held back
    run(rule, dial, 0.0, 5)
    run(rule, dial, 0.0, 10)  # cool-down over, still ok: the recovery is sent now
    run(rule, dial, 0.0, 30)
    assert states(rule) == [
        ("transition", "ok", "alert", True),
        ("transition", "alert", "ok", False),
        ("catch_up", "alert", "ok", True),
    ]


def test_a_flap_inside_the_cool_down_is_never_sent(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(metric="dial", alert_threshold=0.2, cooldown_seconds=600)
    run(rule, dial, 0.5, 0)
    run(rule, dial, 0.0, 1)
    run(rule, dial, 0.5, 2)  # back to what receivers were told: history only
    assert [n for *_, n in states(rule)] == [True, False, False]


def test_an_escalation_is_sent_at_once_even_inside_the_cool_down(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(
        metric="dial", warning_threshold=0.1, alert_threshold=0.2, cooldown_seconds=3600
    )
    run(rule, dial, 0.15, 0)
    run(rule, dial, 0.5, 1)
    run(rule, dial, 0.15, 2)  # a de-escalation waits for the cool-down
    assert states(rule) == [
        ("transition", "ok", "warning", True),
        ("transition", "warning", "alert", True),
        ("transition", "alert", "warning", False),
    ]


def test_a_rule_still_alerting_is_sent_a_reminder_after_each_cool_down(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(metric="dial", alert_threshold=0.2, cooldown_seconds=600)
    for minute in range(0, 31):
        run(rule, dial, 0.5, minute)
    assert states(rule) == [
        ("transition", "ok", "alert", True),
        ("reminder", "alert", "alert", True),
        ("reminder", "alert", "alert", True),
        ("reminder", "alert", "alert", True),
    ]
    ends = list(
        AlertEvent.objects.filter(rule=rule)
        .order_by("window_end")
        .values_list("window_end", flat=True)
    )
    assert ends == [at(0), at(10), at(20), at(30)]


def test_no_cool_down_sends_every_change_and_no_reminders(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(metric="dial", alert_threshold=0.2, cooldown_seconds=0)
    for minute, value in enumerate([0.5, 0.5, 0.0, 0.5, 0.5]):
        run(rule, dial, value, minute)
    assert [(f, t, n) for _, f, t, n in states(rule)] == [
        ("ok", "alert", True),
        ("alert", "ok", True),
        ("ok", "alert", True),
    ]


def test_a_paused_rule_is_not_evaluated(make_rule: Callable[..., AlertRule], dial: Dial) -> None:
    rule = make_rule(metric="dial", paused=True)
    assert run(rule, dial, 1.0, 1) is None
    rule.refresh_from_db()
    assert rule.state == "ok" and rule.last_window_end is None


def test_a_rule_without_channels_records_its_events_as_delivered(
    make_rule: Callable[..., AlertRule], dial: Dial
) -> None:
    rule = make_rule(metric="dial")
    event = run(rule, dial, 1.0, 1)
    assert event is not None and event.delivered and not event.deliveries.exists()


def test_the_beat_fan_out_publishes_each_active_rule_at_the_minute(
    make_rule: Callable[..., AlertRule], dial: Dial, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmops_core.services.alerts import alert_rules_evaluate_due

    sent: list[Any] = []
    monkeypatch.setattr(
        "llmops_core.services.alerts.evaluate.task_publish", lambda name, *a: sent.append(a)
    )
    active = make_rule(metric="dial")
    make_rule(metric="dial", paused=True)
    assert alert_rules_evaluate_due(now=at(3) + timedelta(seconds=42)) == 1
    assert sent == [(active.pk, at(3).isoformat())]
