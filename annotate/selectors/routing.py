"""Reads of routing rules: the list with what each rule did today, in plain words, and history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils import timezone

from llmops_core.models import (
    JobStatus,
    JudgeRun,
    LLMCall,
    Project,
    PromptVersion,
    RoutedOutput,
    RoutingRule,
    RoutingRuleDay,
    RoutingRuleRevision,
)
from llmops_core.services.llm_runs.kinds import JUDGE_RUNS

PAGE = 100
BUDGET_NOTE = "stopped at its budget"  # how the judge machinery ends a run at its budget
SKIP_BUDGET = "judge budget reached"


@dataclass(frozen=True)
class JudgeDay:
    """A rule's judging on one day: spend, whether and when the cap was reached, not judged."""

    spend: Decimal
    reached_at: dt.datetime | None
    not_judged_in_runs: int


def routing_judge_days(*, rule_ids: list[int], date: dt.date) -> dict[int, JudgeDay]:
    """Return each rule's judging on ``date``, in three queries whatever the number of rules."""
    pairs = (
        RoutedOutput.objects.filter(rule_id__in=rule_ids, date=date, judge_run__isnull=False)
        .values_list("rule_id", "judge_run_id")
        .distinct()
    )
    runs_of: dict[int, set[int]] = {pk: set() for pk in rule_ids}
    for rule_id, run_id in pairs:
        runs_of[rule_id].add(run_id)
    every = set().union(*runs_of.values()) if runs_of else set()
    paid = dict(
        LLMCall.objects.filter(run_kind=JUDGE_RUNS.name, run_id__in=every)
        .values("run_id")
        .annotate(paid=Sum("cost"))
        .values_list("run_id", "paid")
    )
    stopped = {
        pk: (finished, max(0, total - done))
        for pk, finished, total, done in JudgeRun.objects.filter(
            pk__in=every, status=JobStatus.CANCELLED, error__startswith=BUDGET_NOTE
        ).values_list("pk", "finished_at", "total_calls", "done_calls")
    }
    found = {}
    for rule_id, runs in runs_of.items():
        ends = [stopped[r] for r in runs if r in stopped]
        found[rule_id] = JudgeDay(
            spend=sum((paid.get(r) or Decimal(0) for r in runs), Decimal(0)),
            reached_at=min((at for at, _ in ends if at is not None), default=None),
            not_judged_in_runs=sum(left for _, left in ends),
        )
    return found


def routing_judge_day(*, rule: RoutingRule, date: dt.date) -> JudgeDay:
    """Return what the rule's judge runs of ``date`` spent, and what a budget stop left out."""
    return routing_judge_days(rule_ids=[rule.pk], date=date)[rule.pk]


@dataclass(frozen=True)
class RuleRow:
    """A rule, its day's counters and the sentence that says what it did."""

    rule: RoutingRule
    day: RoutingRuleDay | None
    summary: str
    judge_note: str
    matches: str
    rate: str


def routing_rule_queryset(*, project: Project) -> QuerySet[RoutingRule]:
    """Return the project's rules by name, with their queue and judge."""
    return (
        RoutingRule.objects.filter(project=project)
        .select_related("queue", "judge_version__config", "updated_by")
        .order_by("name", "id")
    )


def _versions(rules: list[RoutingRule]) -> dict[int, str]:
    wanted: set[int] = set()
    for rule in rules:
        for raw in _as_list(rule.filter.get("prompt_version_id")):
            if str(raw).isdigit():
                wanted.add(int(raw))
    rows = PromptVersion.objects.filter(pk__in=wanted).values_list("pk", "template__name", "number")
    return {pk: f"{name} v{number}" for pk, name, number in rows}


def _as_list(raw: Any) -> list[Any]:
    return raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])


