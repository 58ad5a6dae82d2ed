"""Review queues, their reviewers (with quotas and counters), items and item pins."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from llmops_core.models import ModelOutput, Project, RubricVersion


class QueueStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class QueueOrder(models.TextChoices):
    """The order items are served in (``annotate.services.queues_order`` explains each)."""

    RANDOM = "random", "Random (seeded), answers to one input kept apart"
    INTERLEAVED = "interleaved", "Interleaved: versions take turns, answers to one input apart"
    IMPORT = "import", "Import order"


def new_seed() -> int:
    """Return a fresh seed for a queue's served order."""
    return secrets.randbelow(2**31)


class QueueSampling(models.TextChoices):
    """How a calibration queue's outputs were drawn from its version's outputs."""

    NONE = "", "Chosen by the lead (not a random sample)"
    UNIFORM = "uniform", "Uniformly at random"
    ACTIVE = "active", "Actively, where the judge is least certain (weighted)"


class Queue(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="queues")
    name = models.CharField(max_length=200)
    rubric_version = models.ForeignKey(
        RubricVersion, on_delete=models.PROTECT, related_name="queues"
    )
    overlap = models.PositiveSmallIntegerField(
        default=3, help_text="How many distinct reviewers rate each item."
    )
    max_overlap = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Adaptive overlap: contested items get more reviewers, up to this many.",
    )
    disagreement_threshold = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Score spread on any criterion that makes an item contested (e.g. 2).",
    )
    blind = models.BooleanField(
        default=True, help_text="Hide the prompt version, model and other reviewers' ratings."
    )
    guidelines = models.TextField(blank=True, help_text="Markdown, rendered safely.")
    lease_seconds = models.PositiveIntegerField(
        default=900, help_text="An open assignment returns to the pool after this long."
    )
    gold_every = models.PositiveSmallIntegerField(
        default=10, help_text="About one item in this many is a gold item, while any are unseen."
    )
    status = models.CharField(max_length=16, choices=QueueStatus.choices, default=QueueStatus.OPEN)
    archived_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="An archived queue is closed, read-only and left out of lists; reports stay.",
    )
    order = models.CharField(
        max_length=16,
        choices=QueueOrder.choices,
        default=QueueOrder.RANDOM,
        help_text="The order items are served in, fixed as they join the queue.",
    )
    seed = models.PositiveIntegerField(
        default=new_seed, help_text="Seeds the served order: the same seed, the same order."
    )
    sampling = models.CharField(
        max_length=16,
        choices=QueueSampling.choices,
        default=QueueSampling.NONE,
        blank=True,
        help_text="A calibration queue's design: its items were drawn at random from "
        "calibrates' outputs, each with its known inclusion probability.",
    )
    calibrates = models.ForeignKey(
        "llmops_core.PromptVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calibration_queues",
        help_text="The prompt version whose judge-assisted estimate this queue's ratings feed.",
    )
    sample_frame = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many outputs the sample was drawn from (the version's judged outputs).",
    )
    reviewers = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="review_queues",
        through="QueueReviewer",
        through_fields=("queue", "reviewer"),
    )
    item_count = models.PositiveIntegerField(default=0)
    complete_count = models.PositiveIntegerField(
        default=0, help_text="Items that have all the reviews they need."
    )
    review_count = models.PositiveIntegerField(default=0, help_text="Annotations submitted.")
    gold_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="queue_unique_name"),
            models.CheckConstraint(condition=models.Q(overlap__gte=1), name="queue_overlap_pos"),
            models.CheckConstraint(
                condition=models.Q(max_overlap__isnull=True)
                | models.Q(max_overlap__gte=models.F("overlap")),
                name="queue_max_overlap_ge_overlap",
            ),
            models.CheckConstraint(
                condition=models.Q(lease_seconds__gte=10), name="queue_lease_min"
            ),
            models.CheckConstraint(
                condition=models.Q(complete_count__lte=models.F("item_count")),
                name="queue_complete_le_items",
            ),
            models.CheckConstraint(condition=models.Q(gold_every__gte=2), name="queue_gold_every"),
            models.CheckConstraint(
                condition=models.Q(archived_at__isnull=True) | models.Q(status=QueueStatus.CLOSED),
                name="queue_archived_is_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"

    @property
    def is_open(self) -> bool:
        return self.status == QueueStatus.OPEN

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class QueueReviewer(models.Model):
    """A reviewer of a queue: their quota and counters the services keep up to date."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    # The column keeps the name of the former auto-created many-to-many table.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_column="user_id",
        related_name="queue_memberships",
    )
    quota = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most items this reviewer rates in the queue (no limit if empty).",
    )
    done_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    flagged_count = models.PositiveIntegerField(default=0)
    active_ms_total = models.PositiveBigIntegerField(default=0)
    pin_count = models.PositiveIntegerField(
        default=0, help_text="Items the lead assigned to this reviewer specifically."
    )

    class Meta:
        db_table = "annotate_queue_reviewers"
        unique_together = [("queue", "reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} in {self.queue}"

    @property
    def quota_reached(self) -> bool:
        return self.quota is not None and self.done_count >= self.quota


class QueueItem(models.Model):
    """One output in a queue, with counters kept up to date by the services."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="items")
    output = models.ForeignKey(ModelOutput, on_delete=models.PROTECT, related_name="queue_items")
    position = models.PositiveIntegerField(default=0)
    target_reviews = models.PositiveSmallIntegerField(
        help_text="Reviews wanted: the queue's overlap, raised by adaptive overlap."
    )
    done_count = models.PositiveSmallIntegerField(default=0)
    leased_count = models.PositiveSmallIntegerField(
        default=0, help_text="Active, unexpired assignments (leases) on this item."
    )
    skip_count = models.PositiveSmallIntegerField(default=0)
    flag_count = models.PositiveSmallIntegerField(default=0)
    is_gold = models.BooleanField(default=False)
    gold_scores = models.JSONField(
        default=dict, blank=True, help_text='Known scores per criterion, {"fluency": 4}'
    )
    pinned = models.BooleanField(
        default=False, help_text="Only the reviewers it is pinned to may rate it."
    )
    contested = models.BooleanField(default=False)
    inclusion_probability = models.FloatField(
        null=True,
        blank=True,
        help_text="In a calibration queue: the known probability with which this output was "
        "drawn (the estimate weights its ratings by its inverse).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["queue", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "output"], name="queueitem_unique_output"),
            models.CheckConstraint(
                condition=models.Q(done_count__lte=models.F("target_reviews")),
                name="queueitem_done_le_target",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    leased_count__lte=models.F("target_reviews") - models.F("done_count")
                ),
                name="queueitem_leased_le_open",
            ),
            models.CheckConstraint(
                condition=models.Q(target_reviews__gte=1), name="queueitem_target_pos"
            ),
            models.CheckConstraint(
                condition=models.Q(inclusion_probability__isnull=True)
                | models.Q(inclusion_probability__gt=0, inclusion_probability__lte=1),
                name="queueitem_probability_range",
            ),
        ]
        indexes = [
            # "Next item" from the common pool: open items, fullest first, then queue order.
            models.Index(
                fields=["queue", "-done_count", "position", "id"],
                name="queueitem_pool",
                condition=models.Q(
                    done_count__lt=models.F("target_reviews"), is_gold=False, pinned=False
                ),
            ),
            models.Index(
                fields=["queue", "position", "id"],
                name="queueitem_gold",
                condition=models.Q(is_gold=True),
            ),
            models.Index(
                fields=["queue", "position", "id"],
                name="queueitem_contested",
                condition=models.Q(contested=True),
            ),
            models.Index(fields=["queue", "position", "id"], name="queueitem_order"),
        ]

    def __str__(self) -> str:
        return f"{self.queue} #{self.position}"

    @property
    def is_complete(self) -> bool:
        return self.done_count >= self.target_reviews


class ItemPin(models.Model):
    """A lead's assignment of one item to one reviewer; pinned items go only to their reviewers."""

    item = models.ForeignKey(QueueItem, on_delete=models.CASCADE, related_name="pins")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="item_pins"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "reviewer"], name="itempin_unique"),
        ]
        indexes = [models.Index(fields=["reviewer", "item"], name="itempin_reviewer")]

    def __str__(self) -> str:
        return f"{self.item} → {self.reviewer}"
