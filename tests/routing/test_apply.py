"""Routing new outputs to a queue: seeded draws, recorded probabilities, caps, skips, filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from annotate.models import Queue, QueueItem
from annotate.selectors.routing import routing_rule_rows
from annotate.services.queues import queue_add_outputs
from annotate.services.queues_state import queue_transition
from annotate.services.routing import routing_apply, routing_rule_create, routing_rule_pause
from annotate.services.routing.sampler import sample_draw
from llmops_core.models import Project, RoutedOutput, RoutingRule, RoutingRuleDay

pytestmark = pytest.mark.django_db


def _rule(project: Project, lead: Any, **data: Any) -> RoutingRule:
    data.setdefault("name", "to QA")
    seed = data.pop("seed", 424242)
    return routing_rule_create(project=project, data=data, actor=lead, seed=seed)


def _route(project: Project, ids: list[int]) -> int:
    return routing_apply(project_id=project.pk, first_id=min(ids), last_id=max(ids))


def _day(rule: RoutingRule) -> RoutingRuleDay:
    return RoutingRuleDay.objects.get(rule=rule)


def test_a_percentage_rule_queues_the_seeded_draws_with_their_exact_probability(
    project: Project, lead: Any, queue: Queue, arrive: Callable[..., list[int]]
) -> None:
    rule = _rule(project, lead, queue=queue.pk, rate_percent="30")
    ids = arrive(300)
    _route(project, ids)
    expected = {pk for pk in ids if sample_draw(424242, pk) < 0.3}
    items = dict(
        QueueItem.objects.filter(queue=queue).values_list("output_id", "inclusion_probability")
    )
    assert set(items) == expected and 50 < len(expected) < 130
    assert set(items.values()) == {0.3}
    day = _day(rule)
    assert (day.seen, day.sampled, day.sent_to_queue, day.skipped) == (
        300,
        len(expected),
        len(expected),
        {},
    )
    decisions = RoutedOutput.objects.filter(rule=rule)
    assert decisions.count() == 300 and set(decisions.values_list("probability", flat=True)) == {
        0.3
    }
    # Routing the same range again (a retried task) changes nothing.
    assert _route(project, ids) == 0
    queue.refresh_from_db()
    assert queue.item_count == len(expected) and _day(rule).seen == 300


def test_the_same_seed_draws_the_same_outputs_whatever_the_chunks_and_order(
    project: Project, lead: Any, queue: Queue, arrive: Callable[..., list[int]]
) -> None:
    """Routing a range in pieces, last piece first, draws exactly what one pass draws."""
    ids = arrive(200)
    rule = _rule(project, lead, queue=queue.pk, rate_percent="25", seed=7)
    for piece in (ids[150:], ids[:50], ids[50:150]):
        _route(project, piece)
    chosen = set(QueueItem.objects.filter(queue=queue).values_list("output_id", flat=True))
    assert chosen == {pk for pk in ids if sample_draw(7, pk) < 0.25}
    draws = dict(RoutedOutput.objects.filter(rule=rule).values_list("output_id", "draw"))
    assert draws == {pk: sample_draw(7, pk) for pk in ids}


def test_a_day_cap_stops_at_the_cap_and_records_no_probability(
    project: Project, lead: Any, queue: Queue, arrive: Callable[..., list[int]]
) -> None:
    rule = _rule(project, lead, queue=queue.pk, day_cap=5)
    _route(project, arrive(12))
    items = list(
        QueueItem.objects.filter(queue=queue).values_list("inclusion_probability", flat=True)
    )
    assert items == [None] * 5
    assert _day(rule).skipped == {"day cap reached": 7}
    _route(project, arrive(3, prefix="later"))
    assert QueueItem.objects.filter(queue=queue).count() == 5
    assert _day(rule).skipped == {"day cap reached": 10}
    assert "not known exactly" in routing_rule_rows(project=project)[0].rate


def test_a_paused_rule_does_nothing(
    project: Project, lead: Any, queue: Queue, arrive: Callable[..., list[int]]
) -> None:
    rule = _rule(project, lead, queue=queue.pk)
    routing_rule_pause(rule=rule, paused=True, actor=lead)
    _route(project, arrive(10))
    assert not QueueItem.objects.filter(queue=queue).exists()
    assert not RoutingRuleDay.objects.exists() and not RoutedOutput.objects.exists()


def test_a_closed_queue_is_skipped_with_the_reason(
    project: Project, lead: Any, queue: Queue, arrive: Callable[..., list[int]]
) -> None:
    rule = _rule(project, lead, queue=queue.pk)
    queue_transition(queue=queue, action="close", actor=lead)
    _route(project, arrive(4))
    assert not QueueItem.objects.filter(queue=queue).exists()
    assert _day(rule).skipped == {"queue closed": 4}
    assert "4 skipped: queue closed" in routing_rule_rows(project=project)[0].summary


def test_the_list_says_what_the_rule_did_today(
    project: Project, lead: Any, queue: Queue, arrive: Callable[..., list[int]]
) -> None:
    from llmops_core.services.prompts import prompt_template_create, prompt_version_create

    template = prompt_template_create(project=project, name="support")
    version, _ = prompt_version_create(template=template, template_text="{{ q }}", model_name="m")
    _rule(project, lead, queue=queue.pk, filter={"prompt_version_id": [version.pk]})
    ids = arrive(10, prompt_version=version)
    arrive(5, prefix="other")  # another version's outputs: not matched
    queue_add_outputs(queue=queue, output_ids=ids[:3])
    _route(project, [*ids, ids[-1] + 5])
    row = routing_rule_rows(project=project)[0]
    assert row.summary == (
        f"sent 7 of 10 outputs of support v{version.number} to queue Support QA; "
        "3 skipped: already queued"
    )


@pytest.mark.parametrize(
    ("flt", "fields", "matched"),
    [
        ({"tag": ["vip"]}, {"tags": ["vip", "x"]}, True),
        ({"tag": ["vip"]}, {"tags": ["x"]}, False),
        ({"metadata": ["region=eu"]}, {"metadata": {"region": "eu"}}, True),
        ({"metadata": ["region=eu"]}, {"metadata": {"region": "us"}}, False),
        ({"status": "error"}, {"status": "error"}, True),
        ({"status": "error"}, {}, False),
        ({"length_min": 10, "length_max": 20}, {"output_text": "x" * 15}, True),
        ({"length_min": 10}, {"output_text": "short"}, False),
        ({"model": ["gpt-x"]}, {"model_name": "gpt-x"}, True),
        ({"model": ["gpt-x"]}, {}, False),
    ],
)
def test_each_filter_key_selects_the_outputs_it_names(
    project: Project,
    lead: Any,
    queue: Queue,
    arrive: Callable[..., list[int]],
    flt: dict[str, Any],
    fields: dict[str, Any],
    matched: bool,
) -> None:
    if "model" in flt:
        arrive(1, prefix="seed-model", model_name="gpt-x")  # so the model is a valid choice
        QueueItem.objects.all().delete()
    rule = _rule(project, lead, queue=queue.pk, filter=flt)
    ids = arrive(2, prefix="new", **fields)
    _route(project, ids)
    assert QueueItem.objects.filter(queue=queue, output_id__in=ids).count() == (2 if matched else 0)
    assert RoutedOutput.objects.filter(rule=rule).count() == (2 if matched else 0)


def test_the_catch_up_sweep_routes_what_a_lost_task_missed_and_nothing_older_than_the_rule(
    project: Project,
    lead: Any,
    queue: Queue,
    arrive: Callable[..., list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotate.services.routing import routing_catch_up
    from llmops_core.models import ModelOutput

    before = arrive(3, prefix="before")

    ModelOutput.objects.filter(pk__in=before).update(
        created_at=timezone.now() - dt.timedelta(minutes=1)
    )
    rule = _rule(project, lead, queue=queue.pk)
    missed = arrive(5)  # as if the routing task's message had been lost
    enqueued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        "annotate.services.routing.apply.job_enqueue", lambda *args: enqueued.append(args)
    )
    assert routing_catch_up() == 5
    assert set(QueueItem.objects.filter(queue=queue).values_list("output_id", flat=True)) == set(
        missed
    )
    assert routing_catch_up() == 0  # each output is decided once
    assert _day(rule).seen == 5 and enqueued == []
