"""Alert rules: validate, create, change and delete them; every change goes to the audit log."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from llmops_core.errors import DomainError
from llmops_core.models import AlertRule, Criterion, Direction, NoData, Project, PromptVersion
from llmops_core.secrets import secret_encrypt
from llmops_core.services.alerts.metrics import METRICS, metric_get
from llmops_core.services.alerts.webhooks import webhook_url_check
from llmops_core.services.audit import audit_record

_UNITS = {"m": 60, "h": 3600, "d": 86400}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WINDOW = re.compile(r"\s*(\d{1,6})\s*([mhd])\s*")
MIN_WINDOW_SECONDS = 60
MAX_WINDOW_SECONDS = 90 * 86400
MAX_COOLDOWN_SECONDS = 30 * 86400
MAX_EMAILS = 20


@dataclass
class RuleInput:
    """Everything a lead sets on a rule, as the form and the API hand it over."""

    name: str
    metric: str
    window: str
    alert_threshold: float
    warning_threshold: float | None = None
    direction: str = Direction.ABOVE
    no_data: str = NoData.KEEP
    cooldown_seconds: int = 3600
    prompt_version_id: int | None = None
    model_name: str = ""
    criterion: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""  # blank: keep the current one (a new webhook gets a random one)
    emails: list[str] = field(default_factory=list)
    paused: bool = False


def _fail(name: str, problem: str) -> DomainError:
    return DomainError(f'field "{name}": {problem}', field=name)


def window_parse(text: str) -> int:
    """Return the seconds of a window written ``30m``, ``1h``, ``24h`` or ``7d``."""
    match = _WINDOW.fullmatch(str(text))
    if match is None:
        raise _fail("window", f"{str(text)[:40]!r} is not a window such as 30m, 1h, 24h or 7d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not MIN_WINDOW_SECONDS <= seconds <= MAX_WINDOW_SECONDS:
        raise _fail("window", f"{text.strip()} is outside 1m-90d")
    return seconds


def window_text(seconds: int) -> str:
    """Return ``seconds`` as the shortest window spelling (``86400`` is ``1d``)."""
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _threshold(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(name, f"{value!r} is not a finite number")
    return float(value)


def _validate(project: Project, data: RuleInput) -> dict[str, Any]:
    """Return the rule's model fields from ``data``; raise ``DomainError`` naming the field."""
    name = data.name.strip()
    if not name or len(name) > 120:
        raise _fail("name", "give a name of 1-120 characters")
    for label, text in (
        ("name", name),
        ("model_name", data.model_name),
        ("criterion", data.criterion),
    ):
        if _CONTROL.search(text):
            raise _fail(label, "holds a line break or another control character")
    metric = metric_get(data.metric)
    if metric is None:
        raise _fail("metric", f"{data.metric[:64]!r} is not one of {', '.join(sorted(METRICS))}")
    window_seconds = window_parse(data.window)
    if data.direction not in Direction.values:
        raise _fail("direction", f"use one of {', '.join(Direction.values)}")
    if data.no_data not in NoData.values:
        raise _fail("no_data", f"use one of {', '.join(NoData.values)}")
    alert = _threshold("alert_threshold", data.alert_threshold)
    if alert is None:
        raise _fail("alert_threshold", "is required")
    warning = _threshold("warning_threshold", data.warning_threshold)
    above = data.direction == Direction.ABOVE
    if warning is not None and (warning > alert if above else warning < alert):
        side = "at or below" if above else "at or above"
        raise _fail(
            "warning_threshold", f"{warning:g} must be {side} the alert threshold {alert:g}"
        )
    if not 0 <= data.cooldown_seconds <= MAX_COOLDOWN_SECONDS:
        raise _fail(
            "cooldown_seconds", f"{data.cooldown_seconds} is outside 0-{MAX_COOLDOWN_SECONDS}"
        )
    criterion = data.criterion.strip()
    if metric.criterion and not criterion:
        raise _fail("criterion", f"the metric {metric.name} needs a criterion")
    if (
        criterion
        and not Criterion.objects.filter(
            rubric_version__rubric__project=project, name=criterion
        ).exists()
    ):
        raise _fail("criterion", f"no rubric of this project has a criterion {criterion[:64]!r}")
    version = None
    if data.prompt_version_id is not None:
        version = PromptVersion.objects.filter(
            pk=data.prompt_version_id, template__project=project
        ).first()
        if version is None:
            raise _fail("prompt_version", f"{data.prompt_version_id} is not a prompt version here")
    emails = [e.strip() for e in data.emails if e.strip()]
    if len(emails) > MAX_EMAILS:
        raise _fail("emails", f"at most {MAX_EMAILS} addresses")
    for i, email in enumerate(emails):
        try:
            validate_email(email)
        except ValidationError:
            raise _fail(
                "emails", f"address {i + 1} ({email[:80]!r}) is not an email address"
            ) from None
    url = data.webhook_url.strip()
    if url:
        webhook_url_check(url)
    if len(data.model_name) > 200:
        raise _fail("model_name", "at most 200 characters")
    return {
        "name": name,
        "metric": metric.name,
        "window_seconds": window_seconds,
        "direction": data.direction,
        "warning_threshold": warning,
        "alert_threshold": alert,
        "no_data": data.no_data,
        "cooldown_seconds": data.cooldown_seconds,
        "prompt_version": version,
        "model_name": data.model_name.strip(),
        "criterion": criterion,
        "webhook_url": url,
        "emails": emails,
        "paused": bool(data.paused),
    }


