"""The monitoring window as a form: granularity, range and filters in, a ``Window`` out.

One form for the page, its downloads, its chart and the API, with errors that name the
parameter (``from: 2026-13-01 is not a date``). Ranges are whole periods in UTC and bounded
per granularity, so a page never draws more than ``MAX_POINTS`` points.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django import forms
from django.utils import timezone

from llmops_core.selectors.monitoring import Window

STEP: Final = {
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(weeks=1),
}
DEFAULT_POINTS: Final = {"hour": 48, "day": 30, "week": 26}
# Each point is read as (versions x models x latency bins) roll-up rows: these bounds keep the
# largest read near 100,000 rows (bench.monitoring measures the largest, 7 days of hours).
MAX_POINTS: Final = {"hour": 24 * 7, "day": 92, "week": 104}
RANGES: Final = (
    ("24h", "last 24 hours", "hour", dt.timedelta(hours=24)),
    ("7d", "last 7 days", "day", dt.timedelta(days=7)),
    ("30d", "last 30 days", "day", dt.timedelta(days=30)),
    ("26w", "last 26 weeks", "week", dt.timedelta(weeks=26)),
)


def _floor(moment: dt.datetime, granularity: str) -> dt.datetime:
    """Return the start of the period (UTC hour, day or ISO week) that holds ``moment``."""
    moment = moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    if granularity == "hour":
        return moment
    moment = moment.replace(hour=0)
    return moment - dt.timedelta(days=moment.weekday()) if granularity == "week" else moment


def _instant(value: str, name: str) -> dt.datetime:
    """Parse a date or an ISO 8601 date-time (UTC unless it says otherwise)."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise forms.ValidationError(
            {name: f"{value[:40]!r} is not a date or ISO 8601 date-time"}
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class MonitoringForm(forms.Form):
    """Query parameters of the monitoring page and API; ``window`` once valid."""

    granularity = forms.ChoiceField(choices=[(g, g) for g in STEP], required=False, initial="day")
    range = forms.ChoiceField(
        choices=[("", "custom")] + [(r[0], r[1]) for r in RANGES], required=False
    )
    version = forms.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    model = forms.CharField(max_length=200, required=False, strip=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword, so these two cannot be class attributes.
        self.fields["from"] = forms.CharField(max_length=40, required=False)
        self.fields["to"] = forms.CharField(max_length=40, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        preset = next((r for r in RANGES if r[0] == data.get("range")), None)
        granularity = data.get("granularity") or (preset[2] if preset else "day")
        try:
            self.window = self._window(data, preset, granularity)
        except OverflowError:
            raise forms.ValidationError({"from": "the range is outside the calendar"}) from None
        return data

    def _window(self, data: dict[str, Any], preset: Any, granularity: str) -> Window:
        raw_from, raw_to = data.get("from", ""), data.get("to", "")
        now = timezone.now()
        end = _instant(raw_to, "to") if raw_to else now
        if raw_to and len(raw_to.strip()) <= 10:  # a date: the whole day
            end += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
        end = _floor(end, granularity) + STEP[granularity]  # the period holding "to", whole
        if raw_from:
            start = _floor(_instant(raw_from, "from"), granularity)
        elif preset:
            start = _floor(now - preset[3], granularity) + STEP[granularity]
        else:
            start = end - STEP[granularity] * DEFAULT_POINTS[granularity]
        if start >= end:
            raise forms.ValidationError({"from": "must be before to"})
        points = (end - start) / STEP[granularity]
        if points > MAX_POINTS[granularity]:
            raise forms.ValidationError(
                {
                    "from": f"{points:.0f} {granularity}s is more than "
                    f"{MAX_POINTS[granularity]}: narrow the range or use a coarser granularity"
                }
            )
        model = data.get("model")
        return Window(
            granularity=granularity,
            start=start,
            end=end,
            version=data.get("version"),
            model=model if model else None,
        )

    def error_text(self) -> str:
        """Return every error as one line naming its parameter."""
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            if field != "__all__"
            else " ".join(str(m) for m in messages)
            for field, messages in self.errors.items()
        )
