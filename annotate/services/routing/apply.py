"""Route new outputs through a project's active rules: draw, queue, hand to the judge, count.

Each rule handles a range of new outputs in chunks, each chunk in one transaction under a lock
on the rule, so counters and decisions of concurrent tasks never interleave. An output a rule
has already decided on (``RoutedOutput`` is unique per rule and output) is left alone, which
makes a re-run or a retried task route nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from annotate.models import Queue, QueueItem, QueueStatus
from annotate.selectors.routing import SKIP_BUDGET, routing_judge_day
from annotate.services.queues import queue_add_outputs
from annotate.services.routing.filters import rule_filter_ids, rule_filter_parse
from annotate.services.routing.sampler import sample_draw
from llmops_core.errors import DomainError
from llmops_core.models import (
    JudgeState,
    ModelOutput,
    RoutedOutput,
    RoutingRule,
    RoutingRuleDay,
)
from llmops_core.services.jobs import JobKind, job_enqueue

logger = logging.getLogger(__name__)
CHUNK = 2000
MAX_RANGE = 1_000_000
SKIP_CAP = "day cap reached"
SKIP_QUEUED = "already queued"
SKIP_CLOSED = "queue closed"
SENT = "sent"
# A dispatcher that has not looked for this long is presumed lost, and a new one is started.
POLL_LOST_AFTER = dt.timedelta(seconds=60)
CATCH_UP_MINUTES = 10


def routing_apply(
    *, project_id: int, first_id: int, last_id: int, catching_up: bool = False
) -> int:
    """Route the project's outputs ``first_id..last_id`` through every active rule.

    Return how many (rule, output) decisions were made. ``catching_up`` (the sweep) leaves
    out outputs older than the rule, which the hook would never have given it.
    """
    if first_id > last_id or last_id - first_id > MAX_RANGE:
        raise DomainError(f"outputs {first_id}..{last_id} is not a range this task routes")
    made = 0
    rules = RoutingRule.objects.filter(project_id=project_id, paused=False).order_by("id")
    for rule in rules.select_related("project", "updated_by"):
        try:
            flt = rule_filter_parse(rule.filter, project=rule.project, user=rule.updated_by)
        except DomainError as exc:
            # A value the filter names was deleted since: the rule matches nothing until edited.
            logger.warning("routing rule %s skipped: %s", rule.pk, exc)
            continue
        ids = rule_filter_ids(
            project=rule.project,
            flt=flt,
            first_id=first_id,
            last_id=last_id,
            not_before=rule.created_at if catching_up else None,
        )
        for start in range(0, len(ids), CHUNK):
            made += _apply_chunk(rule.pk, ids[start : start + CHUNK])
    return made


def _to_queue(rule: RoutingRule, ids: list[int], probability: float | None) -> dict[int, str]:
    """Add ``ids`` to the rule's queue; return each output's result (sent or why skipped)."""
    assert rule.queue_id is not None
    queue = Queue.objects.select_for_update().get(pk=rule.queue_id)
    if queue.is_archived or queue.status == QueueStatus.CLOSED:
        return dict.fromkeys(ids, SKIP_CLOSED)
    present = set(queue.items.filter(output_id__in=ids).values_list("output_id", flat=True))
    new = [pk for pk in ids if pk not in present]
    queue_add_outputs(queue=queue, output_ids=new)
    if probability is not None and new:
        QueueItem.objects.filter(queue=queue, output_id__in=new).update(
            inclusion_probability=probability
        )
    return {pk: SKIP_QUEUED if pk in present else SENT for pk in ids}


def _judge_open(rule: RoutingRule, day: RoutingRuleDay) -> bool:
    """Return whether the rule's judge may still take outputs today (budget not reached)."""
    if rule.judge_day_budget is None:
        return True
    if day.judge_cap_reached_at is not None:
        return False
    state = routing_judge_day(rule=rule, date=day.date)
    return state.reached_at is None and state.spend < rule.judge_day_budget


