"""Hours as integers: roll-ups key on hours since the Unix epoch, so periods are integer division.

An hour index is the number of whole hours from 1970-01-01T00:00Z. A day is ``index // 24``;
an ISO week (Monday to Sunday) is ``(index + 72) // 168``, as 1970-01-01 was a Thursday, 72
hours after a Monday. The same integer arithmetic runs in SQL on SQLite and PostgreSQL, with no
date functions, so grouping hours into days and weeks is as fast as grouping numbers. Indexes
are never negative (``hour_index`` clamps earlier moments, from clocks that were never set, to 0).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
HOURS: Final = {"hour": 1, "day": 24, "week": 168}
GRAINS: Final = tuple(HOURS.values())
OFFSET: Final = {"hour": 0, "day": 0, "week": 72}


def hour_index(moment: dt.datetime) -> int:
    """Return the index of the UTC hour that holds the aware datetime ``moment``."""
    return max(0, int((moment - EPOCH).total_seconds() // 3600))


def period_index(hour: int, granularity: str) -> int:
    """Return the period (hour, day or week) of ``granularity`` that holds hour ``hour``."""
    return (hour + OFFSET[granularity]) // HOURS[granularity]


def period_start(period: int, granularity: str) -> dt.datetime:
    """Return when period ``period`` of ``granularity`` starts (UTC)."""
    return EPOCH + dt.timedelta(hours=period * HOURS[granularity] - OFFSET[granularity])


def periods_of(hour: int) -> list[tuple[int, int]]:
    """Return (grain in hours, period) of the hour, day and week that hold hour ``hour``."""
    return [(1, hour), (24, hour // 24), (168, (hour + 72) // 168)]