def alert_rule_snapshot(rule: AlertRule) -> dict[str, Any]:
    """Return the rule's settings as the audit log keeps them (never the secret)."""
    return {
        "name": rule.name,
        "metric": rule.metric,
        "window": window_text(rule.window_seconds),
        "direction": rule.direction,
        "warning_threshold": rule.warning_threshold,
        "alert_threshold": rule.alert_threshold,
        "no_data": rule.no_data,
        "cooldown_seconds": rule.cooldown_seconds,
        "prompt_version_id": rule.prompt_version_id,
        "model_name": rule.model_name,
        "criterion": rule.criterion,
        "webhook_url": rule.webhook_url,
        "emails": list(rule.emails),
        "paused": rule.paused,
    }


def _set_secret(rule: AlertRule, given: str) -> str | None:
    """Store the webhook secret; return it when it was generated here (to show once)."""
    if given:
        if len(given) < 16:
            raise _fail("webhook_secret", "use at least 16 characters")
        rule.webhook_secret = secret_encrypt(given)
        return None
    if rule.webhook_url and not rule.webhook_secret:
        generated = secrets.token_urlsafe(32)
        rule.webhook_secret = secret_encrypt(generated)
        return generated
    return None


def _save(rule: AlertRule) -> None:
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise _fail("name", f"this project already has a rule named {rule.name!r}") from None


@transaction.atomic
def alert_rule_create(
    *, project: Project, data: RuleInput, actor: User
) -> tuple[AlertRule, str | None]:
    """Create a rule; return it and its webhook secret when one was generated (shown once)."""
    rule = AlertRule(project=project, created_by=actor, **_validate(project, data))
    generated = _set_secret(rule, data.webhook_secret)
    _save(rule)
    audit_record(
        actor=actor,
        action="alert_rule.create",
        obj=rule,
        project=project,
        after=alert_rule_snapshot(rule),
    )
    return rule, generated


@transaction.atomic
def alert_rule_update(
    *, rule: AlertRule, data: RuleInput, actor: User
) -> tuple[AlertRule, str | None]:
    """Change a rule's settings; its state and history stay."""
    rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
    before = alert_rule_snapshot(rule)
    for name, value in _validate(rule.project, data).items():
        setattr(rule, name, value)
    if not rule.webhook_url:
        rule.webhook_secret = ""
    generated = _set_secret(rule, data.webhook_secret)
    _save(rule)
    audit_record(
        actor=actor,
        action="alert_rule.update",
        obj=rule,
        project=rule.project,
        before=before,
        after=alert_rule_snapshot(rule),
    )
    return rule, generated


@transaction.atomic
def alert_rule_delete(*, rule: AlertRule, actor: User) -> None:
    """Delete a rule with its events and deliveries (the audit log keeps its settings)."""
    audit_record(
        actor=actor,
        action="alert_rule.delete",
        obj=rule,
        project=rule.project,
        before=alert_rule_snapshot(rule),
    )
    rule.delete()


def rule_input_from(rule: AlertRule, **changes: Any) -> RuleInput:
    """Return the rule's current settings as a ``RuleInput``, with ``changes`` applied."""
    current = alert_rule_snapshot(rule)
    current.pop("prompt_version_id")
    data = RuleInput(prompt_version_id=rule.prompt_version_id, **current)
    values = asdict(data)
    values.update(changes)
    return RuleInput(**values)
