"""Creating a project in the browser: who may, what it makes, and clear errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from llmops_core.models import AuditEvent, Membership, Project, Role
from tests.factories import UserFactory
from tests.llmops_core.people_support import EVERY_ROLE, STAFF, Cast, cast_build, denied
from tests.llmops_core.test_settings import run_manage

pytestmark = pytest.mark.django_db

NEW = "/projects/new/"


@pytest.fixture
def cast(db: None) -> Cast:
    return cast_build()


@pytest.mark.parametrize("allowed", ["staff", "any"])
@pytest.mark.parametrize("role", EVERY_ROLE)
def test_who_may_create_a_project(cast: Cast, role: str, allowed: str, settings: Any) -> None:
    """Staff create projects; with PROJECT_CREATE_ALLOWED=any, every signed-in user does.

    The page, its form, the home page's link and the API all follow the one rule.
    """
    settings.PROJECT_CREATE_ALLOWED = allowed
    may = role in STAFF or (allowed == "any" and role != "anonymous")
    client = cast.client(role)
    page = client.get(NEW)
    posted = client.post(NEW, {"name": f"By {role}", "slug": f"by-{role}"})
    api = APIClient()
    if role != "anonymous":
        api.force_authenticate(cast.users[role])
    by_api = api.post("/api/projects/", {"name": "Api", "slug": f"api-{role}"}, format="json")
    if may:
        assert page.status_code == 200
        assert posted.status_code == 302, posted.content[:300]
        assert Membership.objects.get(project__slug=f"by-{role}").role == Role.ADMIN
        assert by_api.status_code == 201, by_api.content
        assert 'id="project-new-link"' in client.get("/").content.decode()
    else:
        assert denied(role, page.status_code, page.get("Location", ""))
        assert denied(role, posted.status_code, posted.get("Location", ""))
        assert by_api.status_code in (401, 403)
        assert not Project.objects.filter(slug__in=[f"by-{role}", f"api-{role}"]).exists()
        if role != "anonymous":
            assert 'id="project-new-link"' not in client.get("/").content.decode()


def test_a_new_project_has_its_creator_as_admin_and_the_default_rubric(cast: Cast) -> None:
    client = cast.client("staff")
    response = client.post(NEW, {"name": "Travel FAQ study", "slug": "", "description": "a\r\nb"})
    project = Project.objects.get(slug="travel-faq-study")  # the slug made from the name
    assert response["Location"] == reverse("members", args=[project.slug])
    assert project.description == "a\nb"
    assert project.created_by == cast.users["staff"]
    assert list(project.memberships.values_list("user__username", "role")) == [
        ("cast-staff", Role.ADMIN)
    ]
    assert project.rubrics.get(name="default").versions.count() == 1
    assert AuditEvent.objects.filter(action="project.create", object_id=str(project.pk)).exists()
    members = client.get(response["Location"]).content.decode()
    assert "Project “Travel FAQ study” created; you are its admin." in members


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Cast again", "slug": "CAST"}, "slug", 'a project with the slug "cast"'),
        ({"name": "!!!", "slug": ""}, "__all__", "cannot make a slug from the name"),
        ({"name": "", "slug": "x"}, "name", "This field is required."),
        ({"name": "Spaces", "slug": "a b"}, "slug", "Enter a valid “slug”"),
        ({"name": "Long", "slug": "x" * 65}, "slug", "at most 64 characters"),
        ({"name": "n" * 201, "slug": "ok"}, "name", "at most 200 characters"),
    ],
)
def test_a_bad_project_form_is_a_400_that_names_the_problem_and_saves_nothing(
    cast: Cast, data: dict[str, str], field: str, message: str
) -> None:
    before = Project.objects.count()
    response = cast.client("staff").post(NEW, data)
    assert response.status_code == 400
    assert escape(message) in response.content.decode()
    assert field in response.context["form"].errors
    assert Project.objects.count() == before


def test_project_names_are_escaped_on_the_new_project_and_members_pages(cast: Cast) -> None:
    name = '<script>alert("p")</script>'
    client = cast.client("staff")
    response = client.post(NEW, {"name": name, "slug": "xss"})
    page = client.get(response["Location"]).content.decode()
    assert name not in page
    assert "&lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt;" in page
    again = client.post(NEW, {"name": name, "slug": "xss"}).content.decode()
    assert name not in again and "&lt;script&gt;" in again


def test_the_home_page_offers_users_only_to_instance_admins(cast: Cast, client: Client) -> None:
    client.force_login(cast.users["staff"])
    assert 'id="users-link"' in client.get("/").content.decode()
    client.force_login(cast.users["admin"])
    assert 'id="users-link"' not in client.get("/").content.decode()


def test_a_project_admin_who_is_not_staff_sees_no_new_project_link(cast: Cast) -> None:
    user = UserFactory(username="plain")
    client = Client()
    client.force_login(user)
    assert "/projects/new/" not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "PROJECT_CREATE_ALLOWED",
            "everyone",
            "PROJECT_CREATE_ALLOWED='everyone': use one of staff, any",
        ),
    ],
)
def test_a_bad_people_setting_stops_the_start_and_says_what_to_use(
    name: str, value: str, message: str
) -> None:
    proc = run_manage("check", DEBUG="1", **{name: value})
    assert proc.returncode != 0
    assert message in proc.stderr
