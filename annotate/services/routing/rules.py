"""Creating, editing, pausing and resuming routing rules; every change is audited.

An edit raises the rule's version and writes the new definition as a revision, so the
revisions hold every definition the rule has had (the first included).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from annotate.models import Queue
from annotate.services.queues_state import queue_writable_check
from annotate.services.routing.filters import rule_filter_clean
from llmops_core.errors import DomainError
from llmops_core.models import (
    JudgeMode,
    JudgeVersion,
    Project,
    RoutingRule,
    RoutingRuleRevision,
)
from llmops_core.services.audit import audit_record

FIELDS = (
    "name",
    "filter",
    "rate_percent",
    "day_cap",
    "queue",
    "judge_version",
    "judge_day_budget",
)
MAX_SEED = 2**31 - 1
MAX_CAP = 10_000_000
MAX_BUDGET = Decimal("100000000")


def routing_rule_definition(rule: RoutingRule) -> dict[str, Any]:
    """Return the rule's definition as JSON data (what a revision keeps)."""
    return {
        "name": rule.name,
        "filter": rule.filter,
        "rate_percent": None if rule.rate_percent is None else str(rule.rate_percent),
        "day_cap": rule.day_cap,
        "seed": rule.seed,
        "queue_id": rule.queue_id,
        "judge_version_id": rule.judge_version_id,
        "judge_day_budget": (None if rule.judge_day_budget is None else str(rule.judge_day_budget)),
    }


def _decimal(name: str, raw: Any, low: Decimal, high: Decimal, low_open: bool) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise DomainError(f'field "{name}": give a number')
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise DomainError(f'field "{name}": {raw!r} is not a number') from None
    if not value.is_finite() or value > high or value < low or (low_open and value == low):
        bound = f"above {low}" if low_open else f"at least {low}"
        raise DomainError(f'field "{name}": {raw} must be {bound} and at most {high}')
    return value


def _cap(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise DomainError('field "day_cap": give a whole number')
    try:
        value = int(raw)
    except ValueError:
        raise DomainError(f'field "day_cap": {raw!r} is not a whole number') from None
    if not 1 <= value <= MAX_CAP:
        raise DomainError(f'field "day_cap": {value} is outside 1-{MAX_CAP}')
    return value


def _queue(project: Project, raw: Any) -> Queue | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, Queue):
        queue: Queue | None = raw if raw.project_id == project.pk else None
    else:
        try:
            queue = Queue.objects.filter(project=project, pk=int(raw)).first()
        except (TypeError, ValueError):
            queue = None
    if queue is None:
        raise DomainError(f'field "queue": {raw} is not a queue of this project')
    try:
        queue_writable_check(queue=queue)
    except DomainError as exc:
        raise DomainError(f'field "queue": {exc}') from None
    return queue


def _judge(project: Project, raw: Any) -> JudgeVersion | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, JudgeVersion):
        version: JudgeVersion | None = raw
    else:
        try:
            version = JudgeVersion.objects.select_related("config").filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            version = None
    if version is None or version.config.project_id != project.pk:
        raise DomainError(f'field "judge_version": {raw} is not a judge version of this project')
    if version.mode != JudgeMode.POINTWISE:
        raise DomainError('field "judge_version": routing needs a pointwise judge')
    return version


