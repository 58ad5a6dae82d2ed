"""Rubrics, their immutable versions, and the criteria with anchored scales."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from llmops_core.models.projects import Project


class Rubric(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rubrics")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="rubric_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.project.slug}/{self.name}"


class RubricVersion(models.Model):
    """A frozen set of criteria. Changing a criterion makes a new version."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["rubric", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["rubric", "number"], name="rubricversion_unique_number"
            ),
            models.UniqueConstraint(
                fields=["rubric", "content_hash"], name="rubricversion_unique_content"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="rubricversion_number_pos"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rubric} v{self.number}"


class Criterion(models.Model):
    rubric_version = models.ForeignKey(
        RubricVersion, on_delete=models.CASCADE, related_name="criteria"
    )
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=5)
    anchors = models.JSONField(
        default=dict, blank=True, help_text='Description per level, e.g. {"1": "...", "5": "..."}'
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric_version", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rubric_version", "name"], name="criterion_unique_name"
            ),
            models.CheckConstraint(
                condition=models.Q(scale_min__lt=models.F("scale_max")),
                name="criterion_scale_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scale_min}-{self.scale_max})"

    @property
    def levels(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))

    @property
    def level_anchors(self) -> list[tuple[int, str]]:
        """Return (level, anchor text) for every level of the scale, lowest first."""
        return [(level, self.anchor(level)) for level in self.levels]

    def anchor(self, level: int) -> str:
        """Return the anchored description of ``level`` (empty if none was written)."""
        return str(self.anchors.get(str(level), ""))
