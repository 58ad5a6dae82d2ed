"""Login rate limiting: too many failures lock an account (and an address) for a while.

Counters live in the cache; in production point ``CACHE_URL`` at Redis so every web worker
shares them. A lock-out is written to the audit log and told to the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from llmops_core.services.audit import audit_record


@dataclass(frozen=True)
class LoginLimit:
    locked: bool
    retry_after_seconds: int = 0


def _keys(username: str, ip: str) -> tuple[str, str]:
    return f"login-fail:user:{username.lower()}", f"login-fail:ip:{ip}"


def login_limit_check(*, username: str, ip: str) -> LoginLimit:
    """Return whether logins for ``username`` or from ``ip`` are locked right now."""
    user_key, ip_key = _keys(username, ip)
    if (
        cache.get(user_key, 0) >= settings.LOGIN_MAX_FAILURES_PER_USER
        or cache.get(ip_key, 0) >= settings.LOGIN_MAX_FAILURES_PER_IP
    ):
        return LoginLimit(locked=True, retry_after_seconds=settings.LOGIN_LOCKOUT_SECONDS)
    return LoginLimit(locked=False)


def login_failure_record(*, username: str, ip: str) -> LoginLimit:
    """Count a failed login; when this one locks the account, audit it."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    counts = []
    for key in _keys(username, ip):
        cache.add(key, 0, timeout=window)
        try:
            counts.append(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            counts.append(1)
    if counts[0] == settings.LOGIN_MAX_FAILURES_PER_USER or (
        counts[1] == settings.LOGIN_MAX_FAILURES_PER_IP
    ):
        audit_record(
            actor=None,
            action="login.locked",
            obj=None,
            after={"username": username[:150], "ip": ip, "failures": counts[0], "seconds": window},
        )
    return login_limit_check(username=username, ip=ip)


def login_success_record(*, username: str, ip: str) -> None:
    """Forget the account's failures after a successful login."""
    cache.delete(_keys(username, ip)[0])
