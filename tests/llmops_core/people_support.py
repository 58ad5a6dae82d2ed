"""Who is asking, for the people pages' tests: one client per role of the instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from llmops_core.models import Project, Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory

# Every kind of visitor a permission check tells apart: "outsider" is an admin of another
# project only, "staff" is Django staff with no membership, "superuser" an admin everywhere.
EVERY_ROLE = (
    "anonymous",
    "outsider",
    "reviewer",
    "adjudicator",
    "lead",
    "admin",
    "staff",
    "superuser",
)
STAFF = {"staff", "superuser"}
PROJECT_ADMINS = {"admin", "superuser"}
PROJECT_LEADS = PROJECT_ADMINS | {"lead"}


@dataclass
class Cast:
    """A project whose members hold every role, and users for the other kinds of visitor."""

    project: Project
    users: dict[str, Any]

    def client(self, role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(self.users[role])
        return client


def cast_build() -> Cast:
    project = ProjectFactory(name="Cast", slug="cast")
    users: dict[str, Any] = {"anonymous": None}
    for role in (Role.REVIEWER, Role.ADJUDICATOR, Role.LEAD, Role.ADMIN):
        users[role] = UserFactory(username=f"cast-{role}", email=f"{role}@example.org")
        MembershipFactory(project=project, user=users[role], role=role)
    users["outsider"] = UserFactory(username="cast-outsider")
    MembershipFactory(project=ProjectFactory(), user=users["outsider"], role=Role.ADMIN)
    users["staff"] = UserFactory(username="cast-staff", is_staff=True)
    users["superuser"] = get_user_model().objects.create_superuser(
        username="cast-superuser", password="pw"
    )
    return Cast(project=project, users=users)


def denied(role: str, status: int, location: str = "") -> bool:
    """Return whether a page's answer refuses ``role``: the login page, or 403/404."""
    if role == "anonymous":
        return status == 302 and location.startswith("/accounts/login/")
    return status in (403, 404)
