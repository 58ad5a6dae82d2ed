"""What an export covers: its kind, format and filters, checked once for every door.

The UI form, the API serializer and the CLI only check shapes (an integer is an integer); the
rules and ranges live here, so every door refuses the same things with the same words.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from annotate.selectors import RatingFilter
from llmops_core.errors import DomainError
from llmops_core.models import ExportFormat, ExportKind

RULES_HELP = 'use "mean", "all" or "criterion:<name>"'
DEFAULT_RULE = "mean"
DEFAULT_MIN_MARGIN = 0.5
DEFAULT_SFT_THRESHOLD = 4.0


@dataclass(frozen=True)
class ExportFilters:
    """Which outputs and ratings an export covers, and the kind-specific options.

    ``since`` is inclusive and ``until`` exclusive (a date given for ``until`` includes that
    whole day). ``rule`` picks the score that ranks outputs: the mean over criteria, "all"
    criteria, or one criterion; preference pairs need a gap of ``min_margin``, SFT rows a
    score of ``sft_threshold``.
    """

    queue_ids: tuple[int, ...] = ()
    prompt_version_ids: tuple[int, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    min_ratings: int | None = None
    min_agreement: float | None = None
    exclude_flagged: bool = False
    rule: str = DEFAULT_RULE
    min_margin: float = DEFAULT_MIN_MARGIN
    sft_threshold: float = DEFAULT_SFT_THRESHOLD

    @property
    def rule_criterion(self) -> str | None:
        """Return the criterion named by a "criterion:<name>" rule, else None."""
        return self.rule.split(":", 1)[1] if self.rule.startswith("criterion:") else None

    def rating_filter(self, project_id: int) -> RatingFilter:
        """Return the annotation app's filter for these ratings."""
        return RatingFilter(
            project_id=project_id,
            queue_ids=self.queue_ids,
            prompt_version_ids=self.prompt_version_ids,
            since=self.since,
            until=self.until,
        )

    def as_dict(self, kind: str) -> dict[str, Any]:
        """Return the filters as JSON, with only the options that apply to ``kind``."""
        data: dict[str, Any] = {
            "queue_ids": list(self.queue_ids),
            "prompt_version_ids": list(self.prompt_version_ids),
            "since": _iso(self.since),
            "until": _iso(self.until),
            "min_ratings": self.min_ratings,
            "min_agreement": self.min_agreement,
            "exclude_flagged": self.exclude_flagged,
        }
        if kind in (ExportKind.PREFERENCES, ExportKind.SFT):
            data["rule"] = self.rule
        if kind == ExportKind.PREFERENCES:
            data["min_margin"] = self.min_margin
        if kind == ExportKind.SFT:
            data["sft_threshold"] = self.sft_threshold
        return data


@dataclass(frozen=True)
class ExportSpec:
    """One export: project, kind, format, filters and whether reviewers keep their names."""

    project_id: int
    kind: str
    format: str
    filters: ExportFilters = field(default_factory=ExportFilters)
    real_names: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ExportKind.values:
            raise DomainError(
                f'field "kind": {self.kind!r} is not one of {", ".join(ExportKind.values)}'
            )
        if self.format not in ExportFormat.values:
            raise DomainError(
                f'field "format": {self.format!r} is not one of {", ".join(ExportFormat.values)}'
            )


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _moment(name: str, value: Any, *, end_of_day: bool) -> dt.datetime | None:
    """Return an aware datetime from a date, a datetime or their ISO text."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = (
                dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
            )
        except ValueError:
            raise DomainError(f'filter "{name}": {value!r} is not an ISO date or time') from None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if end_of_day else value
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    raise DomainError(f'filter "{name}": {value!r} is not a date or time')


def _ids(name: str, value: Any) -> tuple[int, ...]:
    if value in (None, ""):
        return ()
    values = value if isinstance(value, list | tuple) else [value]
    try:
        ids = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise DomainError(f'filter "{name}": {value!r} is not a list of ids') from None
    return tuple(ids)


def _number(
    name: str, value: Any, low: float | None = None, high: float | None = None
) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DomainError(f'filter "{name}": {value!r} is not a number') from None
    if not math.isfinite(number):
        raise DomainError(f'filter "{name}": {value!r} is not a finite number')
    if (low is not None and number < low) or (high is not None and number > high):
        span = f"{low:g}-{high:g}" if high is not None else f"at least {low:g}"
        raise DomainError(f'filter "{name}": {number:g} is outside {span}')
    return number


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"", "0", "false", "no", "off"}:
        return False
    raise DomainError(f'filter "{name}": {value!r} is not true or false')


def _rule(value: Any, criteria: set[str]) -> str:
    rule = str(value or DEFAULT_RULE).strip()
    if rule in ("mean", "all"):
        return rule
    name = rule.split(":", 1)[1] if rule.startswith("criterion:") else rule
    if name not in criteria:
        known = ", ".join(sorted(criteria)) or "none"
        raise DomainError(
            f'filter "rule": {rule!r} is not a rule; {RULES_HELP} (criteria: {known})'
        )
    return f"criterion:{name}"


def export_filters_parse(
    data: Mapping[str, Any],
    *,
    queue_ids: set[int],
    prompt_version_ids: set[int],
    criteria: set[str],
) -> ExportFilters:
    """Return checked filters from plain data; ids must belong to the project.

    ``queue_ids``, ``prompt_version_ids`` and ``criteria`` are the project's own; anything
    else is refused, naming the filter and the value.
    """
    unknown = sorted(set(data) - set(ExportFilters.__dataclass_fields__))
    if unknown:
        raise DomainError(f"unknown filter(s): {', '.join(unknown)}")
    queues = _ids("queue_ids", data.get("queue_ids"))
    versions = _ids("prompt_version_ids", data.get("prompt_version_ids"))
    for name, chosen, known in (
        ("queue_ids", queues, queue_ids),
        ("prompt_version_ids", versions, prompt_version_ids),
    ):
        foreign = [str(i) for i in chosen if i not in known]
        if foreign:
            raise DomainError(f'filter "{name}": {", ".join(foreign)} not in this project')
    since = _moment("since", data.get("since"), end_of_day=False)
    until = _moment("until", data.get("until"), end_of_day=True)
    if since and until and since >= until:
        raise DomainError('filter "until": must be later than "since"')
    min_ratings = _number("min_ratings", data.get("min_ratings"), 1)
    if min_ratings is not None and min_ratings != int(min_ratings):
        raise DomainError(f'filter "min_ratings": {min_ratings:g} is not a whole number')
    margin = _number("min_margin", data.get("min_margin"), 0)
    threshold = _number("sft_threshold", data.get("sft_threshold"))
    return ExportFilters(
        queue_ids=queues,
        prompt_version_ids=versions,
        since=since,
        until=until,
        min_ratings=None if min_ratings is None else int(min_ratings),
        min_agreement=_number("min_agreement", data.get("min_agreement"), 0, 1),
        exclude_flagged=_flag("exclude_flagged", data.get("exclude_flagged")),
        rule=_rule(data.get("rule"), criteria),
        min_margin=DEFAULT_MIN_MARGIN if margin is None else margin,
        sft_threshold=DEFAULT_SFT_THRESHOLD if threshold is None else threshold,
    )
