"""Retry policy: which failures are retried, and how long to wait before the next attempt."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from llmops_core.llm.errors import ConfigError


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to try a call and how long to back off between tries.

    ``max_attempts`` counts the first try. Waits follow exponential backoff with full jitter,
    ``uniform(0, min(max_delay, base_delay * 2 ** retry))``, unless the endpoint names its
    own wait with ``Retry-After`` / ``retry-after-ms``, which is honoured up to ``max_delay``.
    ``repair`` allows one follow-up call when a parser rejects the reply.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    repair: bool = True

    def __post_init__(self) -> None:
        """Reject a policy that cannot work, naming the field."""
        if self.max_attempts < 1:
            raise ConfigError(f'field "max_attempts": {self.max_attempts} is below 1')
        if self.base_delay < 0 or self.max_delay < 0:
            raise ConfigError("fields base_delay and max_delay must not be negative")


def parse_retry_after(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """Return the wait in seconds the response asks for, or None when it asks for none.

    ``retry-after-ms`` (milliseconds, sent by OpenAI) wins over ``Retry-After``, which is
    either a number of seconds or an HTTP date. Unreadable or negative values are ignored.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            value = float(millis) / 1000
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    text = lowered.get("retry-after")
    if text is None:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = max(0.0, moment.timestamp() - now())
    return seconds if seconds >= 0 else None


def backoff_delay(
    policy: RetryPolicy, retry: int, rng: random.Random, retry_after: float | None = None
) -> float:
    """Return the wait before retry number ``retry`` (0 for the first retry)."""
    if retry_after is not None:
        return min(retry_after, policy.max_delay)
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** min(retry, 32)))
    return rng.uniform(0, ceiling)