def _draws(
    rule: RoutingRule, day: RoutingRuleDay, ids: Sequence[int], skipped: Counter[str]
) -> tuple[list[RoutedOutput], list[int]]:
    """Return a decision row per output and the ids drawn (the day cap applied)."""
    rate = 1.0 if rule.rate_percent is None else float(rule.rate_percent) / 100
    probability = rule.probability
    rows: list[RoutedOutput] = []
    drawn: list[int] = []
    for pk in ids:
        draw = sample_draw(rule.seed, pk)
        hit = rate >= 1 or draw < rate
        if hit and rule.day_cap is not None and day.sampled + len(drawn) >= rule.day_cap:
            hit = False
            skipped[SKIP_CAP] += 1
        rows.append(
            RoutedOutput(
                rule=rule,
                output_id=pk,
                date=day.date,
                rule_version=rule.version,
                draw=draw,
                probability=probability,
                sampled=hit,
            )
        )
        if hit:
            drawn.append(pk)
    return rows, drawn


@transaction.atomic
def _apply_chunk(rule_id: int, ids: list[int]) -> int:
    rule = (
        RoutingRule.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(pk=rule_id, paused=False)
        .first()
    )
    if rule is None:
        return 0
    done = set(
        RoutedOutput.objects.filter(rule=rule, output_id__in=ids).values_list(
            "output_id", flat=True
        )
    )
    ids = [pk for pk in ids if pk not in done]
    if not ids:
        return 0
    day, _ = RoutingRuleDay.objects.get_or_create(rule=rule, date=timezone.localdate())
    skipped: Counter[str] = Counter()
    rows, drawn = _draws(rule, day, ids, skipped)
    by_id = {row.output_id: row for row in rows}
    sent_queue = sent_judge = 0
    if rule.queue_id is not None and drawn:
        for pk, result in _to_queue(rule, drawn, rule.probability).items():
            by_id[pk].queue_result = result
            if result == SENT:
                sent_queue += 1
            else:
                skipped[result] += 1
    if rule.judge_version_id is not None and drawn:
        state = JudgeState.PENDING if _judge_open(rule, day) else JudgeState.OVER_BUDGET
        for pk in drawn:
            by_id[pk].judge_state = state
        if state == JudgeState.PENDING:
            sent_judge = len(drawn)
        else:
            skipped[SKIP_BUDGET] += len(drawn)
    RoutedOutput.objects.bulk_create(rows)
    day.seen += len(ids)
    day.sampled += len(drawn)
    day.sent_to_queue += sent_queue
    day.sent_to_judge += sent_judge
    day.skipped = {k: day.skipped.get(k, 0) + skipped.get(k, 0) for k in {*day.skipped, *skipped}}
    day.save(update_fields=["seen", "sampled", "sent_to_queue", "sent_to_judge", "skipped"])
    polled = rule.judge_polled_at
    if sent_judge and (polled is None or timezone.now() - polled > POLL_LOST_AFTER):
        # No dispatcher is looking (or its message was lost): start one.
        RoutingRule.objects.filter(pk=rule.pk).update(judge_polled_at=timezone.now())
        job_enqueue(JobKind.ROUTING_JUDGE, rule.pk)
    return len(ids)


def routing_catch_up(*, minutes: int = CATCH_UP_MINUTES) -> int:
    """Route the last ``minutes`` of outputs again, and restart lost judge dispatchers.

    What the hook scheduled is normally done already (each output is decided once per rule,
    so this costs lookups, not decisions); this recovers a routing task whose message was
    lost, and a dispatcher that stopped while outputs waited. Return the decisions made.
    """
    since = timezone.now() - dt.timedelta(minutes=minutes)
    made = 0
    projects = RoutingRule.objects.filter(paused=False).values_list("project_id", flat=True)
    for project_id in sorted(set(projects)):
        bounds = ModelOutput.objects.filter(project_id=project_id, created_at__gte=since).aggregate(
            low=Min("id"), high=Max("id")
        )
        if bounds["low"] is not None:
            made += routing_apply(
                project_id=project_id,
                first_id=bounds["low"],
                last_id=bounds["high"],
                catching_up=True,
            )
    stale = timezone.now() - POLL_LOST_AFTER
    waiting = RoutedOutput.objects.filter(judge_state=JudgeState.PENDING).values("rule_id")
    lost = RoutingRule.objects.filter(pk__in=waiting).filter(
        Q(judge_polled_at__isnull=True) | Q(judge_polled_at__lt=stale)
    )
    for rule_id in list(lost.values_list("pk", flat=True)):
        RoutingRule.objects.filter(pk=rule_id).update(judge_polled_at=timezone.now())
        job_enqueue(JobKind.ROUTING_JUDGE, rule_id)
    return made
