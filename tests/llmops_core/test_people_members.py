"""A project's members page: leads read it, admins add, re-role and remove; one admin stays."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from rest_framework.test import APIClient

from llmops_core.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory
from tests.llmops_core.people_support import (
    EVERY_ROLE,
    PROJECT_ADMINS,
    PROJECT_LEADS,
    Cast,
    cast_build,
    denied,
)

pytestmark = pytest.mark.django_db

MEMBERS = "/p/cast/members/"


@pytest.fixture
def cast(db: None) -> Cast:
    return cast_build()


def _membership(cast: Cast, role: str) -> Membership:
    return Membership.objects.get(project=cast.project, user=cast.users[role])


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_who_may_read_and_change_the_members(cast: Cast, role: str) -> None:
    """Leads and up read the list; admins (and superusers) add, re-role and remove; others are
    refused before anything changes."""
    newcomer = UserFactory(username="newcomer")
    client = cast.client(role)
    reviewer = _membership(cast, "reviewer")
    adjudicator = _membership(cast, "adjudicator")
    answers = {
        "read": client.get(MEMBERS),
        "add": client.post(MEMBERS, {"user": "newcomer", "role": Role.REVIEWER}),
        "role": client.post(f"{MEMBERS}{reviewer.pk}/role/", {"role": Role.LEAD}),
        "remove": client.post(f"{MEMBERS}{adjudicator.pk}/remove/"),
    }
    for action, response in answers.items():
        allowed = role in (PROJECT_LEADS if action == "read" else PROJECT_ADMINS)
        if allowed:
            assert response.status_code in (200, 302), (action, response.status_code)
        else:
            assert denied(role, response.status_code, response.get("Location", "")), action
    changed = role in PROJECT_ADMINS
    assert Membership.objects.filter(project=cast.project, user=newcomer).exists() is changed
    reviewer.refresh_from_db()
    assert (reviewer.role == Role.LEAD) is changed
    assert Membership.objects.filter(pk=adjudicator.pk).exists() is not changed
    read = answers["read"].content.decode()
    assert ('id="member-add"' in read) is changed  # the add form is for admins only


@pytest.mark.parametrize("identifier", ["rita", "RITA", "Rita@Example.org"])
def test_an_admin_adds_a_member_by_username_or_email_in_any_case(
    cast: Cast, identifier: str
) -> None:
    rita = UserFactory(username="rita", email="rita@example.org")
    response = cast.client("admin").post(MEMBERS, {"user": identifier, "role": Role.REVIEWER})
    assert response.status_code == 302
    assert Membership.objects.get(project=cast.project, user=rita).role == Role.REVIEWER


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("nobody", 'no active user has the username or email "nobody"'),
        ("cast-lead", "cast-lead is already a member"),
        ("twin@example.org", 'more than one user has "twin@example.org"'),
        ("<b>x</b>", 'no active user has the username or email "<b>x</b>"'),
    ],
)
def test_adding_someone_who_cannot_be_added_is_a_400_that_says_why(
    cast: Cast, identifier: str, message: str
) -> None:
    for name in ("twin1", "twin2"):
        UserFactory(username=name, email="twin@example.org")
    before = set(Membership.objects.values_list("pk", "role"))
    response = cast.client("admin").post(MEMBERS, {"user": identifier, "role": Role.REVIEWER})
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(message) in page
    assert "<b>x</b>" not in page
    assert set(Membership.objects.values_list("pk", "role")) == before


def test_a_role_that_is_not_a_role_is_a_400(cast: Cast) -> None:
    reviewer = _membership(cast, "reviewer")
    response = cast.client("admin").post(f"{MEMBERS}{reviewer.pk}/role/", {"role": "owner"})
    assert response.status_code == 400
    assert "use one of reviewer, adjudicator, lead, admin" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.role == Role.REVIEWER


def test_the_last_admin_can_be_neither_demoted_nor_removed(cast: Cast) -> None:
    admin = _membership(cast, "admin")
    client = cast.client("admin")
    for url, data in (
        (f"{MEMBERS}{admin.pk}/role/", {"role": Role.LEAD}),
        (f"{MEMBERS}{admin.pk}/remove/", {}),
    ):
        response = client.post(url, data)
        assert response.status_code == 400
        assert (
            "cast-admin is the only admin of project &quot;cast&quot;" in response.content.decode()
        )
        admin.refresh_from_db()
        assert admin.role == Role.ADMIN
    # With a second admin, the first may step down, and then leave.
    client.post(f"{MEMBERS}{_membership(cast, 'lead').pk}/role/", {"role": Role.ADMIN})
    assert client.post(f"{MEMBERS}{admin.pk}/role/", {"role": Role.LEAD}).status_code == 302
    assert cast.client("lead").post(f"{MEMBERS}{admin.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=admin.pk).exists()


def test_the_api_keeps_the_last_admin_too(cast: Cast) -> None:
    api = APIClient()
    api.force_authenticate(cast.users["admin"])
    response = api.post(
        "/api/projects/cast/members/", {"username": "cast-admin", "role": "reviewer"}, format="json"
    )
    assert response.status_code == 400
    assert "only admin" in response.json()["detail"]
    assert _membership(cast, "admin").role == Role.ADMIN


def test_an_admin_who_removes_themselves_goes_home(cast: Cast) -> None:
    MembershipFactory(project=cast.project, user=UserFactory(username="second"), role=Role.ADMIN)
    client = cast.client("admin")
    response = client.post(f"{MEMBERS}{_membership(cast, 'admin').pk}/remove/")
    assert response["Location"] == "/"
    assert client.get(MEMBERS).status_code == 404


def test_another_projects_membership_is_a_404(cast: Cast) -> None:
    elsewhere = Membership.objects.get(user=cast.users["outsider"])
    client = cast.client("admin")
    assert client.post(f"{MEMBERS}{elsewhere.pk}/remove/").status_code == 404
    assert client.post(f"{MEMBERS}{elsewhere.pk}/role/", {"role": "lead"}).status_code == 404
    assert Membership.objects.filter(pk=elsewhere.pk, role=Role.ADMIN).exists()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_members_page_costs_the_same_queries_for_5_or_60_members(cast: Cast) -> None:
    client = cast.client("admin")
    few = _queries(client, MEMBERS)
    for i in range(55):
        MembershipFactory(project=cast.project, user=UserFactory(username=f"m{i:02}"))
    many = _queries(client, MEMBERS)
    assert many == few
    assert few <= 8
    second = client.get(MEMBERS + "?page=2").content.decode()
    assert "Page 2 of 2" in second and "m54" in second