def _checked(project: Project, data: Mapping[str, Any], user: User | None) -> dict[str, Any]:
    """Return the model fields ``data`` describes, every field checked."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DomainError('field "name": give the rule a name')
    if len(name.strip()) > 120:
        raise DomainError('field "name": at most 120 characters')
    fields = {
        "name": name.strip(),
        "filter": rule_filter_clean(data.get("filter"), project=project, user=user),
        "rate_percent": _decimal(
            "rate_percent", data.get("rate_percent"), Decimal(0), Decimal(100), True
        ),
        "day_cap": _cap(data.get("day_cap")),
        "queue": _queue(project, data.get("queue")),
        "judge_version": _judge(project, data.get("judge_version")),
        "judge_day_budget": _decimal(
            "judge_day_budget", data.get("judge_day_budget"), Decimal(0), MAX_BUDGET, True
        ),
    }
    if fields["queue"] is None and fields["judge_version"] is None:
        raise DomainError(
            'field "queue": give a queue, a judge version (field "judge_version") or both'
        )
    if fields["judge_day_budget"] is not None and fields["judge_version"] is None:
        raise DomainError('field "judge_day_budget": a budget needs a judge version')
    return fields


def _revise(rule: RoutingRule, actor: User | None) -> None:
    RoutingRuleRevision.objects.create(
        rule=rule, version=rule.version, definition=routing_rule_definition(rule), created_by=actor
    )


@transaction.atomic
def routing_rule_create(
    *, project: Project, data: Mapping[str, Any], actor: User | None, seed: int | None = None
) -> RoutingRule:
    """Create a rule from ``data`` (the fields of ``FIELDS``; queue and judge by id)."""
    fields = _checked(project, data, actor)
    if RoutingRule.objects.filter(project=project, name__iexact=fields["name"]).exists():
        raise DomainError(f'field "name": this project already has a rule named "{fields["name"]}"')
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise DomainError(f'field "seed": {seed} is outside 0-{MAX_SEED}')
    extra = {} if seed is None else {"seed": seed}
    rule = RoutingRule.objects.create(
        project=project, created_by=actor, updated_by=actor, **fields, **extra
    )
    _revise(rule, actor)
    audit_record(
        actor=actor,
        action="routing_rule.create",
        obj=rule,
        project=project,
        after=routing_rule_definition(rule),
    )
    return rule


@transaction.atomic
def routing_rule_update(
    *, rule: RoutingRule, data: Mapping[str, Any], actor: User | None
) -> RoutingRule:
    """Replace the rule's definition with ``data``; raise its version and keep a revision.

    Fields left out of ``data`` keep their values. An edit that changes nothing writes nothing.
    """
    locked = RoutingRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    before = routing_rule_definition(locked)
    current = {
        "name": locked.name,
        "filter": locked.filter,
        "rate_percent": locked.rate_percent,
        "day_cap": locked.day_cap,
        "queue": locked.queue_id,
        "judge_version": locked.judge_version_id,
        "judge_day_budget": locked.judge_day_budget,
    }
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise DomainError(f'field "{unknown[0]}" is not a field of a rule ({", ".join(FIELDS)})')
    fields = _checked(locked.project, {**current, **data}, actor)
    clash = RoutingRule.objects.filter(project_id=locked.project_id, name__iexact=fields["name"])
    if clash.exclude(pk=locked.pk).exists():
        raise DomainError(f'field "name": this project already has a rule named "{fields["name"]}"')
    for key, value in fields.items():
        setattr(locked, key, value)
    if routing_rule_definition(locked) == before:
        return locked
    locked.version += 1
    locked.updated_by = actor
    locked.save()
    _revise(locked, actor)
    audit_record(
        actor=actor,
        action="routing_rule.update",
        obj=locked,
        project=locked.project,
        before={**before, "version": locked.version - 1},
        after={**routing_rule_definition(locked), "version": locked.version},
    )
    return locked


@transaction.atomic
def routing_rule_pause(*, rule: RoutingRule, paused: bool, actor: User | None) -> RoutingRule:
    """Pause (``paused``) or resume the rule; outputs arriving while paused are not routed."""
    locked = RoutingRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    if locked.paused == paused:
        return locked
    locked.paused = paused
    locked.updated_by = actor
    locked.save(update_fields=["paused", "updated_by", "updated_at"])
    audit_record(
        actor=actor,
        action="routing_rule.pause" if paused else "routing_rule.resume",
        obj=locked,
        project=locked.project,
        before={"paused": not paused},
        after={"paused": paused},
    )
    return locked


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, actor: User | None) -> None:
    """Delete the rule, its revisions and counters; queued items and judge runs stay."""
    locked = RoutingRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    audit_record(
        actor=actor,
        action="routing_rule.delete",
        obj=locked,
        project=locked.project,
        before={**routing_rule_definition(locked), "version": locked.version},
    )
    locked.delete()
