"""What a drift report compares: two windows of a project's outputs, and the judge it reads.

A window is a half-open range of output creation times ``[since, until)``, optionally narrowed
to one prompt version and one model. "This week against last week" is two windows of the same
version; "version A against version B" is the same dates with two versions. The spec's key
(a SHA-256 of its canonical form) is what makes a scheduled report idempotent per window.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from llmops_core.errors import DomainError
from llmops_core.models import JudgeVersion, Project, PromptVersion

MAX_WINDOW: Final = timedelta(days=366)
WEEK: Final = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """Outputs created in ``[since, until)``, of one prompt version and model if given."""

    since: datetime
    until: datetime
    prompt_version_id: int | None = None
    model_name: str = ""

    def as_parameters(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "prompt_version_id": self.prompt_version_id,
            "model_name": self.model_name,
        }

    @classmethod
    def from_parameters(cls, raw: dict[str, Any], where: str) -> Window:
        """Return the window that ``raw`` describes; errors name the field (``before.since``)."""
        if not isinstance(raw, dict):
            raise DomainError(f"{where}: expected an object with since and until")
        since, until = (
            _when(raw.get("since"), f"{where}.since"),
            _when(raw.get("until"), f"{where}.until"),
        )
        version = raw.get("prompt_version_id")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise DomainError(f"{where}.prompt_version_id: {version!r} is not a whole number")
        model = raw.get("model_name") or ""
        if not isinstance(model, str) or len(model) > 200:
            raise DomainError(f"{where}.model_name: expected text of at most 200 characters")
        return cls(since, until, version, model)


@dataclass(frozen=True)
class DriftSpec:
    """The two windows, the judge version whose scores are compared, and the bootstrap seed."""

    before: Window
    after: Window
    judge_version_id: int | None = None
    seed: int = 0

    def as_parameters(self) -> dict[str, Any]:
        return {
            "before": self.before.as_parameters(),
            "after": self.after.as_parameters(),
            "judge_version_id": self.judge_version_id,
            "seed": self.seed,
        }

    @property
    def key(self) -> str:
        """Return the SHA-256 of the spec's canonical JSON (one report per key and trigger)."""
        text = json.dumps(self.as_parameters(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_parameters(cls, raw: dict[str, Any]) -> DriftSpec:
        judge = raw.get("judge_version_id")
        if judge is not None and (isinstance(judge, bool) or not isinstance(judge, int)):
            raise DomainError(f"judge_version_id: {judge!r} is not a whole number")
        seed = raw.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise DomainError(f"seed: {seed!r} is not a whole number from 0 to 2^32 - 1")
        return cls(
            Window.from_parameters(raw.get("before"), "before"),  # type: ignore[arg-type]
            Window.from_parameters(raw.get("after"), "after"),  # type: ignore[arg-type]
            judge,
            seed,
        )


def _when(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
    else:
        parsed = None
    if parsed is None:
        raise DomainError(f"{where}: {value!r} is not a date and time (ISO 8601)")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


def week_start(now: datetime) -> datetime:
    """Return Monday 00:00 of ``now``'s week, in the current time zone."""
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=midnight.weekday())


def last_two_weeks(now: datetime, *, prompt_version_id: int | None = None) -> DriftSpec:
    """Return last full week (Monday to Monday) against the week before: the weekly schedule."""
    end = week_start(now)
    after = Window(end - WEEK, end, prompt_version_id)
    return DriftSpec(before=replace(after, since=end - 2 * WEEK, until=end - WEEK), after=after)


def spec_check(*, project: Project, spec: DriftSpec) -> None:
    """Refuse a spec whose windows are empty or too long, or that names another project's rows."""
    for where, window in (("before", spec.before), ("after", spec.after)):
        if window.since >= window.until:
            raise DomainError(f"{where}: since must be earlier than until")
        if window.until - window.since > MAX_WINDOW:
            raise DomainError(f"{where}: a window spans at most {MAX_WINDOW.days} days")
        if (
            window.prompt_version_id is not None
            and not PromptVersion.objects.filter(
                pk=window.prompt_version_id, template__project=project
            ).exists()
        ):
            raise DomainError(
                f"{where}.prompt_version_id: {window.prompt_version_id} is not a prompt "
                "version of this project"
            )
    if (
        spec.judge_version_id is not None
        and not JudgeVersion.objects.filter(
            pk=spec.judge_version_id, config__project=project
        ).exists()
    ):
        raise DomainError(
            f"judge_version_id: {spec.judge_version_id} is not a judge version of this project"
        )
