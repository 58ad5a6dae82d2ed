"""What an agreement report covers: a queue and/or filters, checked against the project."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from annotate.selectors import QueueRow, RatingFilter, queue_row
from llmops_core.errors import DomainError
from llmops_core.models import Project, PromptVersion
from llmops_core.selectors.reports import report_reviewer_ids, report_rubric_version

DEFAULT_DRAWS = 1000
MAX_DRAWS = 10_000
# Keys of ``Report.parameters`` that say what the report covers and how it is computed; two
# reports with the same values of these describe the same thing (others, like the trigger, don't).
SCOPE_KEYS = (
    "queue_id",
    "prompt_version_ids",
    "reviewers",
    "since",
    "until",
    "rubric_version_id",
    "bootstrap_draws",
    "seed",
)


def default_draws() -> int:
    """Return the bootstrap draws of a report when none are asked for."""
    return int(getattr(settings, "REPORT_BOOTSTRAP_DRAWS", DEFAULT_DRAWS))


@dataclass(frozen=True)
class ReportScope:
    """The ratings a report covers (empty fields mean no restriction) and its bootstrap."""

    queue_id: int | None = None
    prompt_version_ids: tuple[int, ...] = ()
    reviewers: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    rubric_version_id: int | None = None
    bootstrap_draws: int = field(default_factory=default_draws)
    seed: int = 0

    def as_parameters(self) -> dict[str, Any]:
        """Return the JSON form stored in ``Report.parameters`` (sorted lists, ISO times)."""
        return {
            "queue_id": self.queue_id,
            "prompt_version_ids": sorted(set(self.prompt_version_ids)),
            "reviewers": sorted(set(self.reviewers)),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "rubric_version_id": self.rubric_version_id,
            "bootstrap_draws": self.bootstrap_draws,
            "seed": self.seed,
        }

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> ReportScope:
        """Return the scope stored in ``Report.parameters``."""
        return cls(
            queue_id=parameters.get("queue_id"),
            prompt_version_ids=tuple(parameters.get("prompt_version_ids") or ()),
            reviewers=tuple(parameters.get("reviewers") or ()),
            since=_time(parameters.get("since")),
            until=_time(parameters.get("until")),
            rubric_version_id=parameters.get("rubric_version_id"),
            bootstrap_draws=int(parameters.get("bootstrap_draws", default_draws())),
            seed=int(parameters.get("seed", 0)),
        )

    def with_rubric_version(self, rubric_version_id: int | None) -> ReportScope:
        """Return a copy restricted to one rubric version."""
        return replace(self, rubric_version_id=rubric_version_id)


def scope_key(parameters: dict[str, Any]) -> str:
    """Return a canonical text of the scope part of ``parameters``, for grouping reports."""
    return json.dumps({k: parameters.get(k) for k in SCOPE_KEYS}, sort_keys=True, default=str)


def _time(raw: Any) -> datetime | None:
    """Return an ISO time from parameters as a datetime (None when absent)."""
    if not raw:
        return None
    value = parse_datetime(str(raw))
    if value is None:
        raise DomainError(f'parameters: "{raw}" is not an ISO 8601 time')
    return value


def scope_check(*, project: Project, scope: ReportScope) -> QueueRow | None:
    """Raise DomainError naming the field that does not fit the project; return the queue row."""
    queue = None
    if scope.queue_id is not None:
        queue = queue_row(queue_id=scope.queue_id, project_id=project.pk)
        if queue is None:
            raise DomainError(
                f'field "queue_id": no queue {scope.queue_id} in project "{project.slug}"',
                field="queue_id",
            )
    if scope.prompt_version_ids:
        wanted = set(scope.prompt_version_ids)
        found = set(
            PromptVersion.objects.filter(pk__in=wanted, template__project=project).values_list(
                "pk", flat=True
            )
        )
        if wanted - found:
            missing = ", ".join(str(pk) for pk in sorted(wanted - found))
            raise DomainError(
                f'field "prompt_version_ids": no prompt version {missing} in '
                f'project "{project.slug}"',
                field="prompt_version_ids",
            )
    if scope.reviewers:
        found_names = set(report_reviewer_ids(project=project, usernames=list(scope.reviewers)))
        missing_names = sorted(set(scope.reviewers) - found_names)
        if missing_names:
            raise DomainError(
                f'field "reviewers": {", ".join(missing_names)} is not a member of '
                f'project "{project.slug}"',
                field="reviewers",
            )
    if scope.since and scope.until and scope.since >= scope.until:
        raise DomainError('field "until": must be later than "since"', field="until")
    if (
        scope.rubric_version_id is not None
        and report_rubric_version(project=project, pk=scope.rubric_version_id) is None
    ):
        raise DomainError(
            f'field "rubric_version_id": no rubric version {scope.rubric_version_id}'
            f' in project "{project.slug}"',
            field="rubric_version_id",
        )
    if not 0 <= scope.bootstrap_draws <= MAX_DRAWS:
        raise DomainError(
            f'field "bootstrap_draws": {scope.bootstrap_draws} is outside 0-{MAX_DRAWS}',
            field="bootstrap_draws",
        )
    return queue


def scope_filter(*, project: Project, scope: ReportScope) -> RatingFilter:
    """Return the rating filter of ``scope``; raise DomainError if a reviewer has left."""
    reviewer_ids: list[int] = []
    if scope.reviewers:
        ids = report_reviewer_ids(project=project, usernames=list(scope.reviewers))
        missing = sorted(set(scope.reviewers) - set(ids))
        if missing:
            raise DomainError(
                f"reviewer(s) {', '.join(missing)} are no longer members of "
                f'project "{project.slug}"'
            )
        reviewer_ids = sorted(ids.values())
    return RatingFilter(
        project_id=project.pk,
        queue_ids=(scope.queue_id,) if scope.queue_id is not None else (),
        prompt_version_ids=tuple(scope.prompt_version_ids),
        reviewer_ids=tuple(reviewer_ids),
        rubric_version_id=scope.rubric_version_id,
        since=scope.since,
        until=scope.until,
    )
