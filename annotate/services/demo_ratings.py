"""Demo ratings: two thirds of the demo queue rated by three reviewers with their own habits.

Scores follow each output's hidden ``demo_quality`` per criterion, plus a seeded bias and noise
per reviewer, so the agreement and judge reports have something realistic to show. Everything
goes through the same claim and submit services the rating page uses.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from annotate.models import Annotation, Assignment, Queue, QueueItem
from annotate.services.assignment import assignment_claim_next
from annotate.services.gold import gold_mark
from annotate.services.submit import annotation_skip, annotation_submit

RATED_SHARE = 2 / 3
GOLD_ITEMS = 6
# Per-criterion offset from the output's quality, and each reviewer's (bias, noise).
CRITERION_OFFSET = {"fluency": 0.5, "relevance": 0.0, "factuality": -0.3}
REVIEWER_HABITS = {"reviewer1": (0.3, 0.4), "reviewer2": (-0.25, 0.45), "reviewer3": (0.0, 0.55)}
SKIP_RATE, FLAG_RATE = 0.03, 0.04
DAYS_BACK = 5


def _true_score(quality: float, criterion: str) -> float:
    return 1 + 4 * quality + CRITERION_OFFSET.get(criterion, 0.0)


def _clamp(value: float) -> int:
    return int(min(5, max(1, round(value))))


def _gold(queue: Queue, lead: User, criteria: list[str]) -> None:
    """Mark a few items spread through the queue as gold, with their true scores."""
    items = list(
        QueueItem.objects.filter(queue=queue).select_related("output").order_by("position")
    )
    step = max(1, int(len(items) * RATED_SHARE) // GOLD_ITEMS)
    for item in items[step // 2 :: step][:GOLD_ITEMS]:
        quality = float(item.output.metadata.get("demo_quality", 0.5))
        gold_mark(
            item=item, actor=lead, scores={c: _clamp(_true_score(quality, c)) for c in criteria}
        )


def _rate_one(queue: Queue, reviewer: User, criteria: list[str], rng: random.Random) -> bool:
    """Let ``reviewer`` rate (or skip, or flag) their next item; False when none is left."""
    claim = assignment_claim_next(queue=queue, reviewer=reviewer)
    if claim.assignment is None:
        return False
    item = QueueItem.objects.select_related("output").get(pk=claim.assignment.item_id)
    item.queue = queue
    if rng.random() < SKIP_RATE:
        annotation_skip(
            item=item,
            reviewer=reviewer,
            reason=rng.choice(["Can't judge this", "Input is unclear", ""]),
        )
        return True
    quality = float(item.output.metadata.get("demo_quality", 0.5))
    bias, noise = REVIEWER_HABITS.get(reviewer.get_username(), (0.0, 0.7))
    scores = {c: _clamp(_true_score(quality, c) + bias + rng.gauss(0, noise)) for c in criteria}
    flags: list[str] = []
    if quality < 0.3 and rng.random() < FLAG_RATE * 5:
        flags = [rng.choice(["broken", "other"])]
    elif rng.random() < FLAG_RATE / 2:
        flags = ["unsafe"]
    annotation_submit(
        item=item,
        reviewer=reviewer,
        client_token=uuid.UUID(int=rng.getrandbits(128)),
        scores=scores,
        flags=flags,
        active_ms=int(rng.lognormvariate(math.log(21000), 0.5)),
        comment=rng.choice(
            [
                "",
                "",
                "",
                "Invented statistic.",
                "Padded with marketing text.",
                "Good, concise answer.",
            ]
        )
        if quality < 0.45 or rng.random() < 0.1
        else "",
    )
    return True


def demo_ratings_seed(*, queue: Queue, lead: User) -> int:
    """Rate about two thirds of ``queue`` with reviewer1-3; return the annotations made."""
    rng = random.Random(f"demo-ratings-{queue.pk}")
    criteria = list(queue.rubric_version.criteria.values_list("name", flat=True))
    _gold(queue, lead, criteria)
    reviewers = list(
        get_user_model().objects.filter(username__in=REVIEWER_HABITS).order_by("username")
    )
    target = int(queue.item_count * RATED_SHARE)
    for _ in range(queue.item_count * 4):
        active = [r for r in reviewers if _rate_one(queue, r, criteria, rng)]
        queue.refresh_from_db(fields=["complete_count", "review_count", "gold_count"])
        if not active or queue.complete_count >= target:
            break
    # Leave no lease behind: the live reviewers start from a clean pool.
    for assignment in Assignment.objects.filter(item__queue=queue, status="active"):
        Assignment.objects.filter(pk=assignment.pk).update(status="released")
        QueueItem.objects.filter(pk=assignment.item_id).update(leased_count=F("leased_count") - 1)
    # Spread the demo's past work over the last days, so "today" starts near zero.
    now = timezone.now()
    annotations = list(
        Annotation.objects.filter(item__queue=queue).order_by("id").values_list("id", flat=True)
    )
    for index, annotation_id in enumerate(annotations):
        days = DAYS_BACK - index * DAYS_BACK // max(len(annotations), 1)
        Annotation.objects.filter(pk=annotation_id).update(
            created_at=now - timedelta(days=days, minutes=rng.randint(0, 600))
        )
    return len(annotations)
