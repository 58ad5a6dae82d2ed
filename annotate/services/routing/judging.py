"""Online judging of routed outputs within a per-day budget, one judge run at a time per rule.

Outputs a rule sends to its judge wait as ``pending`` rows. The dispatcher (a Celery task that
re-schedules itself while a run of the rule is under way) turns them into one judge run at a
time, with the day's budget left as the run's budget: the judge machinery's own budget stop,
cache, retries and cost accounting then apply unchanged, and so do the endpoint's egress and
key rules. Because runs of a rule never overlap, the day's spend never passes the cap by more
than the calls in flight when it is reached. Once the cap is reached, later outputs of that
day are not sent, and the day says when and how many.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from annotate.selectors.routing import SKIP_BUDGET, routing_judge_day
from llmops_core.errors import DomainError
from llmops_core.models import (
    JobStatus,
    JudgeRun,
    JudgeState,
    RoutedOutput,
    RoutingRule,
    RoutingRuleDay,
)
from llmops_core.services.judges.runs import judge_run_create

MAX_RUN = 50_000
UNFINISHED = (JobStatus.PENDING, JobStatus.RUNNING)


def _run_in_flight(rule: RoutingRule) -> bool:
    since = timezone.localdate() - dt.timedelta(days=1)
    runs = RoutedOutput.objects.filter(rule=rule, date__gte=since, judge_run__isnull=False)
    return JudgeRun.objects.filter(
        pk__in=runs.values("judge_run_id"), status__in=UNFINISHED
    ).exists()


def _skip(rule: RoutingRule, date: dt.date, ids: list[int], reason: str) -> None:
    RoutedOutput.objects.filter(rule=rule, output_id__in=ids).update(
        judge_state=JudgeState.OVER_BUDGET
    )
    day, _ = RoutingRuleDay.objects.get_or_create(rule=rule, date=date)
    day.skipped = {**day.skipped, reason: day.skipped.get(reason, 0) + len(ids)}
    if day.judge_cap_reached_at is None:
        day.judge_cap_reached_at = timezone.now()
    day.save(update_fields=["skipped", "judge_cap_reached_at"])


def _dispatch_day(rule: RoutingRule, date: dt.date, ids: list[int]) -> None:
    """Send the rule's pending outputs of ``date`` to one judge run, or skip them (budget)."""
    assert rule.judge_version is not None
    state = routing_judge_day(rule=rule, date=date)
    budget: Decimal | None = None
    if rule.judge_day_budget is not None:
        budget = rule.judge_day_budget - state.spend
        if state.reached_at is not None or budget <= 0:
            _skip(rule, date, ids, SKIP_BUDGET)
            return
    try:
        run = judge_run_create(
            project=rule.project, judge_version=rule.judge_version, output_ids=ids, budget=budget
        )
    except DomainError:
        # The outputs were deleted since: nothing left to judge.
        RoutedOutput.objects.filter(rule=rule, output_id__in=ids).update(
            judge_state=JudgeState.NONE
        )
        return
    RoutedOutput.objects.filter(rule=rule, output_id__in=ids).update(
        judge_state=JudgeState.SENT, judge_run=run
    )


def _record_days(rule: RoutingRule) -> None:
    """Write the judge spend (and when the cap was reached) of the rule's last two days."""
    today = timezone.localdate()
    for day in RoutingRuleDay.objects.filter(rule=rule, date__gte=today - dt.timedelta(days=1)):
        state = routing_judge_day(rule=rule, date=day.date)
        day.spend = state.spend
        day.judge_cap_reached_at = day.judge_cap_reached_at or state.reached_at
        day.save(update_fields=["spend", "judge_cap_reached_at"])


@transaction.atomic
def routing_judge_dispatch(*, rule_id: int) -> bool:
    """Start a judge run over the rule's pending outputs unless one is under way.

    Return whether to look again a little later: outputs still wait, or a run is under way
    (its spend is written to the day once it has finished). A rule has one dispatcher at a
    time: ``judge_polled_at`` is set while one is looking and cleared when it stops, under the
    rule's lock, and routing starts a dispatcher only when none is looking.
    """
    rule = (
        RoutingRule.objects.select_for_update(of=("self",))
        .select_related("project", "judge_version")
        .filter(pk=rule_id)
        .first()
    )
    if rule is None:
        return False
    pending = RoutedOutput.objects.filter(rule=rule, judge_state=JudgeState.PENDING)
    if rule.judge_version is None:
        pending.update(judge_state=JudgeState.NONE)  # the judge was taken off the rule
    in_flight = _run_in_flight(rule)
    _record_days(rule)
    if not in_flight and pending.exists():
        rows = list(pending.order_by("output_id").values_list("date", "output_id")[:MAX_RUN])
        date = min(d for d, _ in rows)
        _dispatch_day(rule, date, [pk for d, pk in rows if d == date])
        in_flight = _run_in_flight(rule)
    more = in_flight or pending.exists()
    RoutingRule.objects.filter(pk=rule.pk).update(judge_polled_at=timezone.now() if more else None)
    return more
