"""Login rate limiting: too many failures lock an account (and an address) for a while.

The counters live in the database (``LoginFailureCounter``), so every web process, on every
host, counts the same failures whatever cache is configured. A failure is one upsert per
counter; a check is one primary-key read. A counter counts failures in a window of
``LOGIN_LOCKOUT_SECONDS`` from its first failure; the failure that reaches the limit starts the
lock-out, which lasts that long again. Expired rows are deleted by the next failure. A lock-out
is written to the audit log and told to the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from llmops_core.models import LoginFailureCounter
from llmops_core.services.audit import audit_record


@dataclass(frozen=True)
class LoginLimit:
    locked: bool
    retry_after_seconds: int = 0


def _keys(username: str, ip: str) -> tuple[str, str]:
    # Usernames are at most 150 characters; a longer one cannot exist, so cutting is harmless.
    return f"user:{username.lower()[:150]}", f"ip:{ip[:64]}"


def _limits() -> tuple[int, int]:
    return settings.LOGIN_MAX_FAILURES_PER_USER, settings.LOGIN_MAX_FAILURES_PER_IP


def login_limit_check(*, username: str, ip: str) -> LoginLimit:
    """Return whether logins for ``username`` or from ``ip`` are locked right now."""
    now = timezone.now()
    keys = _keys(username, ip)
    live = {
        key: (failures, until)
        for key, failures, until in LoginFailureCounter.objects.filter(
            key__in=keys, expires_at__gt=now
        ).values_list("key", "failures", "expires_at")
    }
    locked = [
        live[key][1]
        for key, limit in zip(keys, _limits(), strict=True)
        if key in live and live[key][0] >= limit
    ]
    if not locked:
        return LoginLimit(locked=False)
    return LoginLimit(locked=True, retry_after_seconds=_seconds_until(max(locked), now))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


_UPSERT = """
INSERT INTO {table} ({key}, {failures}, {expires}) VALUES (%s, 1, %s)
ON CONFLICT ({key}) DO UPDATE SET
  {failures} = CASE WHEN {table}.{expires} > %s THEN {table}.{failures} + 1 ELSE 1 END,
  {expires} = CASE
    WHEN {table}.{expires} > %s AND {table}.{failures} + 1 < %s THEN {table}.{expires}
    ELSE EXCLUDED.{expires}
  END
RETURNING {failures}
"""


def _count_failure(key: str, *, now: datetime, limit: int) -> int:
    """Add one failure to ``key``'s counter and return its count, in one atomic statement.

    Plain SQL by design: ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (PostgreSQL and SQLite
    3.35+) counts concurrent failures from any number of processes exactly, in one round trip.
    A counter past its window starts again at 1; the failure that reaches ``limit`` moves the
    window's end to a full lock-out from now.
    """
    quote = connection.ops.quote_name
    sql = _UPSERT.format(
        table=quote(LoginFailureCounter._meta.db_table),
        key=quote("key"),
        failures=quote("failures"),
        expires=quote("expires_at"),
    )
    adapt = connection.ops.adapt_datetimefield_value
    until = adapt(now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS))
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, until, adapt(now), adapt(now), limit])
        return int(cursor.fetchone()[0])


@transaction.atomic
def login_failure_record(*, username: str, ip: str) -> LoginLimit:
    """Count a failed login; when this one locks the account or address, audit it."""
    now = timezone.now()
    user_limit, ip_limit = _limits()
    user_key, ip_key = _keys(username, ip)
    user_count = _count_failure(user_key, now=now, limit=user_limit)
    ip_count = _count_failure(ip_key, now=now, limit=ip_limit)
    LoginFailureCounter.objects.filter(expires_at__lte=now).delete()
    window = settings.LOGIN_LOCKOUT_SECONDS
    if user_count == user_limit or ip_count == ip_limit:
        audit_record(
            actor=None,
            action="login.locked",
            obj=None,
            after={"username": username[:150], "ip": ip, "failures": user_count, "seconds": window},
        )
    if user_count >= user_limit or ip_count >= ip_limit:
        return LoginLimit(locked=True, retry_after_seconds=window)
    return LoginLimit(locked=False)


@transaction.atomic
def login_success_record(*, username: str, ip: str) -> None:
    """Forget the account's failures after a successful login."""
    LoginFailureCounter.objects.filter(key=_keys(username, ip)[0]).delete()
