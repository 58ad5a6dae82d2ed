"""Build queues with ratings straight in the database (test code only), from rating matrices."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from annotate.models import Annotation, Queue, QueueItem, Rating
from llmops_core.models import Criterion, ModelOutput, Project, Role, RubricVersion
from tests.factories import MembershipFactory, ModelOutputFactory, UserFactory

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers x
# 12 units on 1-5 with missing values (None). Published alpha: nominal 0.743, ordinal 0.815,
# interval 0.849, ratio 0.797.
KRIPPENDORFF_2011: list[list[int | None]] = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


@dataclass
class RatedQueue:
    """A queue, its items (in matrix column order) and its reviewers (in row order)."""

    queue: Queue
    items: list[QueueItem]
    reviewers: list[AbstractBaseUser]
    rubric_version: RubricVersion

    def criterion(self, name: str) -> Criterion:
        return self.rubric_version.criteria.get(name=name)


def default_rubric_version(project: Project) -> RubricVersion:
    return project.rubrics.get(name="default").versions.order_by("number").first()


def rated_queue(
    project: Project,
    matrix: Sequence[Sequence[int | float | None]],
    *,
    criteria: Sequence[str] = ("fluency",),
    name: str = "Rated queue",
    reviewer_names: Sequence[str] | None = None,
    rubric_version: RubricVersion | None = None,
    when: datetime | Sequence[datetime] | None = None,
    outputs: Sequence[ModelOutput] | None = None,
) -> RatedQueue:
    """Return a queue whose reviewer r rated item i with ``matrix[r][i]`` on every criterion.

    ``when`` sets the annotations' creation time (one per item, or one for all).
    """
    rubric_version = rubric_version or default_rubric_version(project)
    n_items = len(matrix[0])
    queue = Queue.objects.create(
        project=project,
        name=name,
        rubric_version=rubric_version,
        overlap=len(matrix),
        item_count=n_items,
    )
    outs = (
        list(outputs) if outputs else [ModelOutputFactory(project=project) for _ in range(n_items)]
    )
    items = [
        QueueItem.objects.create(queue=queue, output=o, position=i, target_reviews=len(matrix))
        for i, o in enumerate(outs)
    ]
    names = reviewer_names or [f"{name.lower().replace(' ', '-')}-r{r}" for r in range(len(matrix))]
    reviewers = []
    for username in names:
        user = UserFactory(username=username)
        if not project.memberships.filter(user=user).exists():
            MembershipFactory(project=project, user=user, role=Role.REVIEWER)
        reviewers.append(user)
    result = RatedQueue(queue, items, reviewers, rubric_version)
    for r, row in enumerate(matrix):
        for i, score in enumerate(row):
            if score is None or (isinstance(score, float) and math.isnan(score)):
                continue
            moment = when[i] if isinstance(when, Sequence) else when
            rate(result, reviewers[r], items[i], {c: int(score) for c in criteria}, when=moment)
    return result


def rate(
    rq: RatedQueue,
    reviewer: AbstractBaseUser,
    item: QueueItem,
    scores: dict[str, int],
    *,
    when: datetime | None = None,
    rubric_version: RubricVersion | None = None,
) -> Annotation:
    """Store one annotation with a rating per criterion."""
    version = rubric_version or rq.rubric_version
    annotation = Annotation.objects.create(
        item=item, reviewer=reviewer, rubric_version=version, client_token=uuid.uuid4()
    )
    if when is not None:
        Annotation.objects.filter(pk=annotation.pk).update(created_at=when)
    criteria = {c.name: c for c in version.criteria.all()}
    Rating.objects.bulk_create(
        [Rating(annotation=annotation, criterion=criteria[n], score=s) for n, s in scores.items()]
    )
    return annotation


def scores_of(results: dict[str, Any], criterion: str) -> dict[str, Any]:
    return results["criteria"][criterion]