def rule_filter_text(flt: dict[str, Any], versions: dict[int, str]) -> str:
    """Return the filter in words ("outputs of support v7 from gpt-4o tagged vip")."""
    parts = []
    ids = _as_list(flt.get("prompt_version_id"))
    if ids:
        names = [versions.get(int(v), f"version #{v}") if str(v).isdigit() else str(v) for v in ids]
        parts.append("of " + " or ".join(names))
    if flt.get("prompt"):
        parts.append("of prompt " + " or ".join(map(str, _as_list(flt["prompt"]))))
    if flt.get("model"):
        parts.append("from " + " or ".join(map(str, _as_list(flt["model"]))))
    if flt.get("tag"):
        parts.append("tagged " + " or ".join(map(str, _as_list(flt["tag"]))))
    if flt.get("metadata"):
        parts.append("with " + " and ".join(map(str, _as_list(flt["metadata"]))))
    if flt.get("status"):
        parts.append(f"with status {flt['status']}")
    if flt.get("judge_criterion"):
        low, high = flt.get("judge_min", "any"), flt.get("judge_max", "any")
        parts.append(f"judged {flt['judge_criterion']} {low}-{high}")
    if flt.get("length_min") is not None or flt.get("length_max") is not None:
        parts.append(f"of {flt.get('length_min', 0)}-{flt.get('length_max', '∞')} characters")
    others = sorted(
        k
        for k in flt
        if k
        not in {
            "prompt_version_id",
            "prompt",
            "model",
            "tag",
            "metadata",
            "status",
            "judge_criterion",
            "judge_min",
            "judge_max",
            "length_min",
            "length_max",
        }
    )
    parts.extend(f"{k}={', '.join(map(str, _as_list(flt[k])))}" for k in others)
    return ("outputs " + " ".join(parts)) if parts else "outputs"


def rule_rate_text(rule: RoutingRule) -> str:
    """Return the rate in words, with whether inclusion probabilities are exact."""
    share = "all" if rule.rate_percent is None else f"{rule.rate_percent.normalize():f}%"
    if rule.day_cap is None:
        return f"{share} (inclusion probability {rule.probability:g}, exact)"
    return f"{share}, at most {rule.day_cap:,} a day (inclusion probability not known exactly)"


def _summary(rule: RoutingRule, day: RoutingRuleDay | None, matches: str) -> str:
    paused = " (paused)" if rule.paused else ""
    if day is None or day.seen == 0:
        return f"nothing yet today: no new {matches}{paused}"
    judge = ""
    if rule.judge_version is not None:
        judge = f"judge {rule.judge_version.config.name} v{rule.judge_version.number}"
    if rule.queue is not None:
        text = f"sent {day.sent_to_queue:,} of {day.seen:,} {matches} to queue {rule.queue.name}"
        if judge:
            text += f"; {day.sent_to_judge:,} sent to {judge}"
    else:
        text = f"sent {day.sent_to_judge:,} of {day.seen:,} {matches} to {judge}"
    skipped = [f"{n:,} skipped: {reason}" for reason, n in sorted(day.skipped.items()) if n]
    return "; ".join([text, *skipped]) + paused


def _judge_note(rule: RoutingRule, day: RoutingRuleDay | None, state: JudgeDay | None) -> str:
    if rule.judge_version is None or day is None or state is None:
        return ""
    spend = f"${state.spend.quantize(Decimal('0.0001'))} spent today"
    if rule.judge_day_budget is None:
        return spend
    reached = state.reached_at or day.judge_cap_reached_at
    if reached is None:
        return f"{spend} of a ${rule.judge_day_budget} cap"
    left = state.not_judged_in_runs + day.skipped.get(SKIP_BUDGET, 0)
    at = timezone.localtime(reached).strftime("%H:%M")
    return f"cap of ${rule.judge_day_budget} reached at {at}; {left:,} outputs not judged"


def routing_rule_rows(*, project: Project, limit: int = PAGE) -> list[RuleRow]:
    """Return up to ``limit`` of the project's rules with what each did today."""
    rules = list(routing_rule_queryset(project=project)[:limit])
    today = timezone.localdate()
    days = {d.rule_id: d for d in RoutingRuleDay.objects.filter(rule__in=rules, date=today)}
    versions = _versions(rules)
    judged = [r.pk for r in rules if r.judge_version_id is not None and r.pk in days]
    states = routing_judge_days(rule_ids=judged, date=today) if judged else {}
    rows = []
    for rule in rules:
        day = days.get(rule.pk)
        matches = rule_filter_text(rule.filter, versions)
        rows.append(
            RuleRow(
                rule=rule,
                day=day,
                summary=_summary(rule, day, matches),
                judge_note=_judge_note(rule, day, states.get(rule.pk)),
                matches=matches,
                rate=rule_rate_text(rule),
            )
        )
    return rows


def routing_rule_revisions(*, rule: RoutingRule) -> QuerySet[RoutingRuleRevision]:
    """Return the rule's revisions, newest first."""
    return rule.revisions.select_related("created_by").order_by("-version")


def routing_rule_days(*, rule: RoutingRule, limit: int = 30) -> QuerySet[RoutingRuleDay]:
    """Return the rule's last ``limit`` days of counters, newest first."""
    return rule.days.order_by("-date")[:limit]
