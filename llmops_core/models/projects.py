"""Projects, memberships and roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    REVIEWER = "reviewer", "Reviewer"
    ADJUDICATOR = "adjudicator", "Adjudicator"
    LEAD = "lead", "Lead"
    ADMIN = "admin", "Admin"


# Each role can do everything the roles before it can.
ROLE_RANK: dict[str, int] = {
    Role.REVIEWER: 1,
    Role.ADJUDICATOR: 2,
    Role.LEAD: 3,
    Role.ADMIN: 4,
}


class Project(models.Model):
    slug = models.SlugField(max_length=64, help_text="Lower case; unique whatever the case.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(  # type: ignore[var-annotated]
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )

    class Meta:
        ordering = ["slug"]
        constraints = [
            # Slugs are stored lower case and looked up lower-cased: "DEMO" is "demo".
            models.UniqueConstraint(
                Lower("slug"),
                name="project_slug_unique_ci",
                violation_error_message="A project with this slug (in any case) already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(slug=Lower("slug")),
                name="project_slug_lower",
                violation_error_message="A slug is lower case.",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REVIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "project"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.project} ({self.role})"

    def has_role(self, role: str) -> bool:
        """Return whether this membership grants ``role`` or a higher one."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]
