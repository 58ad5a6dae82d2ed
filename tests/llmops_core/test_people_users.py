"""Accounts made by the instance's admins: the users pages, one-time passwords, invitations."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from llmops_core.models import ApiToken, AuditEvent, Invitation, PasswordChangeRequired
from llmops_core.services.users import invitation_create
from tests.factories import MembershipFactory, UserFactory
from tests.llmops_core.people_support import EVERY_ROLE, STAFF, Cast, cast_build, denied

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def cast(db: None) -> Cast:
    return cast_build()


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_only_instance_admins_see_and_create_users(cast: Cast, role: str) -> None:
    """Staff and superusers; a project admin is no admin of the instance."""
    client = cast.client(role)
    pages = {
        "list": client.get("/users/"),
        "form": client.get("/users/new/"),
        "password": client.post("/users/new/", {"method": "password", "username": f"p-{role}"}),
        "invite": client.post("/users/new/", {"method": "invitation", "email": f"{role}@x.org"}),
    }
    api = APIClient()
    if role != "anonymous":
        api.force_authenticate(cast.users[role])
    by_api = api.post("/api/users/", {"method": "password", "username": f"a-{role}"}, format="json")
    listed = api.get("/api/users/")
    if role in STAFF:
        assert all(r.status_code == 200 for r in pages.values()), pages
        assert by_api.status_code == 201 and listed.status_code == 200
        assert User.objects.filter(username__in=[f"p-{role}", f"a-{role}"]).count() == 2
        assert Invitation.objects.filter(email=f"{role}@x.org").exists()
    else:
        for name, response in pages.items():
            assert denied(role, response.status_code, response.get("Location", "")), name
        assert by_api.status_code == (401 if role == "anonymous" else 403)
        assert listed.status_code == (401 if role == "anonymous" else 403)
        assert not User.objects.filter(username__in=[f"p-{role}", f"a-{role}"]).exists()
        assert not Invitation.objects.exists()


def _one_time_password(page: str) -> str:
    found = re.search(r'<pre id="one-time-password"[^>]*>([^<]+)</pre>', page)
    assert found, page
    return found.group(1)


def test_a_one_time_password_works_only_to_choose_ones_own(cast: Cast) -> None:
    """Shown once; at first sign-in every page but the change-password page is closed; the
    API refuses the session and will not issue a token; after the change all opens."""
    created = cast.client("staff").post(
        "/users/new/", {"method": "password", "username": "olga", "email": "olga@example.org"}
    )
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    password = _one_time_password(created.content.decode())
    olga = User.objects.get(username="olga")
    assert olga.email == "olga@example.org" and olga.check_password(password)
    assert PasswordChangeRequired.objects.filter(user=olga, set_by=cast.users["staff"]).exists()
    MembershipFactory(project=cast.project, user=olga)

    api = APIClient()
    token = api.post("/api/auth/token/", {"username": "olga", "password": password}, format="json")
    assert token.status_code == 403 and "one-time password" in token.json()["detail"]
    assert not ApiToken.objects.filter(user=olga).exists()

    client = Client()
    login = client.post("/accounts/login/", {"username": "olga", "password": password})
    assert login["Location"] == "/accounts/password/"
    for url in ("/", "/p/cast/", "/accounts/tokens/"):
        assert client.get(url)["Location"] == "/accounts/password/", url
    refused = client.get("/api/projects/")
    assert refused.status_code == 403 and "/accounts/password/" in refused.json()["detail"]
    assert client.get("/accounts/password/").status_code == 200

    new = "a-Long-and-own-passphrase-17"
    changed = client.post(
        "/accounts/password/",
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert changed.status_code == 302
    assert not PasswordChangeRequired.objects.filter(user=olga).exists()
    assert client.get("/").status_code == 200
    assert client.get("/api/projects/").status_code == 200
    ok = api.post("/api/auth/token/", {"username": "olga", "password": new}, format="json")
    assert ok.status_code == 201


def test_a_user_who_signs_in_normally_goes_home(cast: Cast) -> None:
    UserFactory(username="plain")
    response = Client().post("/accounts/login/", {"username": "plain", "password": "pw"})
    assert response["Location"] == "/"


def _link(page: str) -> str:
    found = re.search(
        r'<pre id="invitation-link"[^>]*>http://testserver(/invitations/[^<]+/)</pre>', page
    )
    assert found, page
    return found.group(1)


def test_an_invitation_link_makes_one_account_and_signs_the_invitee_in(cast: Cast) -> None:
    page = cast.client("staff").post("/users/new/", {"method": "invitation", "email": "ivy@x.org"})
    assert "no-store" in page["Cache-Control"]
    link = _link(page.content.decode())
    invitee = Client()
    form = invitee.get(link)
    assert (
        form.status_code == 200
        and "This invitation was made for ivy@x.org" in form.content.decode()
    )
    data = {
        "username": "ivy",
        "password": "Plenty-long-phrase-9",
        "password_again": "Plenty-long-phrase-9",
    }
    done = invitee.post(link, data)
    assert done["Location"] == "/"
    ivy = User.objects.get(username="ivy")
    assert ivy.email == "ivy@x.org" and ivy.check_password(data["password"])
    assert invitee.get("/").status_code == 200  # signed in as ivy
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == ivy and invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accept", actor=ivy).exists()
    # Once only.
    again = Client().post(link, {**data, "username": "ivy2"})
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert not User.objects.filter(username="ivy2").exists()


@pytest.mark.parametrize(
    ("spoil", "status", "message"),
    [
        ("expire", 410, "This invitation has expired"),
        ("withdraw", 410, "This invitation was withdrawn"),
        ("tamper", 404, "This invitation link is not valid"),
        ("delete", 404, "This invitation no longer exists"),
    ],
)
def test_a_spoilt_invitation_link_says_why_and_makes_nobody(
    cast: Cast, spoil: str, status: int, message: str
) -> None:
    invitation, token = invitation_create(email="", actor=cast.users["staff"])
    if spoil == "expire":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "withdraw":
        staff = cast.client("staff")
        assert staff.post(f"/users/invitations/{invitation.pk}/revoke/").status_code == 302
    elif spoil == "tamper":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    else:
        invitation.delete()
    url = f"/invitations/{token}/"
    data = {
        "username": "eve",
        "password": "Plenty-long-phrase-9",
        "password_again": "Plenty-long-phrase-9",
    }
    for response in (Client().get(url), Client().post(url, data)):
        assert response.status_code == status
        assert message in response.content.decode()
    assert not User.objects.filter(username="eve").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"username": "new", "password": "Plenty-long-9", "password_again": "Other-long-9"},
            "password_again",
            "The two passwords differ.",
        ),
        (
            {"username": "new", "password": "12345678901", "password_again": "12345678901"},
            "password",
            "entirely numeric",
        ),
        (
            {"username": "new", "password": "short", "password_again": "short"},
            "password",
            "too short",
        ),
        (
            {
                "username": "CAST-LEAD",
                "password": "Plenty-long-9x",
                "password_again": "Plenty-long-9x",
            },
            "username",
            "is taken",
        ),
        (
            {
                "username": "two words",
                "password": "Plenty-long-9x",
                "password_again": "Plenty-long-9x",
            },
            "username",
            "no spaces",
        ),
        (
            {"username": "", "password": "Plenty-long-9x", "password_again": "Plenty-long-9x"},
            "username",
            "required",
        ),
    ],
)
def test_a_bad_acceptance_is_a_400_on_the_field_and_leaves_the_link_open(
    cast: Cast, data: dict[str, str], field: str, message: str
) -> None:
    _, token = invitation_create(actor=cast.users["staff"])
    before = User.objects.count()
    response = Client().post(f"/invitations/{token}/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert User.objects.count() == before
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"method": "password", "username": ""},
            "Give a username for an account with a one-time password.",
        ),
        ({"method": "password", "username": "Cast-Staff"}, "is taken"),
        ({"method": "password", "username": "x y"}, "no spaces"),
        ({"method": "invitation", "email": "lead@example.org"}, "another user already has"),
        ({"method": "invitation", "email": "not-an-email"}, "Enter a valid email address."),
        ({"method": "nonsense"}, "Select a valid choice."),
    ],
)
def test_a_bad_new_user_form_is_a_400_that_names_the_problem(
    cast: Cast, data: dict[str, str], message: str
) -> None:
    users = User.objects.count()
    response = cast.client("staff").post("/users/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == users and not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "password"}, "username"),
        ({"method": "magic"}, "method"),
        ({"method": "invitation", "email": "nope"}, "email"),
        ({"username": "x"}, "method"),
    ],
)
def test_a_bad_api_body_is_a_400_naming_the_field(
    cast: Cast, body: dict[str, Any], field: str
) -> None:
    api = APIClient()
    api.force_authenticate(cast.users["staff"])
    response = api.post("/api/users/", body, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()


def test_a_service_rule_broken_through_the_api_is_a_400(cast: Cast) -> None:
    api = APIClient()
    api.force_authenticate(cast.users["staff"])
    response = api.post(
        "/api/users/", {"method": "password", "username": "CAST-LEAD"}, format="json"
    )
    assert response.status_code == 400
    assert '"CAST-LEAD" is taken' in response.json()["detail"]


def test_the_api_answers_the_declared_shape_once(cast: Cast) -> None:
    api = APIClient()
    api.force_authenticate(cast.users["staff"])
    made = api.post("/api/users/", {"method": "password", "username": "pat"}, format="json")
    body = made.json()
    assert set(body) == {"method", "user", "one_time_password", "invitation", "invitation_url"}
    assert body["user"]["username"] == "pat" and body["user"]["must_change_password"] is True
    assert User.objects.get(username="pat").check_password(body["one_time_password"])
    assert "no-store" in made["Cache-Control"]
    invited = api.post("/api/users/", {"method": "invitation", "email": "q@x.org"}, format="json")
    body = invited.json()
    assert body["user"] is None and body["one_time_password"] is None
    assert body["invitation"]["email"] == "q@x.org"
    link = body["invitation_url"].removeprefix("http://testserver")
    assert Client().get(link).status_code == 200
    schema = api.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/users/"]["post"]
    assert "UserCreated" in str(post["responses"]["201"])


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_users_page_and_endpoint_cost_the_same_queries_for_few_or_many(cast: Cast) -> None:
    client = cast.client("staff")
    api = APIClient()
    api.force_authenticate(cast.users["staff"])
    invitation_create(email="first@x.org", actor=cast.users["staff"])  # an empty list costs less
    few = (_queries(client, "/users/"), _queries(api, "/api/users/"))
    for i in range(60):
        user = UserFactory(username=f"u{i:02}")
        MembershipFactory(project=cast.project, user=user)
        invitation_create(email=f"u{i}@x.org", actor=cast.users["staff"])
    PasswordChangeRequired.objects.create(user=User.objects.get(username="u00"))
    many = (_queries(client, "/users/"), _queries(api, "/api/users/"))
    assert many == few
    page = client.get("/users/").content.decode()
    assert "must change the one-time password" in page
    assert "Page 1 of 2" in page


def test_usernames_and_emails_are_escaped_on_the_users_page(cast: Cast) -> None:
    # The ORM (or the Django admin) stores what no form of ours would take.
    User.objects.create_user(username='<img src=x onerror="alert(1)">', email="a@b.c")
    page = cast.client("staff").get("/users/").content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
